"""E-mail delivery of reports to their subscribers (docs/reports.md, "Subscriptions and
delivery").

A report built by a schedule (or by `manage.py report --email`) gets one `ReportDelivery`
per subscriber and one django-q2 task each; the task sends one e-mail (the report's HTML as
the body, the XLSX attached, a link to the stable address). A failed send is tried again by
a one-off django-q2 Schedule after a back-off, and marked failed after REPORT_MAIL_ATTEMPTS.
Every attempt carries the delivery's one Message-ID: delivery is at least once, and a
second copy is recognisable as the same mail.
Nothing here ever fails the report run: a delivery records its own outcome.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, timedelta
from email.utils import parseaddr
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.html import escape

from pipeline_ops.models import SCHEDULED_TRIGGERS, PipelineRun, Report, ReportBuild, ReportDelivery
from pipeline_ops.models import ReportSubscription as Subscription
from pipeline_ops.pipeline import access
from pipeline_ops.pipeline.period import period_words
from pipeline_ops.pipeline.reports.links import build_evidence_url, stable_url
from pipeline_ops.pipeline.reports.notes import withheld_notices
from pipeline_ops.pipeline.runs.records import root_of
from pipeline_ops.pipeline.text import printable
from pipeline_ops.pipeline.when import local_stamp

log = logging.getLogger(__name__)

TASK = "pipeline_ops.tasks.send_report_delivery"
MAILED_TRIGGERS = SCHEDULED_TRIGGERS  # one built by hand mails nobody unless asked (--email)
STUCK_AFTER = 6  # EMAIL_TIMEOUTs: connect, TLS, login, data, quit, and a margin
FIRST_RETRY = timedelta(minutes=5)  # then 4x longer each time: 5 min, 20 min, 80 min…
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Status = ReportDelivery.Status


def queue_for_run(build: ReportBuild, run: PipelineRun, *, asked: bool = False) -> int:
    """The one rule of who gets mail: a scheduled report (child runs of a chain carry their
    parent's trigger), a re-run of one (an operator re-running last night's failed monthly
    chain), or one whose caller asked for it. Returns the deliveries queued."""
    if not asked and not _scheduled(run):
        return 0
    return queue_deliveries(build)


def _scheduled(run: PipelineRun) -> bool:
    run = root_of(run)
    for _ in range(20):  # a re-run of a re-run …: back to the work someone first asked for
        if run.trigger in MAILED_TRIGGERS:
            return True
        original = run.options.get("rerun_of")
        run = PipelineRun.objects.filter(pk=original).first() if original else None
        if run is None:
            return False
    return False


def subscriptions_for(report: Report) -> QuerySet[Subscription]:
    """Active subscriptions to exactly this report: a blank unit is the whole-entity report."""
    return Subscription.objects.filter(
        entity_id=report.entity_id, report_type=report.type, unit=report.unit, active=True
    ).select_related("user")


def queue_deliveries(build: ReportBuild) -> int:
    """One delivery and one task per subscriber of the build's report; asking again for the
    same build queues nothing more (one delivery per build and recipient)."""
    queued = 0
    for subscription in subscriptions_for(build.report):
        recipient = subscription.recipient
        if not recipient:
            log.warning("subscription %s has no e-mail address: skipped", subscription.pk)
            continue
        if subscription.user_id and not access.may(subscription.user, build.report.entity_id):
            # Their membership was revoked (or they left): the report no longer goes to them.
            log.info("subscription %s: its user may no longer see the entity", subscription.pk)
            continue
        delivery, created = ReportDelivery.objects.get_or_create(
            build=build, recipient=recipient, defaults={"subscription": subscription}
        )
        if created:
            queued += _enqueue(delivery)
    return queued


def _enqueue(delivery: ReportDelivery) -> int:
    from django_q.tasks import async_task

    try:
        async_task(TASK, delivery.pk, task_name=f"Mail report to {delivery.recipient}"[:100])
    except Exception as exc:  # a broker outage must not fail the report: record it instead
        _record_failure(delivery.pk, Status.FAILED, f"Could not queue the e-mail: {exc}")
        return 0
    return 1


def send_delivery(delivery_id: int) -> str:
    """Send one delivery once: only the worker whose conditional update moves it from
    pending to sending sends it. Never raises; the outcome is recorded on the delivery."""
    if not ReportDelivery.objects.filter(pk=delivery_id, status=Status.PENDING).update(
        status=Status.SENDING, claimed_at=timezone.now()
    ):
        return f"delivery {delivery_id}: not pending, nothing to do"
    delivery = ReportDelivery.objects.select_related(
        "build__report__entity", "subscription__user"
    ).get(pk=delivery_id)
    if _no_longer_allowed(delivery):  # revoked since it was queued: retries stop here too
        error = "Not sent: the subscriber may no longer see this entity's reports."
        _record_failure(delivery.pk, Status.FAILED, error)
        return f"not sent to {delivery.recipient}: no longer a member"
    try:
        report_message(delivery).send(fail_silently=False)
    except Exception as exc:  # SMTP refusal, timeout, missing file, bad backend: all retried
        return _failed(delivery, exc)
    ReportDelivery.objects.filter(pk=delivery.pk).update(
        status=Status.SENT, sent_at=timezone.now(), error=""
    )
    log.info("report %s mailed to %s", delivery.build.report, delivery.recipient)
    return f"sent to {delivery.recipient}"


def _no_longer_allowed(delivery: ReportDelivery) -> bool:
    subscription = delivery.subscription
    user = subscription.user if subscription is not None and subscription.user_id else None
    return user is not None and not access.may(user, delivery.build.report.entity_id)


def _failed(delivery: ReportDelivery, exc: Exception) -> str:
    attempts = delivery.attempts + 1
    error = f"Attempt {attempts}: {type(exc).__name__}: {exc}"
    final = attempts >= settings.REPORT_MAIL_ATTEMPTS
    _record_failure(delivery.pk, Status.FAILED if final else Status.PENDING, error, attempts)
    log.warning("report mail to %s failed (%s)", delivery.recipient, error)
    if final:
        return f"failed for {delivery.recipient} after {attempts} attempt(s): {error}"
    when = _schedule_retry(delivery.pk, attempts)
    retry = local_stamp(when, default_zone=True)
    return f"failed for {delivery.recipient}, retry at {retry}: {error}"


def _record_failure(pk: int, status: str, error: str, attempts: int | None = None) -> None:
    values = {"status": status, "error": printable(error)[:2000]}
    if attempts is not None:
        values["attempts"] = attempts
    ReportDelivery.objects.filter(pk=pk).update(**values)


def retry_delay(attempts: int):
    """The back-off after the `attempts`-th failure."""
    return FIRST_RETRY * 4 ** (attempts - 1)


def _schedule_retry(delivery_id: int, attempts: int):
    """A one-off Schedule (deleted once run): kept in the database, so a retry survives a
    worker restart, and no worker sleeps through the back-off."""
    from django_q.models import Schedule

    when = timezone.now() + retry_delay(attempts)
    Schedule.objects.create(
        name=f"Retry report delivery {delivery_id} (attempt {attempts + 1})",
        func=TASK, args=repr((delivery_id,)), schedule_type=Schedule.ONCE, repeats=-1,
        next_run=when,
    )  # fmt: skip
    return when


def requeue_stuck(now=None) -> int:
    """Deliveries a worker claimed and never finished (killed mid-send) go back to pending
    and are queued again. A send ends within a few EMAIL_TIMEOUTs, so a claim older than
    STUCK_AFTER of them is a dead worker's. Run at worker start and by the nightly task."""
    since = (now or timezone.now()) - timedelta(seconds=settings.EMAIL_TIMEOUT * STUCK_AFTER)
    stuck = ReportDelivery.objects.filter(status=Status.SENDING, claimed_at__lt=since)
    pks = list(stuck.values_list("pk", flat=True))
    ReportDelivery.objects.filter(pk__in=pks, status=Status.SENDING).update(status=Status.PENDING)
    return sum(_enqueue(delivery) for delivery in ReportDelivery.objects.filter(pk__in=pks))


