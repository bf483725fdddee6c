"""Report e-mail delivery (docs/reports.md, "Subscriptions and delivery"): what a subscriber
receives after the monthly schedule, exactly once, and what a failing mail server does.

Mail goes to Django's locmem outbox (pytest-django's default backend) except in the one test
that talks to a real local SMTP server (aiosmtpd). Queued tasks are run the way django-q2's
worker runs them: taken off this test's queue and called with their stored arguments.
"""

from __future__ import annotations

import ast
import io
import re
import socket
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django.utils.module_loading import import_string
from django_q.brokers import get_broker
from django_q.models import Schedule
from django_q.signing import SignedPackage
from openpyxl import Workbook

from pipeline_ops import tasks
from pipeline_ops.models import PipelineRun, Report, ReportBuild, ReportDelivery
from pipeline_ops.models import ReportSubscription as Subscription
from pipeline_ops.pipeline.reports.delivery import (
    TASK,
    queue_deliveries,
    report_words,
    requeue_stuck,
    send_delivery,
)
from pipeline_ops.pipeline.reports.links import build_evidence_url, stable_url
from pipeline_ops.pipeline.runs.run_now import run_now
from pipeline_ops.pipeline.runs.schedules import TASK as SCHEDULE_TASK

pytestmark = pytest.mark.django_db
SITE = "https://atlas.example.com"


def run_queued_tasks() -> list[str]:
    """What django-q2's worker does: each queued task's function called with its arguments."""
    broker, results = get_broker(), []
    while queued := broker.dequeue():
        for ack_id, payload in queued:
            task = SignedPackage.loads(payload)
            results.append(import_string(task["func"])(*task["args"], **task["kwargs"]))
            broker.acknowledge(ack_id)
    return results


@pytest.fixture
def ana(entity) -> Subscription:
    return Subscription.objects.create(entity=entity, email="ana@example.com")


@pytest.fixture
def scheduled(warehouse, settings) -> PipelineRun:
    """February 2026 published and reported by the monthly schedule's task function."""
    settings.SITE_URL = SITE
    summary = tasks.scheduled("publish", "IONS", 2026, 2)
    assert summary.endswith("success"), summary
    return PipelineRun.objects.get(parent__isnull=True, stage="chain")


def test_a_scheduled_report_mails_its_subscriber_once_with_the_workbook_attached(ana, scheduled):
    assert run_queued_tasks() == ["sent to ana@example.com"]
    (message,) = mail.outbox
    build = ReportBuild.objects.get()
    assert (message.to, message.subject) == (["ana@example.com"], "IONS report — February 2026")
    ((name, content, kind),) = message.attachments
    assert name == "IONS-2026-02.xlsx" and kind.endswith("spreadsheetml.sheet")
    assert content == Path(build.xlsx_path).read_bytes()
    link = stable_url("IONS", "IONS-2026-02")
    assert link == f"{SITE}/reports/IONS/IONS-2026-02.html" and link in message.body
    delivery = ReportDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.build) == ("sent", 0, build)
    assert delivery.sent_at is not None


def test_the_html_body_is_the_whole_report_and_refers_to_nothing_outside(ana, scheduled):
    run_queued_tasks()
    ((html, kind),) = mail.outbox[0].alternatives
    assert kind == "text/html"
    # The report page itself (inline CSS and SVG), plus one line with its link at the top;
    # its figures' links to their evidence are absolute, on this build's own address.
    build = ReportBuild.objects.get()
    evidence = build_evidence_url("IONS", build.pk, "IONS-2026-02")
    assert evidence == f"{SITE}/reports/IONS/builds/{build.pk}/IONS-2026-02/evidence/"
    report = Path(build.html_path).read_text()
    report = report.replace('href="IONS-2026-02/evidence/', f'href="{evidence}')
    assert re.sub(r"<p [^>]*>Latest version: .*?</p>", "", html, count=1) == report
    # The addresses in it are the link to the report's latest version and its figures'
    # evidence on this build, all absolute: no image, font, stylesheet or script is fetched
    # from anywhere when the mail is opened, and no link is relative to a mail.
    addresses = set(re.findall(r"""(?:src|href|action)\s*=\s*["']([^"']*)""", html))
    stable = stable_url("IONS", "IONS-2026-02")
    assert stable in addresses and len(addresses) > 10
    assert {a for a in addresses if a != stable if not a.startswith(evidence + "?figure=")} == set()
    assert not re.search(r"url\(|@import|<link|<script|<iframe|<img", html, re.I)


