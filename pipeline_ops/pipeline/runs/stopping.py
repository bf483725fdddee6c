"""Stopping a running run (docs/admin.md, "Stopping a run").

The admin only asks: `request_stop` marks the top-level run with an update conditional on
`running`. The process running it honours the request at safe points only, so nothing is
left half-written:
- before each stage of a sync or chain starts (`refuse_if_stopped`, in `stage_run`);
- while dbt runs (`requested`, polled by pipeline/dbt.py): dbt is terminated, and the model
  it was writing rolls back with its own DuckDB transaction;
- DuckDB statements, a load's transaction and an ops DB publish are never cut: they finish
  or fail as one, and the stop lands at the next stage.
A stage that ends because of a stop is recorded `cancelled`, and so is every run above it.
"""

from __future__ import annotations

import time
from contextvars import ContextVar, Token

from django.db import DatabaseError
from django.utils import timezone

from pipeline_ops.models import PipelineRun
from pipeline_ops.pipeline.errors import PipelineError
from pipeline_ops.pipeline.runs.records import root_of

POLL_SECONDS = 0.5
Status = PipelineRun.Status

# The top-level run of the stage this process is running, and when it was last checked.
_root: ContextVar[list | None] = ContextVar("stop_root", default=None)


class RunStopped(PipelineError):
    """Raised at a safe point after someone asked the run to stop."""


def request_stop(run: PipelineRun, user=None) -> bool:
    """Ask the running top-level `run` to stop; False if it is not running (any more)."""
    who = user.get_username() if user is not None else "an operator"
    return bool(
        PipelineRun.objects.filter(
            pk=run.pk, status=Status.RUNNING, parent__isnull=True, stop_requested_at__isnull=True
        ).update(stop_requested_at=timezone.now(), stop_requested_by=who)
    )


def stop_request(run: PipelineRun) -> str | None:
    """Who asked `run`'s top-level run to stop, or None (read fresh from the database)."""
    try:
        row = (
            PipelineRun.objects.filter(pk=root_of(run).pk, stop_requested_at__isnull=False)
            .values_list("stop_requested_by", flat=True)
            .first()
        )
    except DatabaseError:  # the failure being recorded may be the database's own
        return None
    return None if row is None else (row or "an operator")


def refuse_if_stopped(parent: PipelineRun | None, stage: str) -> None:
    """Before a stage inside `parent` starts: a stop asked for ends the work here."""
    who = stop_request(parent) if parent is not None else None
    if who is not None:
        raise RunStopped(f"Stopped by {who} before {stage} started.")


def stopped_text(run: PipelineRun, stage: str, exc: BaseException | None = None) -> str | None:
    """The cancelled run's message when `run` ended because of a stop request, else None:
    where the work was when it stopped (a sync's transform, or before its validate)."""
    who = stop_request(run)
    if who is None:
        return None
    while exc is not None and not isinstance(exc, RunStopped):
        exc = exc.__cause__ or exc.__context__
    if exc is not None and str(exc).startswith("Stopped by"):
        return str(exc)  # between stages: "Stopped by olga before validate started."
    return f"Stopped by {who} during {_innermost_stopped(run) or stage}."


def _innermost_stopped(run: PipelineRun) -> str | None:
    child = run.children.filter(status=Status.CANCELLED).order_by("-id").first()
    return (_innermost_stopped(child) or child.stage) if child is not None else None


def watch(run: PipelineRun) -> Token[list | None]:
    """Make `run`'s top-level run the one `requested()` checks; returns a reset token."""
    return _root.set([root_of(run).pk, 0.0, False])


def unwatch(token: Token[list | None]) -> None:
    _root.reset(token)


def requested() -> bool:
    """Has the run this process is working on been asked to stop? At most one query per
    POLL_SECONDS, so a polling loop (dbt's) costs nothing noticeable."""
    state = _root.get()
    if state is None:
        return False
    pk, checked, seen = state
    if not seen and time.monotonic() - checked >= POLL_SECONDS:
        state[1] = time.monotonic()
        state[2] = PipelineRun.objects.filter(pk=pk, stop_requested_at__isnull=False).exists()
    return state[2]
