"""The admin index banner: what needs a person now. Failed runs of the last 24 hours,
blocked months, and whether a django-q2 worker is there to take queued runs.

Reads the Django mirrors and django-q2's cluster stats (`Stat.get_all()`: the broker's
cache with the ORM broker, Redis with Redis); never the warehouse.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone
from django_q.conf import Conf
from django_q.status import Stat

from pipeline_ops.console.board import blocks
from pipeline_ops.models import PipelineRun

log = logging.getLogger(__name__)

FAILURE_WINDOW = timedelta(hours=24)


def failed_recently(runs: QuerySet | None = None, now: datetime | None = None) -> QuerySet:
    """Launched runs (no parent: a sync's failed stage counts once, as its sync) that failed
    within FAILURE_WINDOW."""
    since = (now or timezone.now()) - FAILURE_WINDOW
    runs = PipelineRun.objects.all() if runs is None else runs
    finished = Q(completed_at__gte=since) | Q(completed_at__isnull=True, created__gte=since)
    return runs.filter(finished, status=PipelineRun.Status.FAILED, parent__isnull=True)


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
    failed: int  # launched runs that failed in the last 24 h
    blocked: int  # (entity, year, month) cells validation blocks, active entities
    queued: int  # launched runs waiting for a worker
    workers: Workers


def banner() -> Banner:
    queued = PipelineRun.objects.filter(status=PipelineRun.Status.QUEUED, parent__isnull=True)
    return Banner(
        failed=failed_recently().count(),
        blocked=len(blocks(entity__active=True)),
        queued=queued.count(),
        workers=workers(),
    )
