"""Nightly and monthly django-q2 Schedules (docs/admin.md), created idempotently.

A Schedule names a Python callable by dotted path and the worker imports and calls it with
the stored args: whoever may write `func`, `hook`, `args` or `kwargs` runs code as the
worker. So the callables a Schedule may name, and the arguments each accepts, are listed
here (TASK_FUNCTIONS, HOOKS) and checked by the Schedule admin for everyone.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Callable
from datetime import datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django_q.models import Schedule

from pipeline_ops.models import Entity
from pipeline_ops.pipeline.period import MAX_YEAR, MIN_YEAR, MonthRange
from pipeline_ops.pipeline.registry import CHAIN, MONTHLY_CHAIN
from pipeline_ops.pipeline.reports.delivery import TASK as DELIVERY_TASK
from pipeline_ops.pipeline.runs.launch import Work, create_queued_run, execute

TASK = "pipeline_ops.tasks.scheduled"
NIGHTLY_TASK = "pipeline_ops.tasks.nightly_sync"
NIGHTLY_NAME = "Nightly sync (changed workbooks)"
STAGES = ("sync", "publish")  # what `scheduled_work` knows how to run
NIGHTLY_AT = time(2, 0)
MONTHLY_AT = time(4, 0)


def _next_at(day: datetime, at: time) -> datetime:
    candidate = timezone.make_aware(datetime.combine(day.date(), at))
    return candidate if candidate > timezone.now() else candidate + timedelta(days=1)


def _first_of_next_month(at: time) -> datetime:
    today = timezone.localdate()
    first = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    return timezone.make_aware(datetime.combine(first, at))


def setup_schedules() -> tuple[int, int]:
    """One nightly `sync --all --changed` (work in proportion to what changed, one dbt
    build) and one monthly publish+report per active entity. Returns (made, kept).
    The per-entity nightly syncs of earlier versions are removed."""
    Schedule.objects.filter(name__startswith="Nightly sync ", func=TASK).delete()
    specs = [(NIGHTLY_NAME, NIGHTLY_TASK, "()", Schedule.DAILY,
              _next_at(timezone.localtime(), NIGHTLY_AT))]  # fmt: skip
    for entity in Entity.objects.filter(active=True):
        specs.append((f"Monthly publish + report {entity.code}", TASK,
                      repr(("publish", entity.code)), Schedule.MONTHLY,
                      _first_of_next_month(MONTHLY_AT)))  # fmt: skip
    made = kept = 0
    for name, func, args, kind, next_run in specs:
        _, created = Schedule.objects.get_or_create(
            name=name,
            defaults={"func": func, "args": args, "schedule_type": kind,
                      "next_run": next_run, "repeats": -1},
        )  # fmt: skip
        made, kept = (made + 1, kept) if created else (made, kept + 1)
    return made, kept


def scheduled_work(stage: str, entity: str, year=None, month=None, today=None) -> Work:
    """What `scheduled(stage, entity, year, month)` runs: without a year, this year's sync
    or last month's publish + report chain; a year (and month) given names the period."""
    today = today or timezone.localdate()
    if stage == "sync":
        work = Work("sync", entity, today.year)
    else:
        previous = today.replace(day=1) - timedelta(days=1)
        month_range = MonthRange(previous.month, previous.month)
        work = Work(CHAIN, entity, previous.year, month_range, "monthly", then=MONTHLY_CHAIN)
    if not year:
        return work
    months = MonthRange(month, month) if month else work.months
    return Work(work.stage, entity, year, months, work.report_type, work.then)


def launch_scheduled(stage: str, entity: str, year=None, month=None) -> str:
    run = create_queued_run(scheduled_work(stage, entity, year, month), trigger="schedule")
    return execute(run.pk)


