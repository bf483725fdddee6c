"""A real django-q2 worker (`manage.py qcluster`) in a subprocess, sharing the test database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from django.conf import settings
from django.db import connection

from pipeline_ops.models import PipelineRun

ROOT = Path(__file__).resolve().parent.parent


def database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def worker_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(
        PIPELINE_DATA_DIR=str(data_dir),
        DATABASE_URL=database_url(),
        Q_CLUSTER_NAME=settings.Q_CLUSTER["name"],
    )  # this test process's own queue
    return env


@contextmanager
def running_worker(data_dir: Path, workers: int = 1) -> Iterator[subprocess.Popen]:
    log = (data_dir / "qcluster.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=ROOT, env={**worker_env(data_dir), "Q_WORKERS": str(workers)},
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        yield proc
    finally:
        # SIGTERM to the cluster's main process only: it stops its own processes in under a
        # second. Sent to the whole group, it hangs until the timeout below.
        os.kill(proc.pid, signal.SIGTERM)
        with suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=30)
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # whatever is left (a dbt child)
        proc.wait()
        log.close()


def child_pids(pid: int) -> list[int]:
    """The processes whose parent is `pid` (Linux: reads /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def dbt_children(pid: int) -> list[int]:
    """The children of `pid` running dbt (transform starts `dbt build` as one)."""
    found = []
    for child in child_pids(pid):
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(Path(part.decode(errors="replace")).name == "dbt" for part in command):
            found.append(child)
    return found


def wait_for_run(run_pk: int, timeout: float = 240) -> PipelineRun:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = PipelineRun.objects.get(pk=run_pk)
        if not run.is_active:
            return run
        time.sleep(0.5)
    raise AssertionError(f"run {run_pk} still {run.status} after {timeout}s")
