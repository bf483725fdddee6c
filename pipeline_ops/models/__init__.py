"""Django-side records, one module per part of the product, all importable from here
(as Zulip's zerver/models/ does). No pipeline logic lives in them: see pipeline_ops/pipeline/."""

from __future__ import annotations

from pipeline_ops.models.access import Membership
from pipeline_ops.models.entities import DimensionCache, Entity
from pipeline_ops.models.intake import WorkbookChange, WorkbookVersion
from pipeline_ops.models.reports import Report, ReportBuild, ReportDelivery, ReportSubscription
from pipeline_ops.models.runs import SCHEDULED_TRIGGERS, PipelineRun, ValidationIssue
from pipeline_ops.models.state import MonthState, ReportState

__all__ = [
    "SCHEDULED_TRIGGERS", "DimensionCache", "Entity", "Membership", "MonthState", "PipelineRun",
    "Report", "ReportBuild", "ReportDelivery", "ReportState", "ReportSubscription",
    "ValidationIssue", "WorkbookChange", "WorkbookVersion",
]  # fmt: skip
