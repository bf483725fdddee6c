"""The freshness board (admin index): per entity and month, the furthest stage that
succeeded, the latest failure nobody has fixed since, the months validation blocks, and
stale flags where the data under the marts, the ops DB or a report changed.

"Changed" is read from the run mirror: a `load` records the hash of the workbook its data
came from (`source_file_hash`), so a later load of a different workbook changes the data
under whatever was made before it, and a re-sync of the same workbook changes nothing.

Reads the Django mirrors only (runs, validation issues); web requests never open the
warehouse.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import F

from pipeline_ops.models import Entity, PipelineRun, ValidationIssue
from pipeline_ops.pipeline import registry
from pipeline_ops.pipeline.period import MONTH_ABBREVIATIONS

LEVELS = tuple((stage.name, stage.level) for stage in registry.levels())
LEVEL_OF = {stage: i for i, (stage, _) in enumerate(LEVELS)}
MONTHS = MONTH_ABBREVIATIONS
SUCCESS, FAILED = PipelineRun.Status.SUCCESS, PipelineRun.Status.FAILED
LOAD, PUBLISH, REPORT = "load", "publish", "report"
# What was made from the loaded data, and what the stale flag calls it.
MADE_FROM_DATA = (("transform", "the marts"), (PUBLISH, "the ops DB"), (REPORT, "the report"))
FIELDS = (
    "id", "entity_id", "parent_id", "year", "month", "month_end", "stage", "status",
    "completed_at", "source_file_hash", "error_message", "options",
)  # fmt: skip


def _containing(name: str) -> set[str]:
    """The stage and every stage that runs it (transform: sync, chain)."""
    found = {name}
    for stage in registry.STAGES.values():
        if name in stage.children:
            found |= _containing(stage.name)
    return found


# A later success of any of these settles a failure of the key stage.
SETTLED_BY = {name: _containing(name) for name in registry.STAGES}


@dataclass(frozen=True)
class Failure:
    run: PipelineRun  # the stage that failed (the deepest failed run)
    root: PipelineRun  # what was launched: its page tells the whole story

    @property
    def error(self) -> str:
        if self.root.status == FAILED and self.root.error_message:
            return self.root.error_message
        return self.run.error_message


@dataclass
class Cell:
    month: int
    level: int = -1
    blocked: str = ""  # the month's first validation error, when errors block it
    blocked_by: PipelineRun | None = None  # the launched run whose validation found it
    failure: Failure | None = None  # the newest failure not fixed since
    unpublished: bool = False  # reported, but no publish of the month ever succeeded
    stale_for: list[str] = field(default_factory=list)  # made before the data changed

    @property
    def label(self) -> str:
        return LEVELS[self.level][1] if self.level >= 0 else "—"

    @property
    def css(self) -> str:
        return LEVELS[self.level][0] if self.level >= 0 else "none"

    @property
    def stale(self) -> bool:
        return bool(self.stale_for)


def _covers(run: PipelineRun, month: int) -> bool:
    return run.month is None or run.month <= month <= (run.month_end or run.month)


def _open_failure(covering: list[PipelineRun], skip: set[int]) -> PipelineRun | None:
    """The newest failed run (newest first in `covering`) that no later success of its
    stage, or of a stage running it, settled, and that no later attempt of the same stage
    replaced (a later failure of it is the news instead)."""
    succeeded: set[str] = set()
    attempted: set[str] = set()
    for run in covering:
        if run.status == SUCCESS:
            succeeded.add(run.stage)
            continue
        settled = run.stage in attempted or SETTLED_BY.get(run.stage, {run.stage}) & succeeded
        if run.pk not in skip and not settled:
            return run
        attempted.add(run.stage)
    return None


def _data_changed_after(loads: list[PipelineRun], made: PipelineRun) -> bool:
    """A load after `made` brought data from another workbook than the one it was made
    from (`loads` newest first)."""
    before = next((r.source_file_hash for r in loads if r.completed_at <= made.completed_at), None)
    return any(r.source_file_hash != before for r in loads if r.completed_at > made.completed_at)


def _stale_for(done: list[PipelineRun]) -> list[str]:
    loads = [run for run in done if run.stage == LOAD]
    found = []
    for stage, what in MADE_FROM_DATA:
        made = next((run for run in done if run.stage == stage), None)
        if made is not None and _data_changed_after(loads, made):
            found.append(what)
    return found


def _root(run: PipelineRun, by_id: dict[int, PipelineRun]) -> PipelineRun:
    while run.parent_id in by_id:
        run = by_id[run.parent_id]
    return run


def _has_no_data(month: int, done: list[PipelineRun]) -> bool:
    """The newest load covering `month` found no sheet for it (a January–March workbook
    has no April): nothing was made for the month, whatever a whole-year run covers."""
    load = next((run for run in done if run.stage == LOAD), None)
    loaded = load.options.get("months_loaded") if load is not None else None
    return loaded is not None and month not in loaded


def _cell(month: int, runs: list[PipelineRun], skip: set[int], by_id: dict) -> Cell:
    covering = [run for run in runs if _covers(run, month)]
    done = [run for run in covering if run.status == SUCCESS]
    if _has_no_data(month, done):
        return Cell(month)
    cell = Cell(month, stale_for=_stale_for(done))
    cell.level = max((LEVEL_OF[r.stage] for r in done if r.stage in LEVEL_OF), default=-1)
    reported = LEVEL_OF.get(REPORT) == cell.level
    cell.unpublished = reported and not any(run.stage == PUBLISH for run in done)
    failed = _open_failure(covering, skip)
    cell.failure = Failure(failed, _root(failed, by_id)) if failed else None
    return cell


def _finished_runs(year: int) -> tuple[dict[int, list[PipelineRun]], dict[int, PipelineRun]]:
    """Per entity its succeeded and failed runs of `year`, newest first; and every run of
    the year by id (parents of failed runs may still be running)."""
    runs = list(
        PipelineRun.objects.filter(year=year)
        .only(*FIELDS)
        .order_by(F("completed_at").desc(nulls_last=True), "-id")
    )
    by_entity: dict[int, list[PipelineRun]] = {}
    for run in runs:
        if run.completed_at is not None and run.status in (SUCCESS, FAILED):
            by_entity.setdefault(run.entity_id, []).append(run)
    return by_entity, {run.pk: run for run in runs}


def _not_news(by_id: dict[int, PipelineRun], year: int) -> set[int]:
    """Failed runs the board does not show as failures: parents of a failed run (the
    child is shown), and validations that failed by blocking months (shown as blocked)."""
    parents = {r.parent_id for r in by_id.values() if r.status == FAILED and r.parent_id}
    blocking = ValidationIssue.objects.filter(year=year, severity="error", run__isnull=False)
    return parents | set(blocking.values_list("run_id", flat=True).distinct())


def _blocking_runs(year: int, by_id: dict[int, PipelineRun]) -> dict[tuple[int, int], PipelineRun]:
    """(entity id, month) → what was launched (a sync, a chain) when validation found the
    month's newest errors: the blocked cell links its page, which says what to do next."""
    errors = ValidationIssue.objects.filter(year=year, severity="error", run__isnull=False)
    found: dict[tuple[int, int], PipelineRun] = {}
    for entity_id, month, run_id in errors.order_by("-run_id").values_list(
        "entity_id", "month", "run_id"
    ):
        for each in [month] if month else range(1, 13):
            if run_id in by_id:
                found.setdefault((entity_id, each), _root(by_id[run_id], by_id))
    return found


