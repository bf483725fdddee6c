"""Workbook intake records (docs/intake.md): every workbook offered for an entity-year, its
preview (validation + the order diff against the current version) and what became of it.
No intake logic lives here: see pipeline_ops/pipeline/intake/."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class WorkbookVersion(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued"  # uploaded; the worker has not previewed it yet
        PREVIEWING = "previewing"
        PREVIEWED = "previewed"  # waiting for accept or reject
        FAILED = "failed"  # could not be read: `error` says why
        ACCEPTING = "accepting"
        ACCEPTED = "accepted"  # the current workbook of its entity-year
        SUPERSEDED = "superseded"  # was current, replaced by a later accept
        REJECTED = "rejected"

    entity = models.ForeignKey("pipeline_ops.Entity", on_delete=models.PROTECT,
                               related_name="workbook_versions")  # fmt: skip
    year = models.IntegerField()
    upload = models.FileField(upload_to="intake/%Y/%m/", blank=True, max_length=300)
    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.BigIntegerField(default=0)
    original_name = models.CharField(max_length=255, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")  # fmt: skip
    uploaded_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(blank=True)
    base_sha256 = models.CharField(max_length=64, blank=True)  # the version it was diffed against
    summary = models.JSONField(default=dict, blank=True)  # counts, per month, issues, totals
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")  # fmt: skip
    decided_at = models.DateTimeField(null=True, blank=True)
    sync_run = models.ForeignKey("pipeline_ops.PipelineRun", null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")  # fmt: skip
    # The worker process previewing or accepting it now (runs/recovery.identity; empty
    # otherwise): a version a dead worker left previewing/accepting is recovered
    # (intake/recovery.py).
    worker = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ("-uploaded_at", "-id")
        permissions = [("accept_workbookversion", "Can accept, reject and restore workbooks")]

    def __str__(self) -> str:
        return f"{self.entity_id and self.entity.code} {self.year} {self.sha256[:10]}"

    @property
    def by(self) -> str:
        return self.uploaded_by.get_username() if self.uploaded_by else "file system"


class WorkbookChange(models.Model):
    """One order a previewed workbook adds, removes or changes (keyed by No Invoice)."""

    class Kind(models.TextChoices):
        ADDED = "added"
        REMOVED = "removed"
        CHANGED = "changed"

    version = models.ForeignKey(WorkbookVersion, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    month = models.IntegerField()  # the new month; the old one for a removed order
    invoice = models.CharField(max_length=200)
    fields = models.JSONField(default=list, blank=True)  # [[field, old, new], ...]

    class Meta:
        ordering = ("month", "invoice")
        indexes = [models.Index(fields=("version", "kind", "month"))]

    def __str__(self) -> str:
        return f"{self.kind} {self.invoice}"
