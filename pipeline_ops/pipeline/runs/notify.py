"""Failure notifications: a failed admin-launched or scheduled run mails the operators."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.urls import reverse

from pipeline_ops.models import PipelineRun

OPERATORS_GROUP = "Pipeline operators"
VIEWERS_GROUP = "Report viewers"
NOTIFIED_TRIGGERS = {"admin", "schedule", "intake"}


def operator_emails() -> list[str]:
    users = get_user_model().objects.filter(groups__name=OPERATORS_GROUP, is_active=True)
    return sorted({u.email for u in users if u.email})


def run_url(run: PipelineRun) -> str:
    return settings.SITE_URL + reverse("admin:pipeline_ops_pipelinerun_change", args=[run.pk])


def notify_failure(run: PipelineRun) -> int:
    """Runs nobody watched start (admin, schedule, intake) tell the operators they failed."""
    if run.status != PipelineRun.Status.FAILED or run.trigger not in NOTIFIED_TRIGGERS:
        return 0
    recipients = operator_emails()
    if not recipients:
        return 0
    period = f"{run.year}" + (f" month {run.month}" if run.month else "")
    subject = f"[Atlas Ops] {run.stage} {run.entity.code} {period} failed"
    body = (
        f"Run {run.pk} failed.\n\n{run.error_message}\n\nTriggered by: {run.trigger}\n"
        f"The run: {run_url(run)}\n"
    )
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
