"""Failure notifications: a failed admin-launched or scheduled run mails the operators."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.urls import reverse

from pipeline_ops.models import SCHEDULED_TRIGGERS, PipelineRun
from pipeline_ops.pipeline import access
from pipeline_ops.pipeline.when import local_stamp

OPERATORS_GROUP = "Pipeline operators"
VIEWERS_GROUP = "Report viewers"
NOTIFIED_TRIGGERS = {"admin", "intake", *SCHEDULED_TRIGGERS}


def operator_emails(entity_id: int) -> list[str]:
    """The addresses of the active operators of that entity (pipeline/access.py)."""
    users = get_user_model().objects.filter(groups__name=OPERATORS_GROUP, is_active=True)
    return sorted({u.email for u in users if u.email and access.may(u, entity_id, access.OPERATE)})


def run_url(run: PipelineRun) -> str:
    return settings.SITE_URL + reverse("admin:pipeline_ops_pipelinerun_change", args=[run.pk])


def notify_failure(run: PipelineRun) -> int:
    """Runs nobody watched start (admin, schedule, intake) tell the operators they failed."""
    if run.status != PipelineRun.Status.FAILED or run.trigger not in NOTIFIED_TRIGGERS:
        return 0
    recipients = operator_emails(run.entity_id)
    if not recipients:
        return 0
    from pipeline_ops.console.outcome import HOW, run_title  # the run page's own words

    who = f"by {run.triggered_by} " if run.triggered_by else ""
    started = local_stamp(run.started_at or run.created, default_zone=True)
    subject = f"[Atlas Ops] {run_title(run)} failed"
    body = (
        f"Run {run.pk} failed: {run_title(run)}.\n"
        f"Launched {who}{HOW.get(run.trigger, run.trigger)}, started {started}.\n\n"
        f"{run.error_message}\n\nThe run: {run_url(run)}\n"
    )
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