def board(year: int) -> list[tuple[Entity, list[Cell]]]:
    by_entity, by_id = _finished_runs(year)
    skip = _not_news(by_id, year)
    found, found_by = blocks(year=year), _blocking_runs(year, by_id)
    rows = []
    for entity in Entity.objects.filter(active=True):
        runs = by_entity.get(entity.pk, [])
        cells = [_cell(month, runs, skip, by_id) for month in range(1, 13)]
        for cell in cells:
            cell.blocked = found.get((entity.pk, year, cell.month), "")
            cell.blocked_by = found_by.get((entity.pk, cell.month)) if cell.blocked else None
        rows.append((entity, cells))
    return rows


def blocks(**where) -> dict[tuple[int, int, int], str]:
    """(entity id, year, month) → its first error, the way validate blocks months
    (blocks.py): an error in a month sheet blocks that month, one in REFERENSI every month.
    `where` filters the validation issues (year=2026, entity__active=True)."""
    errors = ValidationIssue.objects.filter(severity="error", **where).order_by("-month", "id")
    found: dict[tuple[int, int, int], str] = {}
    for issue in errors.only("entity_id", "year", "month", "cell", "rule", "message"):
        text = f"{issue.cell} {issue.rule}: {issue.message}"
        for month in [issue.month] if issue.month else range(1, 13):
            found.setdefault((issue.entity_id, issue.year, month), text)
    return found
