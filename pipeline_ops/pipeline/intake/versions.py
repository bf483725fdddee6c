"""WorkbookVersion records: offer (web), preview and accept (worker), reject and restore.

The web process only stores the upload (Django's default storage) and queues a task; the
worker previews it, and on accept replaces `sources/<CODE>/<CODE>-<YEAR>.xlsx` under the
pipeline lock, so it never swaps a workbook under a running sync. Each step claims its
version with a conditional update, so two clicks never run the same step twice.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from django.core.files import File
from django.db import transaction
from django.utils import timezone

from pipeline_ops.models import Entity, WorkbookChange, WorkbookVersion
from pipeline_ops.pipeline.errors import one_line
from pipeline_ops.pipeline.intake.files import open_upload, replace_atomically
from pipeline_ops.pipeline.paths import data_dir, source_workbook
from pipeline_ops.pipeline.period import MonthRange
from pipeline_ops.pipeline.runs.recovery import identity
from pipeline_ops.pipeline.text import printable
from pipeline_ops.pipeline.workbook.sources import file_sha256, open_source

Status = WorkbookVersion.Status


def store(entity: Entity, year: int, content: File, name: str, *, user=None) -> WorkbookVersion:
    """Save an offered workbook into storage as a queued version (no preview yet)."""
    digest = hashlib.sha256()
    for chunk in content.chunks():
        digest.update(chunk)
    version = WorkbookVersion(entity=entity, year=year, sha256=digest.hexdigest(),
                              size=content.size or 0, original_name=printable(name)[:255],
                              uploaded_by=user)  # fmt: skip
    content.seek(0)
    version.upload.save(f"{entity.code}/{version.sha256}.xlsx", content, save=False)
    version.save()
    return version


def queue_preview(version: WorkbookVersion) -> None:
    from django_q.tasks import async_task

    async_task("pipeline_ops.tasks.intake_preview", version.pk, task_name=f"preview {version}")


BUSY = (Status.PREVIEWING, Status.ACCEPTING)  # a worker is on it, named in `worker`


def on_it() -> dict:
    """What a worker records on a version it takes: who it is, and since when (a version
    busy for longer than a task may run is recovered even if that worker lives)."""
    return {**identity(), "since": timezone.now().isoformat()}


def claim(version: WorkbookVersion, before: str, after: str, **values) -> bool:
    """Move `version` from `before` to `after` if it still is `before`. Leaving a busy
    state clears `worker`: nobody is on it any more (intake/recovery.py)."""
    if after not in BUSY:
        values.setdefault("worker", {})
    done = WorkbookVersion.objects.filter(pk=version.pk, status=before).update(
        status=after, **values
    )
    version.refresh_from_db()
    return bool(done)


def run_preview(version_pk: int) -> WorkbookVersion:
    """Worker: preview a queued version (its own scratch folder: previews never collide).
    However it ends, the version leaves `previewing`: previewed, or failed with one line."""
    version = WorkbookVersion.objects.select_related("entity").get(pk=version_pk)
    if not claim(version, Status.QUEUED, Status.PREVIEWING, worker=on_it()):
        return version
    scratch = data_dir() / "intake" / str(version.pk)
    try:
        current = adopt_current(version.entity, version.year, scratch)
        offered = _copy_out(version, scratch)
        # Here, not at import: the preview pulls in DuckDB and the reader (admin start-up).
        from pipeline_ops.pipeline.intake.preview import preview_workbook

        result = preview_workbook(offered, version.entity.code, version.year, current, scratch)
        _save_preview(version, result)
    except Exception as exc:  # a refusal, or a surprise (a full disk, a database error)
        # Named as staff know it, not as its scratch copy.
        error = one_line(exc).replace(
            str(scratch / f"{version.entity.code}-{version.year}.xlsx"), version.original_name
        )
        claim(version, Status.PREVIEWING, Status.FAILED, error=printable(error))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return version


def _copy_out(version: WorkbookVersion, scratch: Path) -> Path:
    """The offered file, named as extract expects, in the scratch folder."""
    path = scratch / f"{version.entity.code}-{version.year}.xlsx"
    with open_upload(version.upload) as source:
        replace_atomically(source, path)
    return path


def _save_preview(version: WorkbookVersion, result) -> None:
    with transaction.atomic():
        WorkbookChange.objects.filter(version=version).delete()
        WorkbookChange.objects.bulk_create(
            [WorkbookChange(version=version, kind=kind, month=month, invoice=invoice[:200],
                            fields=fields) for kind, month, invoice, fields in result.changes],
            batch_size=2000,
        )  # fmt: skip
        claim(version, Status.PREVIEWING, Status.PREVIEWED, summary=result.summary,
              base_sha256=result.base_sha256, error="")  # fmt: skip


def adopt_current(entity: Entity, year: int, scratch: Path) -> Path | None:
    """A private copy of the current workbook in `scratch`, which the preview hashes and
    diffs against (sources/ is read once, through open_source). A workbook placed by hand
    is a version too (uploaded by "file system"), stored from that same copy. None when
    there is none; PipelineError, one line, when the name holds anything but a regular
    file inside the sources folder (a link out of it, a FIFO, a folder): never adopted."""
    path = source_workbook(entity.code, year, entity.source_dir)
    if not os.path.lexists(path):
        return None
    copy = scratch / "current" / path.name
    with open_source(path) as source:
        replace_atomically(source, copy)
    known = WorkbookVersion.objects.filter(entity=entity, year=year, sha256=file_sha256(copy),
                                           status=Status.ACCEPTED)  # fmt: skip
    if not known.exists():
        with open(copy, "rb") as handle:
            make_current(store(entity, year, File(handle), path.name), None)
    return copy


def make_current(version: WorkbookVersion, user, **values) -> None:
    """The version becomes the entity-year's current one (with `values`, e.g. its sync)."""
    same = {"entity": version.entity, "year": version.year, "status": Status.ACCEPTED}
    with transaction.atomic():
        # Two workers making versions current at once (two previews adopting the same
        # hand-placed workbook) take turns: the second then supersedes the first.
        list(Entity.objects.select_for_update().filter(pk=version.entity_id).values_list("pk"))
        WorkbookVersion.objects.filter(**same).update(status=Status.SUPERSEDED)
        WorkbookVersion.objects.filter(pk=version.pk).update(
            status=Status.ACCEPTED,
            decided_by=user,
            decided_at=timezone.now(),
            worker={},
            **values,
        )
    version.refresh_from_db()


def sync_months(version: WorkbookVersion) -> tuple[bool, MonthRange | None]:
    """(whether to sync, which months): the span of months orders changed in or left, or
    the whole year (None) when the new workbook has no sheet for one of them (a month-scoped
    sync could not extract it, and a whole-year load removes its old orders)."""
    touched = version.summary.get("touched_months", [])
    if not touched:
        return False, None
    span = range(min(touched), max(touched) + 1)
    if set(span) - set(version.summary.get("sheets", [])):
        return True, None
    return True, MonthRange(span.start, span.stop - 1)
