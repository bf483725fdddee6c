"""The admin index banner: what needs a person now. Open failures (failures no later
success of the same work has cleared, read from the month-state record), blocked months,
and whether a django-q2 worker is there to take queued runs.

Reads the Django records and django-q2's cluster stats (`Stat.get_all()`: the broker's
cache with the ORM broker, Redis with Redis); never the warehouse.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db.models import QuerySet
from django_q.conf import Conf
from django_q.status import Stat

from pipeline_ops.models import MonthState, PipelineRun
from pipeline_ops.pipeline import access
from pipeline_ops.pipeline.runs.records import root_of
from pipeline_ops.pipeline.state.read import open_failures

log = logging.getLogger(__name__)


def failing(runs: QuerySet | None = None) -> QuerySet:
    """The launched runs whose failure is still open (the banner's count, its link's list).
    The record keeps the stage that failed (a sync's extract, a report's format); the run
    list shows what was launched, so each failure is listed by the run it belongs to."""
    runs = PipelineRun.objects.all() if runs is None else runs
    stages = PipelineRun.objects.filter(pk__in=open_failures()).select_related("parent__parent")
    return runs.filter(pk__in={root_of(stage).pk for stage in stages})


@dataclass(frozen=True)
class Workers:
    known: bool  # False: the broker could not be asked (Redis down)
    clusters: int = 0
    processes: int = 0

    @property
    def running(self) -> bool:
        return self.clusters > 0


def workers() -> Workers:
    """The django-q2 clusters alive now: each one saves its stat every few seconds with a
    short expiry, so a stopped or killed cluster drops out on its own."""
    try:
        stats = Stat.get_all()
    except Exception:  # the banner must never take the admin index down
        log.warning("could not read the django-q2 cluster stats", exc_info=True)
        return Workers(known=False)
    live = [stat for stat in stats if str(stat.status) != str(Conf.STOPPED)]
    return Workers(True, len(live), sum(len(stat.workers or ()) for stat in live))


@dataclass(frozen=True)
class Banner:
    failed: int  # launched runs whose failure nothing has cleared yet (months' and reports')
    blocked: int  # (entity, year, month) records validation blocks, active entities
    queued: int  # launched runs waiting for a worker
    workers: Workers


def banner(user) -> Banner:
    """The counts of `user`'s own entities (pipeline/access.py): another's never show."""
    runs = access.visible(user, PipelineRun.objects.all())
    queued = runs.filter(status=PipelineRun.Status.QUEUED, parent__isnull=True)
    blocked = access.visible(user, MonthState.objects.filter(entity__active=True,
                                                             blocked_errors__gt=0))  # fmt: skip
    return Banner(
        failed=failing(runs).count(),
        blocked=blocked.count(),
        queued=queued.count(),
        workers=workers(),
    )
