"""Workbook versions a dead worker left previewing or accepting (intake/recovery.py): a
preview fails saying so, an accept is finished or undone by what the workbook file says."""

from __future__ import annotations

import socket
import subprocess
from datetime import timedelta

import pytest
from django.core.files import File
from django.utils import timezone

from pipeline_ops.models import WorkbookVersion
from pipeline_ops.pipeline.intake.decide import accept, reject
from pipeline_ops.pipeline.intake.recovery import recover_versions
from pipeline_ops.pipeline.intake.versions import Status, on_it, run_preview, store
from pipeline_ops.pipeline.runs.launch import recover_after_dead_workers
from pipeline_ops.pipeline.runs.recovery import identity
from pipeline_ops.pipeline.workbook.sources import file_sha256
from tests.test_intake import (  # noqa: F401  (lock_holder: a fixture)
    current_path,
    lock_holder,
    offered,
    orders,
    place_current,
)

pytestmark = pytest.mark.django_db


def dead_worker() -> dict:
    """The identity of a process that has exited."""
    proc = subprocess.Popen(["true"])
    proc.wait()
    return {"host": socket.gethostname(), "pid": proc.pid, "start": 1}


def version_left(entity, tmp_path, status: str, worker: dict) -> WorkbookVersion:
    months = orders()
    months[2] = months[2][:6]  # the offered workbook differs from the current one
    path = offered(tmp_path, months)
    with open(path, "rb") as handle:
        version = store(entity, 2026, File(handle), path.name)
    WorkbookVersion.objects.filter(pk=version.pk).update(status=status, worker=worker)
    version.refresh_from_db()
    return version


def test_a_preview_a_killed_worker_left_fails_saying_nothing_changed(entity, data_dir, tmp_path):
    place_current(data_dir)
    version = version_left(entity, tmp_path, Status.PREVIEWING, dead_worker())
    assert [v.pk for v in recover_versions()] == [version.pk]
    version.refresh_from_db()
    assert version.status == "failed" and "stopped before it finished" in version.error
    assert version.worker == {}


def test_an_accept_that_died_before_replacing_the_workbook_is_ready_to_accept_again(
    entity, data_dir, tmp_path
):
    before = file_sha256(place_current(data_dir))
    version = version_left(entity, tmp_path, Status.ACCEPTING, dead_worker())
    recover_after_dead_workers("test")
    version.refresh_from_db()
    assert version.status == "previewed" and "nothing was replaced" in version.error
    assert file_sha256(current_path(data_dir)) == before


def test_an_accept_that_died_after_replacing_the_workbook_is_made_current(
    entity, data_dir, tmp_path
):
    place_current(data_dir)
    version = version_left(entity, tmp_path, Status.ACCEPTING, dead_worker())
    current_path(data_dir).write_bytes(version.upload.read())  # the rename had happened
    recover_versions()
    version.refresh_from_db()
    assert version.status == "accepted"
    assert "stopped before it queued a sync: sync 2026" in version.error


def test_work_of_a_live_worker_or_of_a_task_not_taken_yet_is_left_alone(entity, data_dir, tmp_path):
    place_current(data_dir)
    live = version_left(entity, tmp_path, Status.PREVIEWING, identity())
    waiting = version_left(entity, tmp_path, Status.ACCEPTING, {})  # queued, no worker yet
    assert recover_versions() == []
    assert {v.status for v in WorkbookVersion.objects.filter(pk__in=[live.pk, waiting.pk])} == {
        "previewing", "accepting",
    }  # fmt: skip


def test_the_worker_accepting_a_version_names_itself_on_it_while_it_works(
    entity,
    data_dir,
    tmp_path,
    lock_holder,  # noqa: F811  (the fixture imported above)
):
    place_current(data_dir)
    version = version_left(entity, tmp_path, Status.QUEUED, {})
    run_preview(version.pk)
    version.refresh_from_db()
    assert (version.status, version.worker) == ("previewed", {})  # done: nobody on it
    WorkbookVersion.objects.filter(pk=version.pk).update(status=Status.ACCEPTING)
    holder, seen = lock_holder(), []

    def waiting(_line: str) -> None:  # accept waits for a sync holding the pipeline lock
        seen.append(WorkbookVersion.objects.get(pk=version.pk).worker)
        if len(seen) == 1:
            holder.release_after(0.2)

    accept(version.pk, queue_sync=False, on_wait=waiting)
    assert {k: seen[0][k] for k in identity()} == identity() and "since" in seen[0]
    version.refresh_from_db()
    assert (version.status, version.worker) == ("accepted", {})
    assert accept(version.pk).status == "accepted"  # a redelivered task does nothing


def test_a_preview_a_live_worker_stopped_working_on_past_the_task_time_limit_fails(
    entity, data_dir, tmp_path, settings
):
    """A task that ended without a word (its worker lives on) cannot wedge the version:
    past Q_TIMEOUT it fails, so Reject and a new upload work again."""
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "timeout": 60}
    place_current(data_dir)
    since = (timezone.now() - timedelta(seconds=61)).isoformat()
    stuck = version_left(entity, tmp_path, Status.PREVIEWING, {**identity(), "since": since})
    fresh = version_left(entity, tmp_path, Status.PREVIEWING, on_it())

    assert [v.pk for v in recover_versions()] == [stuck.pk]

    stuck.refresh_from_db()
    assert stuck.status == "failed" and "stopped working on it" in stuck.error
    assert "60 s, Q_TIMEOUT" in stuck.error
    assert WorkbookVersion.objects.get(pk=fresh.pk).status == "previewing"
    assert reject(stuck, None) is True


def test_a_preview_that_raises_something_unexpected_fails_with_one_line(entity, data_dir, tmp_path):
    """A DuckDB conversion error, a full disk, a database error: never left previewing."""
    place_current(data_dir)
    version = version_left(entity, tmp_path, Status.QUEUED, {})
    (data_dir / "intake").write_text("a file where the scratch folders go")  # an OSError

    run_preview(version.pk)

    version.refresh_from_db()
    assert version.status == "failed" and version.worker == {}
    assert version.error.startswith("unexpected error: ") and "\n" not in version.error
