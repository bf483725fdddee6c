"""Queueing work for the django-q2 worker, and running it there.

The admin actions call `enqueue()` and the schedules `create_queued_run()`; the worker's
task calls `execute()`. Both sides guard against running the same work twice: `enqueue`
refuses while an equal run is queued or running, and `execute` claims the queued row with a
conditional update (see runs.record_pipeline_start).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from pipeline_ops.models import Entity, PipelineRun
from pipeline_ops.pipeline import registry
from pipeline_ops.pipeline.errors import PipelineError
from pipeline_ops.pipeline.period import MonthRange
from pipeline_ops.pipeline.registry import CHAIN
from pipeline_ops.pipeline.runs.calls import StageCall, recorded
from pipeline_ops.pipeline.runs.records import AlreadyClaimed
from pipeline_ops.pipeline.runs.recovery import mark_abandoned_runs
from pipeline_ops.pipeline.runs.stage_run import StageContext

log = logging.getLogger(__name__)

ACTIVE = PipelineRun.ACTIVE


class AlreadyActive(PipelineError):
    pass


@dataclass(frozen=True)
class Work:
    stage: str
    entity: str
    year: int
    months: MonthRange | None = None
    report_type: str = "monthly"
    then: tuple[str, ...] = ()
    # More of the stage's `run_options` (a transform's select) and `rerun_of` (control.py)
    extra: tuple[tuple[str, Any], ...] = ()

    @property
    def options(self) -> dict:
        return {"report_type": self.report_type, "then": list(self.then), **dict(self.extra)}


def enqueue(work: Work, *, user=None, trigger: str = "admin") -> PipelineRun:
    run = create_queued_run(work, user=user, trigger=trigger)
    from django_q.tasks import async_task

    task_id = async_task("pipeline_ops.tasks.execute_run", run.pk, task_name=f"{run}"[:100])
    PipelineRun.objects.filter(pk=run.pk).update(task_id=task_id or "")
    run.task_id = task_id or ""
    return run


def create_queued_run(work: Work, *, user=None, trigger: str = "admin") -> PipelineRun:
    """Refuse while the same work is queued or running (by a live process); the entity row
    lock serialises this."""
    with transaction.atomic():
        entity = Entity.objects.select_for_update().get(code=work.entity)
        start, end = (work.months.start, work.months.end) if work.months else (None, None)
        same = PipelineRun.objects.filter(
            entity=entity, year=work.year, stage=work.stage, month=start, month_end=end,
            status__in=ACTIVE, parent__isnull=True,
        )  # fmt: skip
        same = _same_unit(same, work.options.get("unit"))
        active = same.first()
        if active is not None and active.status == PipelineRun.Status.RUNNING:
            # Its process may be dead (kill -9, OOM) with nothing recovered yet: recover
            # here, so an abandoned run never blocks launching the same work again.
            mark_abandoned_runs()
            active = same.first()
        if active is not None:
            what = f"{work.stage} {work.entity} {work.year}"
            raise AlreadyActive(f"{what} is already {active.status} (run {active.pk}).")
        return PipelineRun.objects.create(
            entity=entity, year=work.year, month=start, month_end=end, stage=work.stage,
            triggered_by=user, trigger=trigger, options=work.options,
        )  # fmt: skip


def _same_unit(runs, unit: str | None):
    """A unit report is other work than the whole entity's report of the same period (or
    the other unit's): each may be queued while another is."""
    return runs.filter(options__unit=unit) if unit else runs.exclude(options__has_key="unit")


