"""A schedule's work, once, now (the Schedule admin's *Run now*; docs/admin.md).

Queues exactly what the schedule's next run would queue, with the name of the person who
asked on the run (trigger `run_now`: subscribers get its report by mail, as from the
schedule), and leaves the schedule alone: its next run and repeats do not move. Only the
product's own task functions (schedules.TASK_FUNCTIONS) can be run, with their arguments
checked as a saved schedule's are; the run a schedule last made is found here too.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django_q.models import Schedule

from pipeline_ops.models import SCHEDULED_TRIGGERS, Entity, PipelineRun
from pipeline_ops.pipeline import access
from pipeline_ops.pipeline.errors import PipelineError
from pipeline_ops.pipeline.runs import schedules
from pipeline_ops.pipeline.runs.launch import enqueue


def run_now(schedule: Schedule, user) -> str:
    """What was queued, in words; PipelineError when the schedule names other work."""
    if schedule.func not in schedules.TASK_FUNCTIONS:
        raise PipelineError(f"{schedule.name}: {schedule.func} is not a product task.")
    args, kwargs = _arguments(schedule)
    if schedule.func == schedules.TASK:
        run = enqueue(schedules.scheduled_work(*args, **kwargs), user=user, trigger="run_now")
        return f"{schedule.name}: queued run {run.pk} ({run.stage} {run.entity.code} {run.year})"
    from django_q.tasks import async_task

    async_task(schedule.func, *args, **kwargs, task_name=f"{schedule.name} (run now)"[:100])
    return f"{schedule.name}: queued for the worker"


def _arguments(schedule: Schedule) -> tuple[tuple, dict]:
    try:
        schedules.validate_schedule(schedule.func, schedule.hook, schedule.args, schedule.kwargs)
    except ValidationError as exc:  # the stored function or arguments are not allowed
        raise PipelineError(f"{schedule.name}: its arguments are not allowed ({exc}).") from None
    return schedules.call_arguments(schedule.args, schedule.kwargs)


def allowed(user, queryset, role: str) -> list[Schedule]:
    """The schedules whose work `user` holds in `role` (pipeline/access.py): an entity's
    monthly schedule for that entity's members; the nightly sync and other product tasks,
    which touch every entity, for members of every entity."""
    held = access.access(user)
    found = []
    for schedule in queryset:
        entity = _entity_code(schedule)
        if entity is None:
            ok = held.ids(role) is None
        else:
            ok = held.may(Entity.objects.filter(code=entity).values_list("pk", flat=True).first(),
                          role)  # fmt: skip
        if ok:
            found.append(schedule)
    return found


def _entity_code(schedule: Schedule) -> str | None:
    """The entity a product schedule runs for; None for other work or stored arguments this
    admin would not save."""
    if schedule.func != schedules.TASK:
        return None
    try:
        args, _ = _arguments(schedule)
    except PipelineError:
        return None
    return args[1] if len(args) > 1 else None


def last_runs(queryset) -> dict[int, PipelineRun]:
    """Schedule id → the newest launched run a schedule (or its Run now) made: the runs of
    its entity launched by a schedule; for the nightly sync, any scheduled sync."""
    found: dict[int, PipelineRun] = {}
    launched = PipelineRun.objects.filter(parent__isnull=True, trigger__in=SCHEDULED_TRIGGERS)
    for schedule in queryset:
        runs = _made_by(schedule, launched)
        newest = runs.select_related("entity").order_by("-id").first() if runs is not None else None
        if newest is not None:
            found[schedule.pk] = newest
    return found


def _made_by(schedule: Schedule, launched: QuerySet) -> QuerySet | None:
    if schedule.func == schedules.NIGHTLY_TASK:
        return launched.filter(stage="sync")
    entity = _entity_code(schedule)  # None: not an entity's, or one this admin would not save
    return None if entity is None else launched.filter(entity__code=entity)
