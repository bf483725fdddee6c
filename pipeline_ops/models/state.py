"""The month-state record (docs/pipeline.md, "One truth for a month's state").

One `MonthState` per entity, year and month, one `ReportState` per report (entity, stem:
type, period and unit). Each field is a verdict a stage wrote when its run record
completed (pipeline/state/); the board, the banner, run pages, publish and report checks,
report notes and the report JSON read them and derive nothing. No logic lives here.
"""

from __future__ import annotations

from django.db import models

from pipeline_ops.models.entities import Entity
from pipeline_ops.models.runs import PipelineRun


def _run(related: str) -> models.ForeignKey[PipelineRun | None, PipelineRun | None]:
    return models.ForeignKey(
        PipelineRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text=related,
    )  # fmt: skip


class MonthState(models.Model):
    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="month_states")
    year = models.IntegerField()
    month = models.IntegerField()
    # The furthest stage that succeeded for the month: a registry stage with a `level`.
    level = models.CharField(max_length=16, blank=True)
    level_run = _run("the run that reached `level`")
    has_data = models.BooleanField(default=False)  # the latest load found its sheet
    # What was loaded: the workbook version, and a fingerprint of the month's rows (and
    # REFERENSI), whole and per unit, so a load that changes nothing changes no state.
    loaded_at = models.DateTimeField(null=True, blank=True)
    workbook_sha256 = models.CharField(max_length=64, blank=True)
    fingerprint = models.CharField(max_length=64, blank=True)
    unit_fingerprints = models.JSONField(default=dict, blank=True)
    # The last load that changed the month's data: what made what was built before stale.
    changed_at = models.DateTimeField(null=True, blank=True)
    changed_run = _run("the load that last changed the month's data")
    changed_sha256 = models.CharField(max_length=64, blank=True)
    changed_units = models.JSONField(default=list, blank=True)  # ["*"]: every unit
    transformed_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_run = _run("the last publish of the month")
    # Validation errors keep the month out of the marts, publish and reports.
    blocked_errors = models.IntegerField(default=0)
    blocked_cell = models.CharField(max_length=80, blank=True)
    blocked_issue = models.TextField(blank=True)  # the first error: `cell rule: message`
    blocked_run = _run("the validation that blocked the month")
    # The newest failure of the month's work that no later success of it has cleared.
    failure_run = _run("the open failure (the stage that failed)")
    failure_clears = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ("entity", "year", "month")
        constraints = [
            models.UniqueConstraint(fields=("entity", "year", "month"), name="one_month_state")
        ]

    def __str__(self) -> str:
        return f"{self.entity_id and self.entity.code} {self.year}-{self.month:02d}"


class ReportState(models.Model):
    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="report_states")
    year = models.IntegerField()
    stem = models.CharField(max_length=64)  # the report's file name: IONS-2026-Q1-TM
    type = models.CharField(max_length=16)
    unit = models.CharField(max_length=16, blank=True)  # blank: the whole entity
    month_start = models.IntegerField(null=True, blank=True)
    month_end = models.IntegerField(null=True, blank=True)
    report = models.ForeignKey("pipeline_ops.Report", null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")  # fmt: skip
    built_at = models.DateTimeField(null=True, blank=True)
    build_run = _run("the report run that built it last")
    withheld = models.JSONField(default=list, blank=True)  # [{month, errors, first_cell}]
    # A load changed the data of its months (and unit) after it was built.
    stale_since = models.DateTimeField(null=True, blank=True)
    stale_run = _run("the load that made the build stale")
    stale_sha256 = models.CharField(max_length=64, blank=True)
    stale_months = models.JSONField(default=list, blank=True)
    failure_run = _run("the open failure of this report")
    failure_clears = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ("entity", "year", "stem")
        constraints = [models.UniqueConstraint(fields=("entity", "stem"), name="one_report_state")]

    def __str__(self) -> str:
        return self.stem