def retry_failed(deliveries: QuerySet[ReportDelivery]) -> int:
    """Operators' "Retry": failed deliveries get their attempts again, queued now."""
    pks = list(deliveries.filter(status=Status.FAILED).values_list("pk", flat=True))
    ReportDelivery.objects.filter(pk__in=pks, status=Status.FAILED).update(
        status=Status.PENDING, attempts=0, error=""
    )
    return sum(_enqueue(delivery) for delivery in ReportDelivery.objects.filter(pk__in=pks))


def send_pending(build: ReportBuild) -> list[ReportDelivery]:
    """Send the build's pending deliveries in this process (`manage.py report --email`)."""
    sent = []
    for delivery in build.deliveries.filter(status=Status.PENDING).order_by("recipient"):
        send_delivery(delivery.pk)
        delivery.refresh_from_db()
        sent.append(delivery)
    return sent


# ---- the message --------------------------------------------------------------------


def report_words(report: Report) -> str:
    """`IONS report — February 2026`, `IONS TM report — Q1 2026`, `IONS report — 2026`."""
    unit = f" {report.unit}" if report.unit else ""
    month = None if report.type == "yearly" else report.month_start
    period = period_words(report.year, month, report.month_end)
    return f"{report.entity.code}{unit} report — {period}"


def report_message(delivery: ReportDelivery) -> EmailMultiAlternatives:
    build = delivery.build
    report = build.report
    link = stable_url(report.entity.code, report.stem, "html")
    html = _read(build.html_path, "HTML").decode("utf-8")
    xlsx = _read(build.xlsx_path, "XLSX")
    notices = _notices(build)  # withheld months and notes first, as in the HTML part
    text = "\n".join([
        report_words(report), "", *notices, *([""] if notices else []),
        f"The report is attached as a workbook ({report.stem}.xlsx).",
        f"The latest version is always at {link}", "",
    ])  # fmt: skip
    message = EmailMultiAlternatives(
        subject=report_words(report), body=text, from_email=settings.DEFAULT_FROM_EMAIL,
        to=[delivery.recipient], headers={"Message-ID": message_id(delivery)},
    )  # fmt: skip
    message.attach_alternative(_with_link(_absolute_evidence(html, build), link), "text/html")
    message.attach(f"{report.stem}.xlsx", xlsx, XLSX_TYPE)
    return message


