"""dbt as a subprocess: the command line, its environment, and what its results say.

dbt opens the DuckDB file itself, so the caller holds the pipeline lock and keeps no
connection of its own open (DuckDB allows one writer process). dbt's target/ and logs/ go
under PIPELINE_DATA_DIR so parallel test runs and a read-only checkout never collide.
Per-node results come from dbt's `run_results.json`.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from pipeline_ops.pipeline.errors import PipelineError
from pipeline_ops.pipeline.paths import data_dir
from pipeline_ops.pipeline.runs import stopping
from pipeline_ops.pipeline.runs.warehouse import warehouse_path
from pipeline_ops.pipeline.selectors import split_select

PR_SET_PDEATHSIG = 1
# Resolved here, not in the forked child (dlopen after fork can deadlock).
_PRCTL = getattr(ctypes.CDLL(None), "prctl", None) if sys.platform == "linux" else None
FAILED_STATUSES = {"error", "fail", "runtime error"}
TAIL_LINES = 15


@dataclass
class DbtResult:
    returncode: int
    output: str
    seconds: float
    nodes: list[dict] = field(default_factory=list)
    command: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[dict]:
        return [n for n in self.nodes if n["status"] in FAILED_STATUSES]

    @property
    def skipped(self) -> list[dict]:
        return [n for n in self.nodes if n["status"] == "skipped"]

    def tail(self, lines: int = TAIL_LINES) -> list[str]:
        return [line for line in self.output.splitlines() if line.strip()][-lines:]


def project_dir() -> Path:
    return Path(settings.DBT_PROJECT_DIR)


def dbt_dir() -> Path:
    return data_dir() / "dbt"


def dbt_executable() -> Path:
    # The dbt of this interpreter's venv, whatever PATH says.
    return Path(sys.executable).parent / "dbt"


def dbt_command(select: str | None = None) -> list[str]:
    project = str(project_dir())
    command = [str(dbt_executable()), "build", "--project-dir", project, "--profiles-dir", project]
    command += ["--target-path", str(dbt_dir() / "target"), "--log-path", str(dbt_dir() / "logs")]
    if select:
        try:
            command += ["--select", *split_select(select)]
        except ValueError as exc:
            # Also refused here, not only at the flag: a task or the shell may call this, and
            # a token like `--target-path` would make dbt write outside the data dir.
            raise PipelineError(f"Refusing to run dbt: {exc}") from None
    return command


def dbt_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DBT_DUCKDB_PATH=str(warehouse_path()),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        DBT_USE_COLORS="false",
    )
    return env


def run_dbt_build(select: str | None = None) -> DbtResult:
    """One `dbt build`; the caller holds the pipeline lock and no DuckDB connection."""
    command = dbt_command(select)  # first: a refused --select must change nothing
    results_file = dbt_dir() / "target" / "run_results.json"
    results_file.unlink(missing_ok=True)  # never report a previous build's nodes
    started = time.monotonic()
    try:
        proc = subprocess.Popen(
            command,
            env=dbt_env(),
            cwd=project_dir(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=_die_with_parent,
        )
    except OSError as exc:
        raise PipelineError(f"Cannot start dbt ({dbt_executable()}): {exc}") from exc
    try:
        stdout, stderr = _wait(proc)
    except BaseException:
        # Interrupted (Ctrl-C, task timeout): dbt must not write on once the lock is gone.
        proc.kill()
        proc.wait()
        raise
    output = "\n".join(filter(None, [stdout, stderr]))
    seconds = time.monotonic() - started
    return DbtResult(proc.returncode, output, seconds, read_run_results(results_file), command)


def _wait(proc: subprocess.Popen) -> tuple[str, str]:
    """dbt's output once it ends; a stop asked for in the admin ends it first (the model it
    was writing rolls back with its DuckDB transaction: nothing is half-written)."""
    while True:
        try:
            return proc.communicate(timeout=stopping.POLL_SECONDS)
        except subprocess.TimeoutExpired:
            if stopping.requested():
                raise stopping.RunStopped("Stopped while dbt was building.") from None


def _die_with_parent() -> None:
    """In the child: get SIGKILL if this process dies (even by kill -9), because the
    pipeline lock dies with it and dbt must not keep writing the warehouse unlocked."""
    if _PRCTL is not None:  # Linux only; elsewhere the interrupt handling above applies
        _PRCTL(PR_SET_PDEATHSIG, signal.SIGKILL)


def read_run_results(path: Path) -> list[dict]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return []
    return [_node(result) for result in data.get("results", [])]


def _node(result: dict) -> dict:
    unique_id = result.get("unique_id", "")
    parts = unique_id.split(".")  # model.atlas.stg_orders, test.atlas.<name>.<hash>
    adapter = result.get("adapter_response") or {}
    return {
        "unique_id": unique_id,
        "name": parts[2] if len(parts) > 2 else unique_id,
        "type": parts[0],
        "status": str(result.get("status", "")),
        "seconds": round(float(result.get("execution_time") or 0), 3),
        "rows_affected": adapter.get("rows_affected"),
        "failures": result.get("failures"),
        "message": result.get("message") or "",
    }


def failure_message(result: DbtResult) -> str:
    if result.failed:
        parts = [_describe_failure(node) for node in result.failed]
        text = "dbt build failed: " + "; ".join(parts)
        if result.skipped:
            text += f" ({len(result.skipped)} downstream node(s) skipped)"
        return text
    # No node failed: dbt stopped before running any (bad project, bad --select, no DB).
    return f"dbt build failed (exit code {result.returncode}): {_error_excerpt(result)}"


def _error_excerpt(result: DbtResult) -> str:
    lines = result.tail(40)
    first = next((i for i, line in enumerate(lines) if "error" in line.lower()), None)
    picked = lines[first : first + 3] if first is not None else lines[-1:]
    return " ".join(line.strip() for line in picked) or "no output"


def _describe_failure(node: dict) -> str:
    if node["type"] == "test" and node["failures"]:
        return f"test {node['name']} failed ({node['failures']} failing row(s))"
    first_line = (node["message"].strip().splitlines() or [node["status"]])[0]
    return f"{node['type']} {node['name']} {node['status']}: {first_line}"
