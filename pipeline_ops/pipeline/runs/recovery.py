"""Crash recovery: runs left 'running' by a process that died (kill -9, OOM killer, power cut).

A running PipelineRun records who runs it in `options["process"]`: host, pid and the
process start time from /proc (so a recycled pid is not mistaken for the dead process).
A run is abandoned when that process no longer exists on this host. Runs of other hosts
are left to their own host's recovery.

The Django rows are fixed wherever recovery runs (stage start, worker start, a launch that
finds the same work still 'running', `manage.py recover_runs`); the DuckDB `_pipeline_runs`
rows only under the pipeline lock, the next time a stage opens the warehouse
(`fix_warehouse_runs`).
"""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from django.utils import timezone

from pipeline_ops.models import PipelineRun

if TYPE_CHECKING:  # the driver loads where a warehouse is opened, not with the admin
    import duckdb

ABANDONED = (
    "Abandoned: the process running this {stage} (pid {pid} on {host}) died{during} before "
    "it finished (killed, out of memory or a restart). Marked failed by crash recovery; "
    "nothing it was writing was kept. Re-run it."
)
LOST = (
    "Never started: its queue task was lost (the worker stopped before taking it). "
    "Marked failed by `recover_runs --queued-older-than`; re-run it."
)
WAREHOUSE_ABANDONED = "Abandoned: the process running this stage died before it finished."


def _stat(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat from field 3 (state) on; None if no such process."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()  # the name in (...) may contain spaces


def process_start(pid: int) -> int | None:
    fields = _stat(pid)
    return int(fields[19]) if fields else None  # field 22: start time in clock ticks


def identity(pid: int | None = None) -> dict:
    pid = pid or os.getpid()
    return {"host": socket.gethostname(), "pid": pid, "start": process_start(pid)}


def is_alive(run: PipelineRun) -> bool:
    """Whether the process recorded on `run` still exists (True when we cannot judge)."""
    return process_alive(run.options.get("process") or {}, run.pid)


def process_alive(proc: dict, pid: int | None = None) -> bool:
    """Whether the process `identity()` described still exists (True when we cannot judge:
    no pid, or another host's process)."""
    pid = proc.get("pid") or pid
    if not pid or proc.get("host", socket.gethostname()) != socket.gethostname():
        return True
    if not Path("/proc").is_dir():  # no procfs (macOS): the pid alone has to do
        return _signalable(pid)
    fields = _stat(pid)
    if fields is None or fields[0] in ("Z", "X"):  # gone, or dead and not yet reaped
        return False
    return proc.get("start") in (None, int(fields[19]))


def _signalable(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def mark_abandoned_runs() -> list[PipelineRun]:
    """Mark running runs whose process died as failed; returns them. Cheap when none run."""
    running = list(PipelineRun.objects.filter(status=PipelineRun.Status.RUNNING))
    dead = [run for run in running if not is_alive(run)]
    now = timezone.now()
    marked = []
    for run in dead:
        message = ABANDONED.format(
            stage=run.stage, pid=run.pid, during=_during(run, dead),
            host=(run.options.get("process") or {}).get("host", "this host"),
        )  # fmt: skip
        # Conditional: a concurrent recovery (another worker starting) may have done it.
        if PipelineRun.objects.filter(pk=run.pk, status=PipelineRun.Status.RUNNING).update(
            status=PipelineRun.Status.FAILED, completed_at=now, error_message=message
        ):
            marked.append(run)
    return marked


def _during(run: PipelineRun, dead: list[PipelineRun]) -> str:
    """' during sync/load' for a parent whose child stage was running when it died."""
    path = []
    current = run
    while child := next((r for r in dead if r.parent_id == current.pk), None):
        path.append(child.stage)
        current = child
    return f" during {'/'.join(path)}" if path else ""


def mark_lost_queued_runs(older_than: timedelta) -> list[PipelineRun]:
    """Queued runs no worker took within `older_than`: their task was lost (operator's call)."""
    cutoff = timezone.now() - older_than
    stale = list(PipelineRun.objects.filter(status=PipelineRun.Status.QUEUED, created__lt=cutoff))
    PipelineRun.objects.filter(
        pk__in=[r.pk for r in stale], status=PipelineRun.Status.QUEUED
    ).update(status=PipelineRun.Status.FAILED, completed_at=timezone.now(), error_message=LOST)
    return stale


def fix_warehouse_runs(con: duckdb.DuckDBPyConnection) -> int:
    """Under the lock: `_pipeline_runs` rows still 'running' that no live run owns → failed.

    The caller holds the lock, so the only runs really in progress are its own (a sync
    starting its stages); a row without such a live Django run died with its process.
    """
    live = list(
        PipelineRun.objects.filter(
            status=PipelineRun.Status.RUNNING, warehouse_id__isnull=False
        ).values_list("warehouse_id", flat=True)
    )
    sql = "UPDATE _pipeline_runs SET status = 'failed', completed_at = ?, error_message = ?"
    sql += " WHERE status = 'running'"
    params: list = [datetime.now(UTC).replace(tzinfo=None), WAREHOUSE_ABANDONED]
    if live:
        sql += f" AND id NOT IN ({', '.join('?' * len(live))})"
        params += live
    (count,) = con.execute(sql, params).fetchone()
    return count


def recover(con: duckdb.DuckDBPyConnection | None = None) -> list[PipelineRun]:
    """Django rows always; DuckDB rows too when the caller holds the lock and passes `con`."""
    marked = mark_abandoned_runs()
    if con is not None:
        fix_warehouse_runs(con)
    return marked
