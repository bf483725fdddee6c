"""Run control from the admin: cancel a queued run, re-run a failed or cancelled one, the
runs list, and who launched a run's stages (docs/admin.md, "Watching it")."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from pipeline_ops.models import Entity, PipelineRun, ValidationIssue
from pipeline_ops.pipeline import registry
from pipeline_ops.pipeline.paths import source_workbook
from pipeline_ops.pipeline.period import MonthRange
from pipeline_ops.pipeline.runs.calls import kept_options
from pipeline_ops.pipeline.runs.launch import Work, create_queued_run, execute
from pipeline_ops.pipeline.runs.locking import pipeline_lock
from pipeline_ops.pipeline.runs.records import AlreadyClaimed
from pipeline_ops.pipeline.runs.stage_run import stage_run
from pipeline_ops.pipeline.runs.warehouse import connect
from tests.workbooks import standard_workbook

pytestmark = pytest.mark.django_db
RUNS = reverse("admin:pipeline_ops_pipelinerun_changelist")


def act(client, action: str, *runs: PipelineRun):
    data = {"action": action, "_selected_action": [run.pk for run in runs]}
    return client.post(RUNS, data, follow=True)


def finished(entity: Entity, stage: str, status: str, **fields) -> PipelineRun:
    now = timezone.now()
    fields = {"started_at": now, "completed_at": now, **fields}
    return PipelineRun.objects.create(
        entity=entity, year=2026, stage=stage, status=status, **fields
    )


def warehouse_rows() -> int:
    with pipeline_lock(), connect() as con:
        return con.execute("SELECT count(*) FROM _pipeline_runs").fetchone()[0]


def test_cancelling_a_queued_run_means_execute_never_runs_it(client, entity, operator):
    run = create_queued_run(Work("sync", "IONS", 2026, MonthRange(2, 2)), user=operator)
    client.force_login(operator)
    response = act(client, "cancel_runs", run)
    assert "Cancelled 1 queued run(s)" in response.content.decode()
    summary = execute(run.pk)
    run.refresh_from_db()
    assert summary == f"Run {run.pk} is cancelled; not started again."
    assert (run.status, run.started_at, run.pid) == ("cancelled", None, None)
    assert run.error_message == "Cancelled by olga before it started."
    assert not run.children.exists()


def test_a_cancel_after_the_worker_read_the_run_still_keeps_it_from_starting(entity, operator):
    """The worker read `queued`, then the operator cancelled: the stage's claim is
    conditional, so it refuses and leaves no row in the warehouse."""
    run = create_queued_run(Work("sync", "IONS", 2026), user=operator)
    PipelineRun.objects.filter(pk=run.pk).update(status="cancelled")
    with pytest.raises(AlreadyClaimed, match="is cancelled"):
        registry.get("sync").function("IONS", 2026, queued=run)
    assert PipelineRun.objects.get(pk=run.pk).status == "cancelled"
    assert warehouse_rows() == 0


def test_the_run_page_cancel_button_cancels_a_queued_run(client, entity, operator):
    run = create_queued_run(Work("publish", "IONS", 2026, MonthRange(2, 2)))
    client.force_login(operator)
    url = reverse("admin:pipeline_ops_pipelinerun_cancel", args=[run.pk])
    response = client.post(url, follow=True)
    assert response.redirect_chain[-1][0] == reverse(
        "admin:pipeline_ops_pipelinerun_change", args=[run.pk]
    )
    assert f"Run {run.pk} cancelled: it will not start." in response.content.decode()
    assert PipelineRun.objects.get(pk=run.pk).status == "cancelled"
    assert client.get(url).status_code == 405  # a link can never cancel a run


def test_the_run_page_offers_cancel_while_queued_and_re_run_once_failed(client, entity, operator):
    queued = create_queued_run(Work("sync", "IONS", 2026))
    failed = finished(entity, "publish", "failed", month=2, month_end=2)
    client.force_login(operator)
    pages = {
        run.status: client.get(reverse("admin:pipeline_ops_pipelinerun_change", args=[run.pk]))
        for run in (queued, failed)
    }
    cancel = reverse("admin:pipeline_ops_pipelinerun_cancel", args=[queued.pk])
    rerun = reverse("admin:pipeline_ops_pipelinerun_rerun", args=[failed.pk])
    assert f'action="{cancel}"' in pages["queued"].content.decode()
    assert "Re-run</button>" not in pages["queued"].content.decode()
    assert f'action="{rerun}"' in pages["failed"].content.decode()
    assert "Cancel run</button>" not in pages["failed"].content.decode()


def test_a_started_run_is_not_cancelled(client, entity, operator):
    running = finished(entity, "sync", "running", completed_at=None)
    client.force_login(operator)
    response = act(client, "cancel_runs", running)
    assert "only queued runs can be cancelled" in response.content.decode()
    assert PipelineRun.objects.get(pk=running.pk).status == "running"


def test_re_running_a_failed_extract_queues_an_extract_with_the_same_year_and_months(
    client, entity, operator
):
    failed = finished(entity, "extract", "failed", month=2, month_end=3,
                      error_message="the workbook was open in Excel")  # fmt: skip
    client.force_login(operator)
    response = act(client, "rerun_runs", failed)
    new = PipelineRun.objects.get(status="queued")
    assert (new.stage, new.year, new.month, new.month_end) == ("extract", 2026, 2, 3)
    assert (new.trigger, new.triggered_by, new.options["rerun_of"]) == (
        "admin",
        operator,
        failed.pk,
    )
    assert response.redirect_chain[-1][0] == reverse(
        "admin:pipeline_ops_pipelinerun_change", args=[new.pk]
    )
    back = reverse("admin:pipeline_ops_pipelinerun_change", args=[failed.pk])
    assert f'a re-run of <a href="{back}">run {failed.pk}</a>' in response.content.decode()
    standard_workbook(source_workbook("IONS", 2026))
    assert execute(new.pk) == "extract IONS 2026: success"  # not "cannot be launched"
    new.refresh_from_db()
    assert (new.status, new.row_count > 0) == ("success", True)


def test_re_running_a_cancelled_yearly_report_from_its_page_keeps_it_yearly(
    client, entity, operator
):
    cancelled = finished(entity, "report", "cancelled", options={"report_type": "yearly"})
    client.force_login(operator)
    response = client.post(reverse("admin:pipeline_ops_pipelinerun_rerun", args=[cancelled.pk]))
    new = PipelineRun.objects.get(status="queued")
    assert (new.stage, new.month, new.options["report_type"]) == ("report", None, "yearly")
    assert response["Location"] == reverse("admin:pipeline_ops_pipelinerun_change", args=[new.pk])


def test_re_running_a_failed_chain_runs_the_same_stages_for_the_same_month(
    client, entity, operator
):
    options = {"then": ["sync", "publish", "report"], "report_type": "quarterly"}
    chain = finished(entity, "chain", "failed", month=1, month_end=3, options=options)
    child = finished(entity, "publish", "failed", month=1, month_end=3, parent=chain)
    client.force_login(operator)
    act(client, "rerun_runs", chain, child)  # one top-level run: queued once
    new = PipelineRun.objects.get(status="queued")
    assert (new.stage, new.month, new.month_end) == ("chain", 1, 3)
    assert (new.options["then"], new.options["report_type"]) == (options["then"], "quarterly")


def test_a_run_that_neither_failed_nor_was_cancelled_is_not_re_run(client, entity, operator):
    done = finished(entity, "sync", "success")
    client.force_login(operator)
    response = act(client, "rerun_runs", done)
    assert "only failed or cancelled runs can be re-run" in response.content.decode()
    assert PipelineRun.objects.count() == 1


def test_re_running_work_that_is_already_queued_shows_only_the_warning(client, entity, operator):
    failed = finished(entity, "sync", "failed")
    create_queued_run(Work("sync", "IONS", 2026))
    client.force_login(operator)
    response = act(client, "rerun_runs", failed)
    assert [m.level_tag for m in response.context["messages"]] == ["warning"]
    assert "is already queued" in response.content.decode()


def test_a_stage_records_the_options_a_re_run_needs_and_nothing_else():
    given = {"report_type": "yearly", "force": True, "warn": print, "period": object()}
    assert kept_options("report", given) == {"report_type": "yearly"}
    assert kept_options("transform", {"select": "+mart_orders", "scope": [("IONS", 2026)]}) == {
        "select": "+mart_orders"
    }
    assert kept_options("chain", {"then": ("publish",), "report_type": "monthly"}) == {
        "then": ["publish"], "report_type": "monthly"
    }  # fmt: skip


def test_stages_of_a_run_launched_from_the_admin_record_trigger_admin(entity, operator):
    parent = create_queued_run(Work("sync", "IONS", 2026), user=operator, trigger="admin")
    with stage_run("load", "IONS", 2026, parent=parent) as ctx:
        pass
    assert (ctx.run.trigger, ctx.run.triggered_by) == ("admin", operator)
    with stage_run("load", "IONS", 2026) as ctx:  # manage.py load
        pass
    assert (ctx.run.trigger, ctx.run.triggered_by) == ("command", None)


def test_the_runs_list_hides_child_runs_unless_asked(client, entity, operator):
    sync = finished(entity, "sync", "success")
    for stage in ("extract", "load", "validate", "transform"):
        finished(entity, stage, "success", parent=sync)
    client.force_login(operator)
    shown = client.get(RUNS).context["cl"].result_list
    assert [run.stage for run in shown] == ["sync"]
    assert len(client.get(RUNS + "?level=all").context["cl"].result_list) == 5
    assert len(client.get(RUNS + "?level=stages").context["cl"].result_list) == 4
    assert "Top-level runs" in client.get(RUNS).content.decode()


def test_the_runs_list_shows_thousands_separators_and_times_in_the_configured_zone(
    client, entity, operator, settings
):
    settings.TIME_ZONE = "Asia/Jakarta"
    started = datetime(2026, 2, 3, 14, 5, tzinfo=UTC)
    finished(entity, "sync", "success", row_count=18000, started_at=started)
    client.force_login(operator)
    html = client.get(RUNS).content.decode()
    assert "18,000" in html
    assert 'title="Asia/Jakarta"><span class="nowrap">2026-02-03</span>' in html
    assert '<span class="nowrap">21:05 WIB</span></time>' in html


def test_the_validation_issue_list_gives_the_message_room_to_be_read(client, entity, operator):
    ValidationIssue.objects.create(
        entity=entity, year=2026, month=2, cell="FEB!C7", rule="unknown_program",
        severity="error", message="Program XX is not in REFERENSI: add it or fix the code",
    )  # fmt: skip
    client.force_login(operator)
    page = client.get(reverse("admin:pipeline_ops_validationissue_changelist"))
    assert "#result_list td.field-message{min-width:18em" in page.content.decode()


def test_the_admin_is_called_atlas_ops(client, operator):
    client.force_login(operator)
    html = client.get(reverse("admin:index")).content.decode()
    assert '<a href="/admin/">Atlas Ops</a>' in html and "<title>Operations console" in html
