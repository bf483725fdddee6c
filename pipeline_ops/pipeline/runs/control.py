"""Control of queued and finished runs: cancel what has not started, re-run what failed.

Cancel moves a queued top-level run to `cancelled` with an update conditional on `queued`,
the same kind of claim a worker makes to start it (records._claim): whichever comes first
wins, so a cancelled run is never started and a started run is never marked cancelled.
Stopping a run that is already running is not offered (see docs/admin.md).

Re-run queues a failed or cancelled run's work again with the parameters it was recorded
with (stage, entity, year, months, the stage's `run_options`); a child stage re-runs the
top-level run it belonged to, since that is the work someone asked for.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone

from pipeline_ops.models import PipelineRun
from pipeline_ops.pipeline import registry
from pipeline_ops.pipeline.errors import PipelineError
from pipeline_ops.pipeline.period import MonthRange
from pipeline_ops.pipeline.runs.launch import Work, enqueue
from pipeline_ops.pipeline.runs.records import root_of

Status = PipelineRun.Status


def cancel(runs: Iterable[PipelineRun], user=None) -> list[int]:
    """Cancel the queued top-level runs among `runs`; returns the ids it cancelled."""
    who = user.get_username() if user is not None else "an operator"
    cancelled = []
    for run in runs:
        claimed = PipelineRun.objects.filter(
            pk=run.pk, status=Status.QUEUED, parent__isnull=True
        ).update(
            status=Status.CANCELLED,
            completed_at=timezone.now(),
            error_message=f"Cancelled by {who} before it started.",
        )
        if claimed:
            cancelled.append(run.pk)
    return cancelled


def rerun_work(run: PipelineRun) -> Work:
    """The work `run` (a top-level run) did, as it was recorded, marked as a re-run of it."""
    stage = registry.get(run.stage)
    options = {key: run.options[key] for key in stage.run_options if key in run.options}
    report_type = options.pop("report_type", "monthly")
    then = tuple(options.pop("then", ()))
    return Work(
        run.stage, run.entity.code, run.year, MonthRange.of(run.month, run.month_end),
        report_type, then, extra=(*sorted(options.items()), ("rerun_of", run.pk)),
    )  # fmt: skip


def rerun(runs: Iterable[PipelineRun], user=None) -> tuple[list[PipelineRun], list[str]]:
    """Queue the failed or cancelled `runs` again (each top-level run once); returns the new
    runs and, for work that could not be queued (the same already queued), the reasons."""
    queued: list[PipelineRun] = []
    refused: list[str] = []
    seen: set[int] = set()
    for run in runs:
        root = root_of(run)
        if run.status not in PipelineRun.RERUNNABLE or root.pk in seen:
            continue
        seen.add(root.pk)
        try:
            queued.append(enqueue(rerun_work(root), user=user, trigger="admin"))
        except PipelineError as exc:
            refused.append(str(exc))
    return queued, refused
