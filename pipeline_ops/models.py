"""Django-side records. No pipeline logic lives here: see pipeline_ops/pipeline/."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from .pipeline.entities import (
    ENTITY_CODE_PATTERN,
    ENTITY_CODE_RULE,
    validate_absolute_path,
    validate_entity_code,
)


class Entity(models.Model):
    code = models.CharField(
        max_length=16, unique=True, validators=[validate_entity_code], help_text=ENTITY_CODE_RULE
    )
    name = models.CharField(max_length=200, blank=True)
    source_dir = models.CharField(
        max_length=500,
        blank=True,
        validators=[validate_absolute_path],
        # No angle brackets: the admin renders help_text as HTML and would drop them.
        help_text="Absolute path of a folder that replaces PIPELINE_DATA_DIR/sources/CODE/ "
        "(superusers only).",
    )
    active = models.BooleanField(default=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("code",)
        verbose_name_plural = "entities"
        constraints = [
            # The code names folders under the data dir: the database refuses `../x` too,
            # whatever path (admin, shell, bulk_create, raw update) the row comes by.
            models.CheckConstraint(
                condition=models.Q(code__regex=ENTITY_CODE_PATTERN),
                name="entity_code_rule",
                violation_error_message=f"Entity code: {ENTITY_CODE_RULE}.",
            )
        ]

    def __str__(self) -> str:
        return self.code

    def save(self, *args, **kwargs) -> None:
        # The clear message before the database's bare CHECK failure (IntegrityError).
        validate_entity_code(self.code)
        validate_absolute_path(self.source_dir)
        super().save(*args, **kwargs)


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
    trigger = models.CharField(max_length=16, default="command")
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


class DimensionCache(models.Model):
    """Ids of ops DB dimension rows resolved by publish (read-only mirror)."""

    class Kind(models.TextChoices):
        ENTITY = "entity"
        PROGRAM = "program"
        ORGANIZATION = "organization"
        PERSON = "person"
        ACCOUNT = "account"

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="dimensions")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    key = models.CharField(max_length=400)
    ops_id = models.BigIntegerField()
    label = models.CharField(max_length=400, blank=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("entity", "kind", "key")
        constraints = [
            models.UniqueConstraint(fields=("entity", "kind", "key"), name="uniq_dimension_key")
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.key} → {self.ops_id}"


from .models_intake import WorkbookChange, WorkbookVersion  # noqa: E402  (one app, three files)
from .models_reports import ReportBuild, ReportDelivery, ReportSubscription  # noqa: E402

__all__ = [
    "DimensionCache", "Entity", "PipelineRun", "Report", "ReportBuild", "ReportDelivery",
    "ReportSubscription", "ValidationIssue", "WorkbookChange", "WorkbookVersion",
]  # fmt: skip
