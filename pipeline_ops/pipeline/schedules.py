"""Nightly and monthly django-q2 Schedules (DESIGN §8), created idempotently."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.utils import timezone
from django_q.models import Schedule

from ..models import Entity
from .cli import MonthRange
from .launch import Work, create_queued_run, execute

TASK = "pipeline_ops.tasks.scheduled"
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
    """One nightly sync and one monthly publish+report per active entity. Returns (made, kept)."""
    made = kept = 0
    for entity in Entity.objects.filter(active=True):
        specs = [
            (f"Nightly sync {entity.code}", "sync", Schedule.DAILY,
             _next_at(timezone.localtime(), NIGHTLY_AT)),
            (f"Monthly publish + report {entity.code}", "publish", Schedule.MONTHLY,
             _first_of_next_month(MONTHLY_AT)),
        ]  # fmt: skip
        for name, stage, kind, next_run in specs:
            _, created = Schedule.objects.get_or_create(
                name=name,
                defaults={
                    "func": TASK,
                    "args": repr((stage, entity.code)),
                    "schedule_type": kind,
                    "next_run": next_run,
                    "repeats": -1,
                },
            )
            made, kept = (made + 1, kept) if created else (made, kept + 1)
    return made, kept


def scheduled_work(stage: str, entity: str, today=None) -> Work:
    today = today or timezone.localdate()
    if stage == "sync":
        return Work("sync", entity, today.year)
    previous = today.replace(day=1) - timedelta(days=1)
    month = MonthRange(previous.month, previous.month)
    return Work("chain", entity, previous.year, month, "monthly", then=("publish", "report"))


def launch_scheduled(stage: str, entity: str, year=None, month=None) -> str:
    work = scheduled_work(stage, entity)
    if year:
        work = Work(work.stage, entity, year, MonthRange(month, month) if month else work.months,
                    work.report_type, work.then)  # fmt: skip
    run = create_queued_run(work, trigger="schedule")
    return execute(run.pk)
