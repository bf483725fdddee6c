"""Stopping a running run (docs/admin.md, "Stopping a run"): the request is a conditional
update from the admin; the process running the work ends it at the next safe point, dbt
included, and nothing is left half-written."""

from __future__ import annotations

import functools
import os
import threading

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from pipeline_ops.models import PipelineRun
from pipeline_ops.pipeline.errors import PipelineError
from pipeline_ops.pipeline.runs import stopping
from pipeline_ops.pipeline.runs.launch import Work, create_queued_run, execute
from pipeline_ops.pipeline.runs.locking import pipeline_lock
from pipeline_ops.pipeline.runs.warehouse import connect
from pipeline_ops.pipeline.stages.sync import run_sync
from tests.polling import wait_until
from tests.workbooks import build_workbook, standard_orders
from tests.worker import dbt_children

MARTS = ("mart_revenue_monthly", "mart_program_progress", "mart_enrollments")


def warehouse_rows(sql: str) -> list[tuple]:
    with pipeline_lock(), connect() as con:
        return con.execute(sql).fetchall()


def mart_state() -> dict[str, tuple]:
    """Rows and a checksum of every mart's IONS 2026 slice."""
    return {
        mart: warehouse_rows(
            f"SELECT count(*), sum(hash(COLUMNS(*))) FROM {mart}"
            " WHERE entity = 'IONS' AND year = 2026"
        )[0]
        for mart in MARTS
    }


@pytest.mark.django_db
def test_a_stop_asked_between_stages_ends_the_sync_before_the_next_stage_starts(
    entity, operator, standard_source
):
    run = create_queued_run(Work("sync", "IONS", 2026), user=operator, trigger="admin")

    def out(line: str) -> None:  # the operator clicks Stop while extract finishes
        if line.startswith("[extract] done"):
            assert stopping.request_stop(PipelineRun.objects.get(pk=run.pk), operator)

    with pytest.raises(PipelineError):
        run_sync("IONS", 2026, queued=run, out=out)
    run.refresh_from_db()
    assert (run.status, run.error_message) == ("cancelled", "Stopped by olga before load started.")
    assert [(c.stage, c.status) for c in run.children.all()] == [("extract", "success")]
    recorded = warehouse_rows("SELECT stage, status FROM _pipeline_runs ORDER BY id")
    assert recorded == [("sync", "cancelled"), ("extract", "success")]
    tables = warehouse_rows("SELECT 1 FROM duckdb_tables() WHERE table_name = 'raw_orders'")
    assert tables == []  # load never started


@pytest.mark.django_db
def test_a_stopped_run_mails_nobody_and_its_task_says_it_stopped(
    entity, operator, standard_source, caplog
):
    run = create_queued_run(Work("sync", "IONS", 2026), user=operator, trigger="admin")
    # Asked the instant the worker took it: the first stage inside never starts.
    PipelineRun.objects.filter(pk=run.pk).update(
        stop_requested_at=timezone.now(), stop_requested_by="olga"
    )
    with caplog.at_level("INFO", logger="pipeline_ops"):
        summary = execute(run.pk)
    run.refresh_from_db()
    assert (
        run.status == "cancelled" and summary == "stopped: Stopped by olga before extract started."
    )
    assert not run.children.exists() and mail.outbox == []
    assert f"run {run.pk} stopped" in caplog.text


@pytest.mark.django_db
def test_only_a_running_top_level_run_can_be_asked_to_stop_and_only_once(entity, operator):
    run = create_queued_run(Work("sync", "IONS", 2026), user=operator)
    assert not stopping.request_stop(run, operator)  # queued: Cancel is the way
    PipelineRun.objects.filter(pk=run.pk).update(status="running")
    child = PipelineRun.objects.create(entity=entity, year=2026, stage="extract",
                                       status="running", parent=run)  # fmt: skip
    assert not stopping.request_stop(child, operator)
    assert stopping.request_stop(run, operator)
    assert not stopping.request_stop(run, operator)
    run.refresh_from_db()
    assert run.stop_requested_by == "olga" and not run.can_stop


