"""A run's page, outcome first: what ran for which period, how it ended, the error with its
next step, what it made; the step strip; the record with its technical fields folded."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from pipeline_ops.models import PipelineRun, Report, ValidationIssue
from pipeline_ops.pipeline.period import MonthRange, period_words
from pipeline_ops.pipeline.stages.publish import run_publish

pytestmark = pytest.mark.django_db


def finished(entity, stage="sync", status="success", month=2, month_end=None, **fields):
    now = timezone.now()
    return PipelineRun.objects.create(
        entity=entity, year=2026, month=month, month_end=month_end or month, stage=stage,
        status=status, started_at=now - timedelta(seconds=75), completed_at=now, **fields,
    )  # fmt: skip


def page(client, run: PipelineRun) -> str:
    response = client.get(reverse("admin:pipeline_ops_pipelinerun_change", args=[run.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_periods_read_as_words():
    assert period_words(2026, 2, 2) == "February 2026"
    assert period_words(2026, 1, 3) == "Q1 2026"
    assert period_words(2026, 2, 4) == "Feb–Apr 2026"
    assert period_words(2026, None) == "2026"


def test_the_run_page_title_names_what_ran_and_its_period_in_words(admin_client, entity):
    html = page(admin_client, finished(entity, triggered_by=None, trigger="schedule"))
    title = "Sync (extract → load → validate → transform) · IONS · February 2026"
    assert f"<title>{title} |" in html and f"<h1>{title}</h1>" in html
    assert "took 1 min 15 s" in html and "Launched by a schedule" in html
    assert "Q1 2026" in page(admin_client, finished(entity, "report", month=1, month_end=3))
    assert "· IONS · 2026</h1>" in page(admin_client, finished(entity, month=None))


def test_a_failed_run_shows_its_error_and_next_step_before_the_strip_and_the_record(
    admin_client, entity, operator
):
    error = "sync stopped at transform: dbt exited 1"
    run = finished(entity, status="failed", error_message=error, triggered_by=operator,
                   trigger="admin")  # fmt: skip
    stage = finished(entity, "transform", "failed", parent=run, error_message="dbt exited 1")
    html = page(admin_client, run)
    box = html.index('class="run-error"')
    assert html.index('class="run-heading"') < box < html.index('class="progress-strip"')
    assert box < html.index("<fieldset")
    stage_url = reverse("admin:pipeline_ops_pipelinerun_change", args=[stage.pk])
    assert f'Failed at transform (<a href="{stage_url}">' in html
    assert error in html[box:] and "Next step:" in html[box:]
    assert "Launched by <strong>olga</strong> from the admin" in html


def test_an_abandoned_run_is_told_to_re_run(admin_client, entity):
    error = "Abandoned: the process running this sync (pid 1 on h) died before it finished."
    html = page(admin_client, finished(entity, status="failed", error_message=error))
    assert "nothing it was writing was kept: re-run it" in html


def test_the_run_page_links_the_reports_and_validation_issues_it_made(admin_client, entity):
    run = finished(entity, "chain")
    report_run = finished(entity, "report", parent=run)
    report = Report.objects.create(
        entity=entity, year=2026, month_start=2, month_end=2, type="monthly", label="2026-02",
        json_path="x.json", run=report_run,
    )  # fmt: skip
    check = finished(entity, "validate", parent=finished(entity, "sync", parent=run))
    for severity, rule, month, by in (("error", "mine", 2, check), ("warning", "mine", 2, check),
                                      ("error", "other", 3, None)):  # fmt: skip
        ValidationIssue.objects.create(
            entity=entity, year=2026, month=month, cell="FEB!C7", rule=rule, severity=severity,
            message="m", run=by,
        )  # fmt: skip
    html = page(admin_client, run)
    assert reverse("admin:pipeline_ops_report_change", args=[report.pk]) in html
    issues = reverse("admin:pipeline_ops_validationissue_changelist") + f"?run={run.pk}"
    assert f'href="{issues}">1 validation error, 1 warning</a>' in html
    listed = admin_client.get(issues).context["cl"].result_list
    assert {issue.rule for issue in listed} == {"mine"}


def test_technical_fields_are_folded_away_and_the_history_button_has_its_own_row(
    admin_client, entity
):
    html = page(admin_client, finished(entity, task_id="f00dcafe", pid=4242))
    folded = html[html.index("<details") : html.index("</details>")]
    assert "Technical" in folded and "f00dcafe" in folded and "4242" in folded
    assert html.index('class="object-tools"') < html.index('class="run-outcome"')
    assert "#content-main > .object-tools{margin-top:0" in html


def test_a_publish_run_page_says_which_ops_db_months_it_replaced_and_with_what(
    admin_client, warehouse, built_warehouse
):
    run_publish("IONS", 2026, MonthRange(2, 3))
    run = PipelineRun.objects.get(stage="publish")
    feb_mar = [o for o in built_warehouse.orders if o["month"] in (2, 3)]
    paid = [o for o in feb_mar if o["paid"] > 0]
    page = admin_client.get(reverse("admin:pipeline_ops_pipelinerun_change", args=[run.pk]))
    expected = f"Feb–Mar 2026: {len(feb_mar):,} orders, {len(paid):,} payments"
    assert "Ops DB replaced:" in page.content.decode() and expected in page.content.decode()


def test_the_run_page_writes_its_row_counts_with_thousands_separators(admin_client, entity):
    from pipeline_ops.models import PipelineRun as Run

    parent = Run.objects.create(entity=entity, year=2026, stage="sync", status="success",
                                row_count=34744)  # fmt: skip
    Run.objects.create(entity=entity, year=2026, stage="load", status="success",
                       row_count=18002, parent=parent)  # fmt: skip
    url = reverse("admin:pipeline_ops_pipelinerun_change", args=[parent.pk])
    html = admin_client.get(url).content.decode()
    assert "34,744" in html and "18,002" in html
    assert "34744" not in html and "18002" not in html
