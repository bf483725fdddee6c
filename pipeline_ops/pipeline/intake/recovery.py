"""Versions a dead worker left `previewing` or `accepting` (docs/intake.md, "When a worker
dies"). A worker records who it is on the version when it takes it (`worker`, the
process identity runs use, runs/recovery.py); when that process no longer exists:

- a preview changed nothing: the version fails with a line saying so (the file may be
  what killed the worker, so it is not previewed again by itself);
- an accept either replaced the workbook (an atomic rename: it did or it did not) or not.
  Replaced: the version is made current, and it says no sync was queued. Not replaced: it
  is previewed again, ready to be accepted once more.

Run at worker start and by the nightly task, like the runs' recovery.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from pipeline_ops.models import WorkbookVersion
from pipeline_ops.pipeline.intake.versions import Status, claim, make_current
from pipeline_ops.pipeline.paths import source_workbook
from pipeline_ops.pipeline.runs.recovery import process_alive
from pipeline_ops.pipeline.workbook.sources import source_sha256

PREVIEW_DIED = (
    "The worker previewing this file stopped before it finished (killed or out of memory);"
    " nothing was changed. Upload it again to retry, or check that it is not too large."
)
ACCEPTED_NO_SYNC = (
    "Accepted, but the worker stopped before it queued a sync: sync {year} (Entities → Sync…)."
)
ACCEPT_DIED = (
    "The worker accepting this file stopped before it replaced the workbook: nothing was"
    " replaced. Accept it again."
)


OVERDUE = (
    "The worker stopped working on it: it took longer than a task may run ({seconds:,} s,"
    " Q_TIMEOUT); nothing was changed. Upload it again to retry."
)


def recover_versions() -> list[WorkbookVersion]:
    """Recover the versions whose worker died, or has been on them longer than a task may
    run (its task ended without a word); returns them."""
    busy = WorkbookVersion.objects.filter(status__in=(Status.PREVIEWING, Status.ACCEPTING))
    recovered = []
    for version in busy.exclude(worker={}).select_related("entity"):
        overdue = _overdue(version)
        if process_alive(version.worker) and not overdue:
            continue
        if version.status == Status.PREVIEWING:
            error = OVERDUE.format(seconds=_task_seconds()) if overdue else PREVIEW_DIED
            claim(version, Status.PREVIEWING, Status.FAILED, error=error)
        elif _replaced(version):
            make_current(version, version.decided_by,
                         error=ACCEPTED_NO_SYNC.format(year=version.year))  # fmt: skip
        else:
            claim(version, Status.ACCEPTING, Status.PREVIEWED, error=ACCEPT_DIED)
        recovered.append(version)
    return recovered


def _task_seconds() -> int:
    return int(settings.Q_CLUSTER.get("timeout") or 1800)


def _overdue(version: WorkbookVersion) -> bool:
    since = parse_datetime(str(version.worker.get("since") or ""))
    age = timezone.now() - since if since else None
    return age is not None and age.total_seconds() > _task_seconds()


def _replaced(version: WorkbookVersion) -> bool:
    entity = version.entity
    path = source_workbook(entity.code, version.year, entity.source_dir)
    return source_sha256(path) == version.sha256  # None: nothing there, or refused