@pytest.mark.django_db
def test_a_viewer_cannot_stop_a_run_and_an_operator_can(client, entity, operator, viewer):
    run = create_queued_run(Work("sync", "IONS", 2026), user=operator)
    PipelineRun.objects.filter(pk=run.pk).update(status="running")
    url = reverse("admin:pipeline_ops_pipelinerun_stop", args=[run.pk])
    client.force_login(viewer)
    assert client.post(url).status_code == 403
    run.refresh_from_db()
    assert run.stop_requested_at is None
    client.force_login(operator)
    page = client.get(reverse("admin:pipeline_ops_pipelinerun_change", args=[run.pk]))
    assert "Stop run" in page.content.decode()
    asked = client.get(url).content.decode()  # a stop cannot be taken back: asked first
    assert "Yes, stop it" in asked and run.stop_requested_at is None
    page = client.post(url, follow=True).content.decode()
    assert "will stop at its next safe point" in page and "Stopping:" in page
    assert "Stop run" not in page


def dbt_has_started(run_pk: int) -> bool:
    """The sync's transform is running and its dbt build is a live child of this process
    (the sync runs in this test's main thread). Fails at once if the sync ended first."""
    run = PipelineRun.objects.get(pk=run_pk)
    assert run.status in ("queued", "running"), f"the sync ended {run.status} before dbt started"
    transform = PipelineRun.objects.filter(parent_id=run_pk, stage="transform", status="running")
    return transform.exists() and bool(dbt_children(os.getpid()))


class Stopper(threading.Thread):
    """In another thread, as the admin would: Stop once the sync's dbt build is under way.
    finish() re-raises what kept it from stopping the run."""

    def __init__(self, run_pk: int, who) -> None:
        super().__init__(daemon=True)
        self.run_pk, self.who, self.error = run_pk, who, None

    def run(self) -> None:
        try:
            started = functools.partial(dbt_has_started, self.run_pk)
            wait_until(started, timeout=240, what="the sync's dbt build to start")
            assert stopping.request_stop(PipelineRun.objects.get(pk=self.run_pk), self.who)
        except BaseException as exc:  # reported by join(), in the test's thread
            self.error = exc
        finally:
            connection.close()

    def finish(self) -> None:
        self.join(timeout=60)
        if self.error is not None:
            raise self.error


@pytest.mark.django_db(transaction=True)
def test_a_stop_during_dbt_ends_dbt_and_leaves_each_mart_whole(entity, operator, data_dir):
    source = data_dir / "sources" / "IONS" / "IONS-2026.xlsx"
    build_workbook(source, months=standard_orders())
    run_sync("IONS", 2026)
    before = mart_state()
    months = standard_orders()
    del months[2][0]  # a paid February order is gone: every mart's slice changes
    build_workbook(source, months=months)
    run = create_queued_run(Work("sync", "IONS", 2026), user=operator, trigger="admin")
    stopper = Stopper(run.pk, operator)
    stopper.start()
    try:
        with pytest.raises(PipelineError):
            run_sync("IONS", 2026, queued=run)
    finally:
        stopper.finish()  # first: why no stop came, if none did
    stopped = mart_state()  # dbt is gone: the file opens read-write at once
    transform = run.children.get(stage="transform")
    assert (transform.status, transform.error_message) == (
        "cancelled", "Stopped by olga during transform.",
    )  # fmt: skip
    assert PipelineRun.objects.get(pk=run.pk).status == "cancelled"
    run_sync("IONS", 2026)  # the same workbook, to the end
    after = mart_state()
    assert before != after
    for mart in MARTS:  # the model dbt was writing rolled back: old or new, never a mix
        assert stopped[mart] in (before[mart], after[mart]), mart
