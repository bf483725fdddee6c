"""The pipeline lock: one process at a time may open the DuckDB warehouse (docs/admin.md).

An `fcntl.flock` on `<PIPELINE_DATA_DIR>/pipeline.lock`. The kernel drops it when the
holder dies (even on kill -9), so a dead process never leaves a stale lock behind; the
holder's description written into the file is only informational. Re-entrant within a
process so `sync` can hold it across its stages.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

from pipeline_ops.pipeline.errors import LockTimeout
from pipeline_ops.pipeline.paths import data_dir

_depth = 0
_handle = None
POLL_SECONDS = 0.1


def lock_path() -> Path:
    return data_dir() / "pipeline.lock"


def read_holder(path: Path | None = None) -> dict:
    try:
        return json.loads((path or lock_path()).read_text() or "{}")
    except (OSError, ValueError):
        return {}


def describe(holder: dict) -> str:
    if not holder:
        return "another process"
    parts = [f"run {holder['run_id']}" if holder.get("run_id") else None]
    parts += [holder.get("stage"), holder.get("entity"), f"pid {holder.get('pid')}"]
    return " ".join(str(p) for p in parts if p)


def _try_lock(handle) -> bool:
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


def _acquire(handle, timeout: float, on_wait: Callable[[str], None] | None) -> None:
    started = time.monotonic()
    deadline = started + timeout
    announced = False
    while not _try_lock(handle):
        holder = read_holder()
        # The holder describes itself just after locking and adds its run id once the run
        # is recorded; give it a moment so the one line we print names the run.
        if not announced and on_wait and (holder.get("run_id") or time.monotonic() - started > 1):
            on_wait(f"Waiting for the pipeline lock held by {describe(holder)}…")
            announced = True
        if time.monotonic() >= deadline:
            raise LockTimeout(
                f"Gave up after {timeout:g}s waiting for the pipeline lock held by "
                f"{describe(read_holder())}; try again when it finishes "
                "(PIPELINE_LOCK_TIMEOUT sets the wait)."
            )
        time.sleep(POLL_SECONDS)


@contextmanager
def pipeline_lock(
    holder: dict | None = None,
    timeout: float | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[None]:
    global _depth, _handle
    if _depth:
        _depth += 1
        try:
            yield
        finally:
            _depth -= 1
        return
    path = lock_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        _acquire(handle, settings.PIPELINE_LOCK_TIMEOUT if timeout is None else timeout, on_wait)
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"pid": os.getpid(), **(holder or {})}))
        handle.flush()
        _depth, _handle = 1, handle
        try:
            yield
        finally:
            _depth, _handle = 0, None
            handle.truncate(0)
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def update_holder(**info) -> None:
    """Refresh what waiters are told (e.g. the run id once it is known)."""
    if _handle is None:
        return
    current = read_holder()
    current.update({k: v for k, v in info.items() if v is not None})
    _handle.seek(0)
    _handle.truncate()
    _handle.write(json.dumps(current))
    _handle.flush()


def is_held() -> bool:
    return _depth > 0