def check_scheduled_call(args: tuple, kwargs: dict) -> None:
    """The arguments `pipeline_ops.tasks.scheduled` accepts; ValueError says what is wrong."""
    from pipeline_ops.tasks import scheduled

    try:
        call = inspect.signature(scheduled).bind(*args, **kwargs).arguments
    except TypeError as exc:
        raise ValueError(f"{TASK} takes (stage, entity, year=None, month=None): {exc}.") from exc
    stage, entity = call.get("stage"), call.get("entity")
    year, month = call.get("year"), call.get("month")
    if stage not in STAGES:
        raise ValueError(f"stage {stage!r} is not one of {', '.join(STAGES)}.")
    if not isinstance(entity, str) or not Entity.objects.filter(code=entity).exists():
        raise ValueError(f"entity {entity!r} is not an existing entity code.")
    if year is not None and (type(year) is not int or not MIN_YEAR <= year <= MAX_YEAR):
        raise ValueError(f"year {year!r} is not a year ({MIN_YEAR}-{MAX_YEAR}).")
    if month is not None and (type(month) is not int or not 1 <= month <= 12 or year is None):
        raise ValueError(f"month {month!r} is not a month 1-12 (and needs a year).")


# The only callables a Schedule may name, each with the check of the arguments it takes.
def check_no_arguments(args: tuple, kwargs: dict) -> None:
    if args or kwargs:
        raise ValueError(f"{NIGHTLY_TASK} takes no arguments.")


def check_delivery_call(args: tuple, kwargs: dict) -> None:
    """A delivery's retry (pipeline/reports/delivery.py): one existing delivery's id."""
    from pipeline_ops.models import ReportDelivery

    if kwargs or len(args) != 1 or type(args[0]) is not int:
        raise ValueError(f"{DELIVERY_TASK} takes one report delivery id, e.g. (12,).")
    if not ReportDelivery.objects.filter(pk=args[0]).exists():
        raise ValueError(f"report delivery {args[0]} does not exist.")


TASK_FUNCTIONS: dict[str, Callable[[tuple, dict], None]] = {
    TASK: check_scheduled_call,
    NIGHTLY_TASK: check_no_arguments,
    DELIVERY_TASK: check_delivery_call,
}
HOOKS: frozenset[str] = frozenset()  # no product task needs a result hook


def _literal(text: str | None, what: str, empty):
    if not (text or "").strip():
        return empty
    try:
        return ast.literal_eval(text)  # literals only: never evaluates a name or a call
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError) as exc:
        raise ValueError(f"{what} must be a Python literal, e.g. {empty!r}.") from exc


def validate_schedule(func: str, hook: str | None, args: str | None, kwargs: str | None,
                      date_kwarg: str | None = None) -> None:  # fmt: skip
    """Raise a ValidationError keyed by field unless the worker would run only product code."""
    errors: dict[str, str] = {}
    if func not in TASK_FUNCTIONS:
        errors["func"] = f"{func!r} is not one of the task functions: {', '.join(TASK_FUNCTIONS)}."
    if hook and hook not in HOOKS:
        errors["hook"] = f"{hook!r} is not an allowed hook; leave it empty."
    if date_kwarg:
        errors["intended_date_kwarg"] = "The product's tasks take no intended date; leave it empty."
    if not errors:
        try:
            TASK_FUNCTIONS[func](*call_arguments(args, kwargs))
        except ValueError as exc:
            errors["args"] = str(exc)
    if errors:
        raise ValidationError(errors)


def call_arguments(args: str | None, kwargs: str | None) -> tuple[tuple, dict]:
    """A schedule's stored args and kwargs as the worker will call with them; ValueError
    unless both are literals (kwargs a dict)."""
    values = _literal(args, "args", ())
    named = _literal(kwargs, "kwargs", {})
    if not isinstance(named, dict):
        raise ValueError("kwargs must be a dict literal, e.g. {'year': 2026}.")
    # django-q2 turns a single value into a one-element tuple; do the same.
    return (values if type(values) is tuple else (values,)), named