def _notices(build: ReportBuild) -> list[str]:
    """What the report says first (withheld months, then its notes), for the text part."""
    try:
        report = json.loads(_read(build.json_path, "JSON"))
    except (OSError, ValueError):
        return []  # the HTML part carries the same lines
    return [*withheld_notices(report), *report.get("warnings", [])]


def message_id(delivery: ReportDelivery) -> str:
    """The same on every attempt of a delivery: a send that timed out may still have been
    delivered, and its retry is then recognisably the same mail (servers and clients drop
    a second copy by Message-ID). The creation time keeps it unique should a new database
    hand out the same pk again; the sender's domain, unlike make_msgid's host name, is
    the same on every worker."""
    created = delivery.created.astimezone(UTC).strftime("%Y%m%d%H%M%S%f")
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2]
    if not re.fullmatch(r"[A-Za-z0-9.-]+", domain):
        domain = "atlas-ops.localhost"
    return f"<atlas-delivery-{delivery.pk}-{created}@{domain}>"


def _read(path: str, what: str) -> bytes:
    if not path or not Path(path).is_file():
        raise FileNotFoundError(f"the build's {what} file is missing ({path or 'never written'})")
    return Path(path).read_bytes()


def _absolute_evidence(html: str, build: ReportBuild) -> str:
    """A mail has no address of its own: the report's relative links to its figures'
    evidence (`<stem>/evidence/?…`) become absolute, on this build's address, so a reader
    sees the orders of the numbers in the mail, not of a later build."""
    report = build.report
    folder = build_evidence_url(report.entity.code, build.pk, report.stem)
    relative = re.escape(f'href="{report.stem}/evidence/')
    return re.sub(relative, lambda _: f'href="{escape(folder)}', html)


def _with_link(html: str, link: str) -> str:
    """The report is self-contained (inline CSS and SVG); the only addition is one line with
    the link to its stable address, right at the top of the body."""
    line = (
        '<p style="margin:0;padding:8px 16px;font:13px Arial,sans-serif;background:#eef3f8">'
        f'Latest version: <a href="{escape(link)}">{escape(link)}</a></p>'
    )
    return re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + line, html, count=1)
