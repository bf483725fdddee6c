"""The board on the admin index: per entity and month, what the month-state record says.

Each cell is the whole entity's month: the furthest stage that succeeded, blocked (count,
first cell), stale (what was made before the data changed) and the open failure of the
month's work. Unit reports are a detail of the cell (a TM/DR mark), and reports over more
than one month sit in the row's Reports column: a failed yearly report marks that report,
never the months' data. Nothing here decides a state (pipeline/state/read.py does).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils import timezone

from pipeline_ops.models import Entity, MonthState, PipelineRun, ReportState
from pipeline_ops.pipeline import registry
from pipeline_ops.pipeline.period import MONTH_ABBREVIATIONS
from pipeline_ops.pipeline.runs.records import root_of
from pipeline_ops.pipeline.state.read import reports_over, stale_for

LEVELS = tuple((stage.name, stage.level) for stage in registry.levels())
LEVEL_OF = {stage: i for i, (stage, _) in enumerate(LEVELS)}
MONTHS = MONTH_ABBREVIATIONS


@dataclass(frozen=True)
class Failure:
    run: PipelineRun  # the stage that failed
    root: PipelineRun  # what was launched: its page tells the whole story
    clears: str = ""

    @property
    def error(self) -> str:
        if self.root.status == PipelineRun.Status.FAILED and self.root.error_message:
            return self.root.error_message
        return self.run.error_message


@dataclass(frozen=True)
class Mark:
    """A report shown beside the months: `TM ✔`, `Q1 ✖`, `2026 ⚠`."""

    label: str
    state: ReportState

    @property
    def word(self) -> str:
        if self.state.failure_run_id:
            return "failed"
        return "stale" if self.state.stale_since else "built"

    @property
    def withheld(self) -> str:
        return ", ".join(MONTHS[w["month"] - 1] for w in self.state.withheld or ())

    @property
    def launched(self) -> PipelineRun | None:
        """What was launched when it failed, as month cells link (its page tells all)."""
        return root_of(self.state.failure_run) if self.state.failure_run_id else None


@dataclass
class Cell:
    month: int
    level: int = -1
    blocked: str = ""  # the month's first validation error, when errors block it
    blocked_errors: int = 0
    blocked_by: PipelineRun | None = None  # the launched run whose validation found it
    failure: Failure | None = None
    unpublished: bool = False  # reported, but never published
    stale_for: list[str] = field(default_factory=list)
    units: list[Mark] = field(default_factory=list)  # the month's own reports, as details

    @property
    def label(self) -> str:
        return LEVELS[self.level][1] if self.level >= 0 else "—"

    @property
    def css(self) -> str:
        return LEVELS[self.level][0] if self.level >= 0 else "none"

    @property
    def stale(self) -> bool:
        return bool(self.stale_for)

    @property
    def stale_words(self) -> str:
        """`the marts, the ops DB and the report`."""
        *rest, last = self.stale_for or [""]
        return f"{', '.join(rest)} and {last}" if rest else last


def _failure(run: PipelineRun | None, clears: str) -> Failure | None:
    return Failure(run, root_of(run), clears) if run is not None else None


def _cell(state: MonthState | None, month: int, reports: list[ReportState]) -> Cell:
    # The month's reports show even where it has no data: a report of it can fail for that.
    cell = Cell(month, units=_month_marks(month, reports))
    if state is None:
        return cell
    cell.failure = _failure(state.failure_run, state.failure_clears)
    if state.blocked_errors:
        cell.blocked, cell.blocked_errors = state.blocked_issue, state.blocked_errors
        cell.blocked_by = root_of(state.blocked_run) if state.blocked_run else None
    if not state.has_data:
        return cell
    cell.level = LEVEL_OF.get(state.level, -1)
    cell.unpublished = state.level == "report" and state.published_at is None
    cell.stale_for = stale_for(state, reports)
    return cell


def _month_marks(month: int, reports: list[ReportState]) -> list[Mark]:
    """The month's unit reports, and its entity report when it needs a look."""
    return [
        Mark(r.unit or "report", r) for r in reports
        if r.type == "monthly" and r.month_start == month
        and (r.unit or r.failure_run_id or r.stale_since)
    ]  # fmt: skip


def _row_marks(reports: list[ReportState]) -> list[Mark]:
    """Reports over more than one month (and entity reports that failed before a month was
    known): they belong to their period, not to a month's cell."""
    return [
        Mark(r.stem.split("-", 2)[-1] if r.stem.count("-") >= 2 else str(r.year), r)
        for r in reports if r.type != "monthly" or r.month_start is None
    ]  # fmt: skip


def board_year(request) -> int:
    """`?year=2025` (the board's ‹ › links), this year by default."""
    try:
        return int(request.GET.get("year", ""))
    except ValueError:
        return timezone.localdate().year


def board(
    year: int, entities: QuerySet | None = None
) -> list[tuple[Entity, list[Cell], list[Mark]]]:
    """One row per active entity (of `entities`, when given: an entity's own page)."""
    active = (Entity.objects.all() if entities is None else entities).filter(active=True)
    states = MonthState.objects.filter(year=year, entity__in=active).select_related(
        "failure_run__parent", "blocked_run__parent"
    )
    by_key = {(s.entity_id, s.month): s for s in states}
    rows = []
    for entity in active:
        reports = reports_over(entity.pk, year)
        cells = [_cell(by_key.get((entity.pk, m)), m, reports) for m in range(1, 13)]
        rows.append((entity, cells, _row_marks(reports)))
    return rows
