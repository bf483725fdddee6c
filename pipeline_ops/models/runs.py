"""Run records (the mirror of the warehouse's `_pipeline_runs`) and validation issues."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from pipeline_ops.models.entities import Entity

# How a run was launched (PipelineRun.trigger). A schedule's *Run now* (admin/schedules.py)
# is the schedule's work with a person's name on it: it mails subscribers as the schedule
# would, and shows as the schedule's last run.
SCHEDULED_TRIGGERS = frozenset({"schedule", "run_now"})


class PipelineRun(models.Model):
    """Mirror of DuckDB `_pipeline_runs`, plus what the admin needs (queue state, who, task)."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        SUCCESS = "success"
        PARTIAL = "partial"  # a transform limited by --select: never makes the marts current
        FAILED = "failed"
        CANCELLED = "cancelled"  # taken off the queue, or stopped while running (runs/control.py)

    ACTIVE = (Status.QUEUED, Status.RUNNING)  # work that is not finished yet
    RERUNNABLE = (Status.FAILED, Status.CANCELLED)  # what "Re-run" queues again

    warehouse_id = models.BigIntegerField(null=True, blank=True, unique=True)
    entity = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="runs")
    year = models.IntegerField()
    month = models.IntegerField(null=True, blank=True)
    month_end = models.IntegerField(null=True, blank=True)
    stage = models.CharField(max_length=32)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    created = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    error_message = models.TextField(blank=True)
    source_file_hash = models.CharField(max_length=64, blank=True)
    row_count = models.BigIntegerField(null=True, blank=True)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    trigger = models.CharField(max_length=16, default="command")  # one of TRIGGERS
    task_id = models.CharField(max_length=64, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    options = models.JSONField(default=dict, blank=True)
    log = models.TextField(blank=True)
    pid = models.IntegerField(null=True, blank=True)
    # Asked to stop while running: the worker ends it at the next safe point (runs/stopping.py).
    stop_requested_at = models.DateTimeField(null=True, blank=True)
    stop_requested_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ("-created", "-id")
        indexes = [
            models.Index(fields=("entity", "year", "stage", "completed_at")),
            models.Index(fields=("status",)),
        ]
        permissions = (("launch_pipelinerun", "Can launch pipeline runs"),)

    def __str__(self) -> str:
        return f"{self.stage} {self.entity_id and self.entity.code} {self.year} #{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def can_cancel(self) -> bool:
        """Only queued top-level work can be cancelled; a started run is never cut short."""
        return self.status == self.Status.QUEUED and self.parent_id is None

    @property
    def can_stop(self) -> bool:
        """Running top-level work that nobody has asked to stop yet."""
        return (
            self.status == self.Status.RUNNING
            and self.parent_id is None
            and self.stop_requested_at is None
        )

    @property
    def can_rerun(self) -> bool:
        return self.status in self.RERUNNABLE

    @property
    def duration(self):
        if self.started_at and self.completed_at:
            return self.completed_at - self.started_at
        return None


class ValidationIssue(models.Model):
    class Severity(models.TextChoices):
        ERROR = "error"
        WARNING = "warning"

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="issues")
    year = models.IntegerField()
    month = models.IntegerField(null=True, blank=True)
    sheet = models.CharField(max_length=64, blank=True)
    cell = models.CharField(max_length=80, blank=True)
    rule = models.CharField(max_length=64)
    severity = models.CharField(max_length=8, choices=Severity.choices)
    message = models.TextField()
    value = models.TextField(blank=True)
    run = models.ForeignKey(
        PipelineRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="issues"
    )

    class Meta:
        ordering = ("entity", "year", "month", "sheet", "id")
        indexes = [models.Index(fields=("entity", "year", "month"))]

    def __str__(self) -> str:
        return f"{self.cell} {self.rule}"
