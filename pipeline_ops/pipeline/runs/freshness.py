"""The freshness board: per entity and month, the furthest stage that succeeded, and
whether validation errors block the month (admin index).

Reads the Django mirrors only (runs, validation issues); web requests never open the
warehouse.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline_ops.models import Entity, PipelineRun, ValidationIssue
from pipeline_ops.pipeline import registry
from pipeline_ops.pipeline.period import MONTH_ABBREVIATIONS
from pipeline_ops.pipeline.runs.records import transform_is_behind

LEVELS = tuple((stage.name, stage.level) for stage in registry.levels())
LEVEL_OF = {stage: i for i, (stage, _) in enumerate(LEVELS)}
MONTHS = MONTH_ABBREVIATIONS


@dataclass
class Cell:
    month: int
    level: int = -1
    stale: bool = False
    blocked: str = ""  # the month's first validation error, when errors block it
    latest: dict[str, object] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return LEVELS[self.level][1] if self.level >= 0 else "—"

    @property
    def css(self) -> str:
        return LEVELS[self.level][0] if self.level >= 0 else "none"


def _covers(run: PipelineRun, month: int) -> bool:
    return run.month is None or run.month <= month <= (run.month_end or run.month)


def _apply(cell: Cell, run: PipelineRun) -> None:
    cell.latest.setdefault(run.stage, run.completed_at)
    if run.stage in LEVEL_OF:
        cell.level = max(cell.level, LEVEL_OF[run.stage])


def _mark_stale(cell: Cell) -> None:
    loaded, built = cell.latest.get("load"), cell.latest.get("transform")
    reported = cell.latest.get("report")
    cell.stale = bool(
        transform_is_behind(loaded, built) or (reported and built and reported < built)
    )


def board(year: int) -> list[tuple[Entity, list[Cell]]]:
    runs = (
        PipelineRun.objects.filter(year=year, status=PipelineRun.Status.SUCCESS)
        .exclude(completed_at=None)
        .order_by("-completed_at")
    )
    by_entity: dict[int, list[PipelineRun]] = {}
    for run in runs:
        by_entity.setdefault(run.entity_id, []).append(run)
    blocks = _blocks(year)
    rows = []
    for entity in Entity.objects.filter(active=True):
        cells = [Cell(m, blocked=blocks.get((entity.pk, m), "")) for m in range(1, 13)]
        for run in by_entity.get(entity.pk, []):
            for cell in cells:
                if _covers(run, cell.month):
                    _apply(cell, run)
        for cell in cells:
            _mark_stale(cell)
        rows.append((entity, cells))
    return rows


def _blocks(year: int) -> dict[tuple[int, int], str]:
    """(entity id, month) → its first error, the way validate blocks months (blocks.py): an
    error in a month sheet blocks that month, one in REFERENSI every month."""
    errors = ValidationIssue.objects.filter(year=year, severity="error").order_by("-month", "id")
    found: dict[tuple[int, int], str] = {}
    for issue in errors.only("entity_id", "month", "cell", "rule", "message"):
        text = f"{issue.cell} {issue.rule}: {issue.message}"
        for month in [issue.month] if issue.month else range(1, 13):
            found.setdefault((issue.entity_id, month), text)
    return found
