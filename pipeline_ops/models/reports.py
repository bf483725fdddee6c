"""Report builds, subscriptions and deliveries (docs/reports.md).

A `Report` is one stable address, `/reports/<ENTITY>/<stem>.<ext>`, updated in
place on every build; each build is kept as a `ReportBuild` with its own copy of the files.
A `ReportSubscription` asks for every scheduled build of an entity's report type (and unit)
by e-mail; a `ReportDelivery` records one mail of one build to one subscriber.
No delivery or build logic lives here: see pipeline_ops/pipeline/reports/.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from pipeline_ops.models.entities import Entity
from pipeline_ops.models.runs import PipelineRun

REPORT_TYPE_CHOICES = [("monthly", "Monthly"), ("quarterly", "Quarterly"), ("yearly", "Yearly")]


class ReportBuild(models.Model):
    """One build of a report, its files kept under `<reports_dir>/.builds/<stem>/`."""

    report = models.ForeignKey("pipeline_ops.Report", on_delete=models.CASCADE,
                               related_name="builds")  # fmt: skip
    run = models.ForeignKey("pipeline_ops.PipelineRun", null=True, blank=True,
                            on_delete=models.SET_NULL, related_name="report_builds")  # fmt: skip
    generated_at = models.DateTimeField()
    source_file_hash = models.CharField(max_length=64, blank=True)
    json_path = models.CharField(max_length=500)
    html_path = models.CharField(max_length=500, blank=True)
    xlsx_path = models.CharField(max_length=500, blank=True)
    # The orders behind its figures (pipeline/evidence/); blank for a build from before.
    evidence_path = models.CharField(max_length=500, blank=True)
    warnings = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ("-generated_at", "-id")

    def __str__(self) -> str:
        return f"{self.report} built {timezone.localtime(self.generated_at):%Y-%m-%d %H:%M %Z}"


class ReportSubscription(models.Model):
    entity = models.ForeignKey("pipeline_ops.Entity", on_delete=models.CASCADE,
                               related_name="subscriptions")  # fmt: skip
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
        related_name="report_subscriptions",
    )  # fmt: skip
    email = models.EmailField(blank=True, help_text="For someone without a login.")
    report_type = models.CharField(max_length=16, choices=REPORT_TYPE_CHOICES, default="monthly")
    unit = models.CharField(max_length=16, blank=True, help_text="Blank: the whole entity.")
    active = models.BooleanField(default=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("entity", "report_type", "unit", "id")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False) | ~models.Q(email=""),
                name="subscription_has_recipient",
                violation_error_message="A subscription needs a user or an e-mail address.",
            )
        ]

    def __str__(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        return f"{self.entity_id and self.entity.code}{unit} {self.report_type} → {self.recipient}"

    @property
    def recipient(self) -> str:
        return self.email or (self.user.email if self.user_id else "")


class ReportDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"  # queued for the worker, or waiting for a retry
        SENDING = "sending"  # claimed by a worker (conditional update)
        SENT = "sent"
        FAILED = "failed"  # gave up after the last attempt: `error` says why

    build = models.ForeignKey(ReportBuild, on_delete=models.CASCADE, related_name="deliveries")
    subscription = models.ForeignKey(
        ReportSubscription, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="deliveries",
    )  # fmt: skip
    recipient = models.CharField(max_length=254)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.IntegerField(default=0)
    error = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)  # moved to sending (stuck check)

    class Meta:
        ordering = ("-created", "-id")
        verbose_name_plural = "report deliveries"
        constraints = [
            # Exactly one mail per subscriber per build, however often delivery is asked for.
            models.UniqueConstraint(fields=("build", "recipient"), name="one_delivery_per_build")
        ]

    def __str__(self) -> str:
        return f"{self.build.report} → {self.recipient} ({self.status})"


class Report(models.Model):
    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="reports")
    year = models.IntegerField()
    month_start = models.IntegerField()
    month_end = models.IntegerField()
    type = models.CharField(max_length=16)
    label = models.CharField(max_length=32)
    unit = models.CharField(max_length=16, blank=True)  # blank: the whole entity
    # The file name without extension: `/reports/<ENTITY>/<stem>.<ext>` always serves the
    # latest build, so a rebuild updates this row (earlier builds: `builds`).
    stem = models.CharField(max_length=64)
    json_path = models.CharField(max_length=500)
    html_path = models.CharField(max_length=500, blank=True)
    xlsx_path = models.CharField(max_length=500, blank=True)
    evidence_path = models.CharField(max_length=500, blank=True)  # pipeline/evidence/
    warnings = models.JSONField(default=list, blank=True)
    run = models.ForeignKey(
        PipelineRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-updated", "-id")
        constraints = [
            models.UniqueConstraint(fields=("entity", "stem"), name="one_report_per_stem")
        ]

    def __str__(self) -> str:
        if self.stem:  # the file name without extension, e.g. IONS-2026-02-TM, IONS-2026
            return self.stem
        unit = f" {self.unit}" if self.unit else ""
        return f"{self.entity_id and self.entity.code} {self.label}{unit}"
