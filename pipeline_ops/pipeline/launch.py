"""Queueing work for the django-q2 worker, and running it there.

The admin actions, the schedules and `manage.py enqueue` call `enqueue()`; the worker's
task calls `execute()`. Both sides guard against running the same work twice: `enqueue`
refuses while an equal run is queued or running, and `execute` claims the queued row with a
conditional update (see runs.record_pipeline_start).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from ..models import Entity, PipelineRun
from .cli import MonthRange
from .errors import PipelineError
from .recovery import mark_abandoned_runs
from .runs import AlreadyClaimed, stage_run
from .sync import stage_function

log = logging.getLogger(__name__)

LAUNCHABLE = ("sync", "publish", "report")  # stages a queued run (or a chain) may name
CHAIN = "chain"  # a run whose options["then"] lists the stages it runs in order
ACTIVE = (PipelineRun.Status.QUEUED, PipelineRun.Status.RUNNING)


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

    @property
    def options(self) -> dict:
        return {"report_type": self.report_type, "then": list(self.then)}


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


def execute(run_pk: int) -> str:
    """Run a queued PipelineRun. Returns a summary for the django-q2 task result."""
    run = PipelineRun.objects.select_related("entity").get(pk=run_pk)
    if run.status != PipelineRun.Status.QUEUED:
        # A redelivered task (the broker's retry after a worker died): never run twice.
        return f"Run {run.pk} is {run.status}; not started again."
    months = MonthRange(run.month, run.month_end or run.month) if run.month else None
    try:
        if run.stage == CHAIN:
            _chain(run, months)
        else:
            _call(run.stage, run, months, queued=run)
    except AlreadyClaimed as exc:
        return str(exc)
    except Exception as exc:
        _fail_if_unfinished(run, exc)
        from .notify import notify_failure

        notify_failure(PipelineRun.objects.get(pk=run.pk))
        return f"failed: {exc}"
    return f"{run.stage} {run.entity.code} {run.year}: success"


def recover_on_worker_start(sender=None, proc_name: str = "", **_) -> None:
    """django-q2 `post_spawn`: a worker (re)started, e.g. after its predecessor was killed
    mid-run; fail what that one left running right away instead of at the next stage."""
    try:
        for run in mark_abandoned_runs():
            log.warning("%s: run %s was abandoned by a dead process", proc_name, run.pk)
    except Exception:  # never keep a worker from starting
        log.exception("crash recovery at worker start failed")


def connect_worker_signal() -> None:
    """Called from PipelineOpsConfig.ready(), so every qcluster connects it before forking."""
    from django_q.signals import post_spawn

    post_spawn.connect(recover_on_worker_start, dispatch_uid="atlas-ops-recovery")


def _chain(run: PipelineRun, months: MonthRange | None) -> None:
    """Several stages as one run: it stays running until the last of them is done."""
    with stage_run(CHAIN, run.entity.code, run.year, months, queued=run) as ctx:
        for stage in run.options.get("then", []):
            child = _call(stage, run, months, parent=ctx.run)
            ctx.log(f"{stage}: run {child.pk}")


def _call(stage: str, run: PipelineRun, months: MonthRange | None, **kw) -> PipelineRun:
    kwargs = dict(kw)
    if stage == "report":
        kwargs["report_type"] = run.options.get("report_type", "monthly")
    if stage not in LAUNCHABLE:
        raise PipelineError(f"Run {run.pk}: '{stage}' is not a stage that can be launched.")
    return stage_function(stage)(run.entity.code, run.year, months, **kwargs)


def _fail_if_unfinished(run: PipelineRun, exc: Exception) -> None:
    """A failure before the stage claimed its row (or after it died) must not stay queued."""
    if not isinstance(exc, PipelineError):
        log.exception("run %s crashed", run.pk)
    PipelineRun.objects.filter(pk=run.pk, status__in=ACTIVE).update(
        status=PipelineRun.Status.FAILED,
        completed_at=timezone.now(),
        error_message=str(exc) or type(exc).__name__,
    )
