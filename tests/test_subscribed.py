"""The monthly schedule builds what subscribers asked for (stages/subscribed.py): the closed
month's unit reports, the quarter's reports when it ends a quarter, the year's in December,
each mailed to its subscribers once."""

from __future__ import annotations

import pytest
from django.core import mail

from pipeline_ops import tasks
from pipeline_ops.models import PipelineRun, Report
from pipeline_ops.models import ReportSubscription as Subscription
from pipeline_ops.pipeline.period import MonthRange
from pipeline_ops.pipeline.registry import MONTHLY_CHAIN
from pipeline_ops.pipeline.runs import control
from pipeline_ops.pipeline.runs.launch import Work, create_queued_run, execute
from pipeline_ops.pipeline.stages.report import run_report
from pipeline_ops.pipeline.stages.subscribed import wanted_reports
from tests.test_delivery import run_queued_tasks

pytestmark = pytest.mark.django_db


def subscribe(entity, kind: str, unit: str = "", email: str = "ana@example.com", **more):
    return Subscription.objects.create(
        entity=entity, report_type=kind, unit=unit, email=email, **more
    )


def mails_sent() -> list[str]:
    """The queued tasks run as a worker would; what the mail tasks said (the re-run's own
    queued run task finds it done)."""
    return sorted(r for r in run_queued_tasks() if not r.startswith("Run "))


def test_a_month_in_the_middle_of_a_quarter_wants_only_its_unit_reports(entity):
    subscribe(entity, "monthly", "TM")
    subscribe(entity, "monthly", "")  # the chain's own report: not built twice
    subscribe(entity, "quarterly", "DR")
    subscribe(entity, "yearly", "")
    subscribe(entity, "monthly", "DR", active=False)
    assert wanted_reports("IONS", 2) == [("monthly", MonthRange(2, 2), "TM")]


def test_the_month_that_closes_a_quarter_or_the_year_wants_those_reports_too(entity):
    subscribe(entity, "quarterly", "DR")
    subscribe(entity, "quarterly", "", email="bob@example.com")
    subscribe(entity, "yearly", "TM")
    assert wanted_reports("IONS", 3) == [
        ("quarterly", MonthRange(1, 3), ""), ("quarterly", MonthRange(1, 3), "DR"),
    ]  # fmt: skip
    assert wanted_reports("IONS", 12)[-1] == ("yearly", None, "TM")
    assert len(wanted_reports("IONS", 12)) == 3


def test_the_march_schedule_mails_each_subscriber_the_report_they_asked_for_once(
    entity, warehouse, settings
):
    settings.SITE_URL = "https://atlas.example.com"
    subscribe(entity, "monthly", "TM", email="tm-head@example.com")
    subscribe(entity, "quarterly", "", email="director@example.com")
    subscribe(entity, "monthly", "", email="ana@example.com")
    summary = tasks.scheduled("publish", "IONS", 2026, 3)
    assert summary.endswith("success"), summary
    chain = PipelineRun.objects.get(parent__isnull=True)
    stages = [(r.stage, r.status) for r in chain.children.order_by("id")]
    assert stages == [("publish", "success"), ("report", "success"), ("subscribed", "success")]
    assert sorted(Report.objects.values_list("stem", flat=True)) == [
        "IONS-2026-03", "IONS-2026-03-TM", "IONS-2026-Q1",
    ]  # fmt: skip
    assert sorted(run_queued_tasks()) == [
        "sent to ana@example.com", "sent to director@example.com", "sent to tm-head@example.com",
    ]  # fmt: skip
    got = {m.to[0]: (m.subject, m.attachments[0][0]) for m in mail.outbox}
    assert got == {
        "ana@example.com": ("IONS report — March 2026", "IONS-2026-03.xlsx"),
        "tm-head@example.com": ("IONS TM report — March 2026", "IONS-2026-03-TM.xlsx"),
        "director@example.com": ("IONS report — Q1 2026", "IONS-2026-Q1.xlsx"),
    }


def test_an_operator_re_running_a_failed_scheduled_chain_still_mails_its_subscribers(
    entity, warehouse, operator
):
    subscribe(entity, "monthly", "", email="ana@example.com")
    failed = create_queued_run(
        Work("chain", "IONS", 2026, MonthRange(2, 2), "monthly", then=MONTHLY_CHAIN),
        trigger="schedule",
    )
    PipelineRun.objects.filter(pk=failed.pk).update(status="failed", error_message="lock timeout")
    (rerun,), _refused = control.rerun([PipelineRun.objects.get(pk=failed.pk)], operator)
    assert rerun.trigger == "admin" and execute(rerun.pk).endswith("success")
    assert mails_sent() == ["sent to ana@example.com"]


def test_a_report_built_by_hand_and_re_run_mails_only_when_it_was_asked_to(
    entity, warehouse, operator
):
    subscribe(entity, "monthly", "", email="ana@example.com")
    run_report("IONS", 2026, MonthRange(2, 2), email=True)
    run_report("IONS", 2026, MonthRange(3, 3))
    asked, quiet = PipelineRun.objects.filter(stage="report").order_by("id")
    assert (asked.options["email"], quiet.options.get("email")) == (True, None)
    for run in (asked, quiet):
        PipelineRun.objects.filter(pk=run.pk).update(status="failed")
    queued, _refused = control.rerun(PipelineRun.objects.filter(stage="report"), operator)
    for run in queued:
        execute(run.pk)
    assert mails_sent() == ["sent to ana@example.com"] * 2  # the first build and its re-run
    assert {m.subject for m in mail.outbox} == {"IONS report — February 2026"}
