"""Accept, reject and restore a previewed workbook version.

`request_accept` (web) checks the rules and claims the version; `accept` (worker) replaces
the workbook under the pipeline lock — a running sync finishes first, and a wait longer
than PIPELINE_LOCK_TIMEOUT gives up in one line — then queues a sync of the months that
changed. A version previewed against a workbook that has changed since is refused: its diff
no longer says what accepting it would do.
"""

from __future__ import annotations

import os

from django.db.models import Q
from django.utils import timezone

from pipeline_ops.models import WorkbookVersion
from pipeline_ops.pipeline.errors import PipelineError, one_line
from pipeline_ops.pipeline.intake.files import keep, open_upload, replace_atomically
from pipeline_ops.pipeline.intake.recovery import recover_versions
from pipeline_ops.pipeline.intake.versions import (
    Status,
    claim,
    make_current,
    on_it,
    queue_preview,
    sync_months,
)
from pipeline_ops.pipeline.paths import source_workbook
from pipeline_ops.pipeline.runs.launch import Work, enqueue
from pipeline_ops.pipeline.runs.locking import pipeline_lock
from pipeline_ops.pipeline.text import printable
from pipeline_ops.pipeline.workbook.sources import file_sha256


def request_accept(version: WorkbookVersion, user, *, with_errors: bool = False,
                   queue_sync: bool = True) -> None:  # fmt: skip
    """Web: refuse what may not be accepted, claim the version, queue the worker's accept."""
    check_acceptable(version, with_errors=with_errors)
    if not claim(version, Status.PREVIEWED, Status.ACCEPTING, decided_by=user, error=""):
        raise PipelineError(f"Version {version.pk} is {version.status}; it cannot be accepted.")
    from django_q.tasks import async_task

    async_task("pipeline_ops.tasks.intake_accept", version.pk, queue_sync,
               task_name=f"accept {version}")  # fmt: skip


def check_acceptable(version: WorkbookVersion, *, with_errors: bool) -> None:
    if version.status != Status.PREVIEWED:
        raise PipelineError(f"Version {version.pk} is {version.status}, not previewed.")
    errors = version.summary.get("errors", 0)
    if errors and not with_errors:
        raise PipelineError(
            f"{version.original_name} has {errors} validation error(s): accept it only with"
            " 'accept with errors' (--accept-errors); its blocked months stay blocked."
        )


def accept(version_pk: int, *, queue_sync: bool = True, on_wait=None) -> WorkbookVersion:
    """Worker: make an accepting version the current workbook, or put it back to previewed
    with the reason in `error`."""
    version = WorkbookVersion.objects.select_related("entity").get(pk=version_pk)
    # One worker takes it (a redelivered task finds it taken), and says who it is.
    taken = WorkbookVersion.objects.filter(pk=version.pk, status=Status.ACCEPTING, worker={})
    if not taken.update(worker=on_it()):
        return version
    try:
        _replace(version, on_wait)
    except Exception as exc:  # a refusal, or a full disk: nothing was replaced
        claim(version, Status.ACCEPTING, Status.PREVIEWED, error=printable(one_line(exc)))
        raise PipelineError(one_line(exc)) from exc
    wanted, months = sync_months(version)
    # Accepted and its sync in one update: a page showing it accepted also shows the sync.
    made = _queue_sync(version, months) if queue_sync and wanted else {}
    make_current(version, version.decided_by, **made)
    return version


def _queue_sync(version: WorkbookVersion, months) -> dict:
    """The workbook is replaced by now: a sync that cannot be queued (the same sync already
    queued or running) is said on the version, not reported as a failed accept."""
    work = Work("sync", version.entity.code, version.year, months)
    try:
        return {"sync_run": enqueue(work, user=version.decided_by, trigger="intake")}
    except PipelineError as exc:
        return {"error": printable(f"Accepted, but no sync was queued: {exc}")}


def _replace(version: WorkbookVersion, on_wait) -> None:
    entity = version.entity
    dest = source_workbook(entity.code, version.year, entity.source_dir)
    holder = {"stage": "intake accept", "entity": entity.code, "year": version.year}
    with pipeline_lock(holder, on_wait=on_wait):
        # Anything at the path (a link out of the folder, a FIFO) is refused with its
        # reason, as the preview refused it: never hashed, never replaced unseen.
        current = file_sha256(dest) if os.path.lexists(dest) else ""
        if current != version.base_sha256:
            raise PipelineError(
                f"{dest.name} changed since this version was previewed: preview it again"
                " (upload it once more, or restore it) before accepting it."
            )
        # The kept copy first: if the disk fills up, the workbook is still the old one.
        with open_upload(version.upload) as source:
            keep(source, dest, version.sha256)
        with open_upload(version.upload) as source:
            replace_atomically(source, dest)


def reject(version: WorkbookVersion, user) -> bool:
    """Discard an offered version (its stored file goes; the record stays, rejected)."""
    recover_versions()  # one a worker stopped working on becomes failed, so rejectable
    offered = Q(status__in=(Status.QUEUED, Status.PREVIEWED, Status.FAILED))
    done = WorkbookVersion.objects.filter(offered, pk=version.pk).update(
        status=Status.REJECTED, decided_by=user, decided_at=timezone.now()
    )
    version.refresh_from_db()
    if done and version.upload and not _shared(version):
        version.upload.delete(save=True)
    return bool(done)


def _shared(version: WorkbookVersion) -> bool:
    """Accepted versions of the same content keep the stored file."""
    same = WorkbookVersion.objects.filter(upload=version.upload.name).exclude(pk=version.pk)
    return same.exists()


def restore(version: WorkbookVersion, user) -> WorkbookVersion:
    """A new version with an earlier version's stored file, queued for preview."""
    if version.status not in (Status.ACCEPTED, Status.SUPERSEDED):
        raise PipelineError(f"Version {version.pk} is {version.status}: only accepted or"
                            " superseded versions can be restored.")  # fmt: skip
    if not version.upload:
        raise PipelineError(f"Version {version.pk} has no stored file to restore.")
    copy = WorkbookVersion.objects.create(
        entity=version.entity, year=version.year, upload=version.upload.name,
        sha256=version.sha256, size=version.size, original_name=version.original_name,
        uploaded_by=user,
    )  # fmt: skip
    queue_preview(copy)
    return copy