def test_asking_again_for_the_same_build_mails_nobody_twice(ana, scheduled):
    run_queued_tasks()
    build = ReportBuild.objects.get()
    assert queue_deliveries(build) == 0
    delivery = ReportDelivery.objects.get()
    assert send_delivery(delivery.pk).endswith("not pending, nothing to do")
    assert run_queued_tasks() == []
    assert len(mail.outbox) == 1 and ReportDelivery.objects.count() == 1


def test_a_scheduled_report_run_records_how_many_mails_it_queued(ana, scheduled):
    report_run = PipelineRun.objects.get(stage="report")
    assert report_run.trigger == "schedule" and report_run.status == "success"
    assert "1 e-mail(s) queued" in report_run.log


def test_a_schedules_run_now_mails_its_subscribers_as_the_schedule_would(
    ana, warehouse, operator, settings
):
    settings.SITE_URL = SITE
    monthly = Schedule.objects.create(name="Monthly publish + report IONS", func=SCHEDULE_TASK,
                                      args=repr(("publish", "IONS", 2026, 2)))  # fmt: skip
    run_now(monthly, operator)

    assert "sent to ana@example.com" in run_queued_tasks()  # the chain, then its mail
    chain = PipelineRun.objects.get(parent__isnull=True)
    assert (chain.status, chain.trigger, chain.triggered_by) == ("success", "run_now", operator)
    assert [m.to for m in mail.outbox] == [["ana@example.com"]]


def kept_build(entity, folder: Path, *, unit: str = "", kind: str = "monthly",
               months=(2, 2), label: str = "2026-02") -> ReportBuild:  # fmt: skip
    """A report and one kept build with small files made here (no warehouse needed)."""
    stem = "-".join(filter(None, [entity.code, label if kind != "yearly" else "2026", unit]))
    folder.mkdir(parents=True, exist_ok=True)
    html, xlsx = folder / f"{stem}.html", folder / f"{stem}.xlsx"
    html.write_text(f"<!DOCTYPE html><html><body><h1>{stem}</h1></body></html>")
    book = Workbook()
    book.active["A1"] = stem
    book.save(xlsx)
    report = Report.objects.create(
        entity=entity, year=2026, month_start=months[0], month_end=months[1], type=kind,
        label=label, unit=unit, stem=stem, json_path=str(folder / f"{stem}.json"),
        html_path=str(html), xlsx_path=str(xlsx),
    )  # fmt: skip
    return ReportBuild.objects.create(
        report=report, generated_at=timezone.now(), json_path=report.json_path,
        html_path=str(html), xlsx_path=str(xlsx),
    )  # fmt: skip


def test_a_unit_subscription_gets_only_that_units_report(entity, ana, data_dir):
    Subscription.objects.create(entity=entity, email="tom@example.com", unit="TM")
    Subscription.objects.create(entity=entity, email="dora@example.com", unit="DR")
    whole, tm = kept_build(entity, data_dir / "r"), kept_build(entity, data_dir / "r", unit="TM")
    assert (queue_deliveries(whole), queue_deliveries(tm)) == (1, 1)
    run_queued_tasks()
    sent = sorted((m.to[0], m.subject, m.attachments[0][0]) for m in mail.outbox)
    assert sent == [
        ("ana@example.com", "IONS report — February 2026", "IONS-2026-02.xlsx"),
        ("tom@example.com", "IONS TM report — February 2026", "IONS-2026-02-TM.xlsx"),
    ]


def test_an_inactive_subscription_or_another_report_type_gets_nothing(entity, data_dir):
    Subscription.objects.create(entity=entity, email="off@example.com", active=False)
    Subscription.objects.create(entity=entity, email="q@example.com", report_type="quarterly")
    assert queue_deliveries(kept_build(entity, data_dir / "r")) == 0
    assert not ReportDelivery.objects.exists() and run_queued_tasks() == []


def test_the_subject_names_the_entity_the_unit_and_the_period_in_words(entity, data_dir):
    folder = data_dir / "r"
    quarter = kept_build(entity, folder, unit="TM", kind="quarterly", months=(1, 3), label="Q1")
    year = kept_build(entity, folder, kind="yearly", months=(1, 3), label="2026")
    assert report_words(quarter.report) == "IONS TM report — Q1 2026"
    assert report_words(year.report) == "IONS report — 2026"


def test_a_report_built_by_hand_mails_nobody_unless_asked_with_email(ana, warehouse, capsys):
    call_command("report", "--entity", "IONS", "--year", "2026", "--month", "2")
    assert not ReportDelivery.objects.exists() and mail.outbox == []
    call_command("report", "--entity", "IONS", "--year", "2026", "--month", "2", "--email")
    assert "Sent to ana@example.com" in capsys.readouterr().out
    assert [m.to for m in mail.outbox] == [["ana@example.com"]]
    run_queued_tasks()  # the task queued for the worker finds it sent: nothing more
    assert len(mail.outbox) == 1


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again on leaving: nothing listens there