def execute(run_pk: int) -> str:
    """Run a queued PipelineRun. Returns a summary for the django-q2 task result."""
    run = PipelineRun.objects.select_related("entity").get(pk=run_pk)
    if run.status != PipelineRun.Status.QUEUED:
        # Cancelled before a worker took it, or a redelivered task (the broker's retry after
        # a worker died): never run twice. A cancel after this check still wins: the stage
        # claims the run with an update conditional on 'queued' (records._claim).
        log.info("run %s is %s: not started", run.pk, run.status)
        return f"Run {run.pk} is {run.status}; not started again."
    log.info("run %s started: %s", run.pk, run)  # one line per task start, end or failure
    try:
        _call(run.stage, run, queued=run)
    except AlreadyClaimed as exc:
        return str(exc)
    except Exception as exc:
        _fail_if_unfinished(run, exc)
        run.refresh_from_db(fields=["status", "error_message"])
        if run.status == PipelineRun.Status.CANCELLED:  # stopped from the admin: no alarm
            log.info("run %s stopped: %s", run.pk, run.error_message)
            return f"stopped: {run.error_message}"
        log.warning("run %s failed: %s", run.pk, str(exc).splitlines()[0] if str(exc) else exc)
        from pipeline_ops.pipeline.runs.notify import notify_failure

        notify_failure(PipelineRun.objects.get(pk=run.pk))
        return f"failed: {exc}"
    log.info("run %s succeeded: %s", run.pk, run)
    return f"{run.stage} {run.entity.code} {run.year}: success"


def recover_after_dead_workers(who: str) -> None:
    """What a killed worker left unfinished: runs left running, workbook versions left
    previewing or accepting, report e-mails left sending (each recovery in its module)."""
    from pipeline_ops.pipeline.intake.recovery import recover_versions
    from pipeline_ops.pipeline.reports.delivery import requeue_stuck

    for run in mark_abandoned_runs():
        log.warning("%s: run %s was abandoned by a dead process", who, run.pk)
    for version in recover_versions():
        log.warning("%s: workbook version %s left %s by a dead worker, recovered",
                    who, version.pk, version.status)  # fmt: skip
    if stuck := requeue_stuck():
        log.warning("%s: %s report e-mail(s) left sending were queued again", who, stuck)


def recover_on_worker_start(sender=None, proc_name: str = "", **_) -> None:
    """django-q2 `post_spawn`: a worker (re)started, e.g. after its predecessor was killed
    mid-run; recover what that one left unfinished right away."""
    try:
        recover_after_dead_workers(proc_name)
    except Exception:  # never keep a worker from starting
        log.exception("crash recovery at worker start failed")


def connect_worker_signal() -> None:
    """Called from PipelineOpsConfig.ready(), so every qcluster connects it before forking."""
    from django_q.signals import post_spawn

    post_spawn.connect(recover_on_worker_start, dispatch_uid="atlas-ops-recovery")


@recorded(CHAIN, options=("then", "report_type"))
def run_chain(call: StageCall, ctx: StageContext) -> None:
    """Several stages as one run: it stays running until the last of them is done."""
    queued = PipelineRun.objects.select_related("entity").get(pk=ctx.run.pk)
    for stage in call.option("then", ()):
        child = _call(stage, queued, parent=ctx.run, chained=True)
        ctx.log(f"{stage}: run {child.pk}")


def _call(name: str, run: PipelineRun, *, chained: bool = False, **kwargs) -> PipelineRun:
    """A launchable stage with the options the queued run carries for it; any stage of the
    registry when the queued run re-runs a recorded one (a failed `manage.py extract`)."""
    stage = registry.STAGES.get(name)
    rerun = not chained and "rerun_of" in run.options
    # A chain's stages come from code (a schedule's or a form's `then`), never from a person.
    if stage is None or not (stage.launchable or rerun or chained) or (chained and name == CHAIN):
        raise PipelineError(f"Run {run.pk}: '{name}' is not a stage that can be launched.")
    options = {key: run.options[key] for key in stage.run_options if key in run.options}
    months = MonthRange.of(run.month, run.month_end)
    return stage.function(run.entity.code, run.year, months, **options, **kwargs)


def _fail_if_unfinished(run: PipelineRun, exc: Exception) -> None:
    """A failure before the stage claimed its row (or after it died) must not stay queued."""
    if not isinstance(exc, PipelineError):
        log.exception("run %s crashed", run.pk)
    PipelineRun.objects.filter(pk=run.pk, status__in=ACTIVE).update(
        status=PipelineRun.Status.FAILED,
        completed_at=timezone.now(),
        error_message=str(exc) or type(exc).__name__,
    )