@pytest.fixture
def unreachable_mail(settings) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", closed_port()
    settings.EMAIL_TIMEOUT, settings.REPORT_MAIL_ATTEMPTS = 5, 3


def run_retry_schedule(delivery: ReportDelivery) -> str:
    """What the worker's scheduler does when the one-off retry Schedule falls due."""
    (retry,) = Schedule.objects.filter(func=TASK, args=repr((delivery.pk,)))
    assert retry.schedule_type == Schedule.ONCE and retry.next_run > timezone.now()
    retry.delete()  # django-q2 deletes a ONCE schedule when it runs it
    return import_string(retry.func)(*ast.literal_eval(retry.args))


def test_an_unreachable_mail_server_never_fails_the_report_and_fails_after_the_attempts(
    ana, scheduled, unreachable_mail
):
    run_queued_tasks()
    delivery = ReportDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert "Attempt 1: ConnectionRefusedError" in delivery.error
    run_retry_schedule(delivery)
    assert "after 3 attempt(s)" in run_retry_schedule(delivery)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 3) and delivery.sent_at is None
    assert not Schedule.objects.filter(func=TASK).exists()
    assert {run.status for run in PipelineRun.objects.all()} == {"success"}
    assert mail.outbox == []


def test_report_email_from_the_command_line_says_a_failed_send_and_still_exits_0(
    ana, warehouse, unreachable_mail
):
    out, err = io.StringIO(), io.StringIO()
    call_command("report", "--entity", "IONS", "--year", "2026", "--month", "2", "--email",
                 stdout=out, stderr=err)  # fmt: skip
    assert "Failed for ana@example.com: Attempt 1: ConnectionRefusedError" in err.getvalue()
    assert PipelineRun.objects.get(stage="report").status == "success"
    assert ReportDelivery.objects.get().status == "pending"  # the worker tries again


class Inbox:
    """An aiosmtpd handler keeping what it receives."""

    def __init__(self) -> None:
        self.envelopes: list = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted"


def test_a_real_smtp_server_receives_the_report_with_its_workbook(ana, scheduled, settings):
    from aiosmtpd.controller import Controller

    inbox, port = Inbox(), closed_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 10
    controller.start()
    try:
        assert run_queued_tasks() == ["sent to ana@example.com"]
    finally:
        controller.stop()
    (envelope,) = inbox.envelopes
    assert envelope.rcpt_tos == ["ana@example.com"]
    message = message_from_bytes(envelope.content, policy=policy.default)
    assert message["Subject"] == "IONS report — February 2026"
    (attachment,) = message.iter_attachments()
    assert attachment.get_filename() == "IONS-2026-02.xlsx"
    assert attachment.get_content() == Path(ReportBuild.objects.get().xlsx_path).read_bytes()
    html = message.get_body(("html",)).get_content()
    assert stable_url("IONS", "IONS-2026-02") in html


def test_a_build_whose_workbook_is_gone_is_a_failed_attempt_not_a_crash(entity, ana, data_dir):
    build = kept_build(entity, data_dir / "r")
    Path(build.xlsx_path).unlink()
    queue_deliveries(build)
    assert run_queued_tasks()[0].startswith("failed for ana@example.com, retry at")
    delivery = ReportDelivery.objects.get()
    assert delivery.status == "pending" and "XLSX file is missing" in delivery.error


def test_a_delivery_a_killed_worker_left_sending_is_queued_again_and_sent_once(
    entity, ana, data_dir
):
    build = kept_build(entity, data_dir / "reports" / "IONS")
    queue_deliveries(build)
    delivery = ReportDelivery.objects.get()
    an_hour_ago = timezone.now() - timezone.timedelta(hours=1)
    # A worker claimed it an hour ago and was killed before it finished.
    ReportDelivery.objects.filter(pk=delivery.pk).update(status="sending", claimed_at=an_hour_ago)
    assert run_queued_tasks() == [f"delivery {delivery.pk}: not pending, nothing to do"]
    assert requeue_stuck() == 1
    assert run_queued_tasks() == ["sent to ana@example.com"] and len(mail.outbox) == 1
    assert requeue_stuck() == 0  # sent: nothing to pick up again


def test_a_delivery_being_sent_right_now_is_not_taken_from_its_worker(entity, ana, data_dir):
    queue_deliveries(kept_build(entity, data_dir / "reports" / "IONS"))
    ReportDelivery.objects.update(status="sending", claimed_at=timezone.now())
    assert requeue_stuck() == 0
    assert ReportDelivery.objects.get().status == "sending"
