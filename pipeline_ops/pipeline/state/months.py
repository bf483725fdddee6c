"""What each data stage writes into the months it covered (MonthState)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pipeline_ops.models import MonthState, PipelineRun
from pipeline_ops.pipeline import registry

LEVELS = [stage.name for stage in registry.levels()]  # extract < validate < … < report


def rows(run: PipelineRun, months: Iterable[int]) -> list[MonthState]:
    """The months' records, created on first use."""
    found = {
        s.month: s
        for s in MonthState.objects.filter(entity_id=run.entity_id, year=run.year, month__in=months)
    }
    for month in months:
        if month not in found:
            found[month] = MonthState.objects.create(
                entity_id=run.entity_id, year=run.year, month=month
            )
    return [found[m] for m in sorted(found)]


def covered(run: PipelineRun) -> list[int]:
    """The months a run was about: its range, or for a whole-year run the months that have
    data (every month when none has yet)."""
    if run.month is not None:
        return list(range(run.month, (run.month_end or run.month) + 1))
    with_data = MonthState.objects.filter(entity_id=run.entity_id, year=run.year, has_data=True)
    return sorted(with_data.values_list("month", flat=True)) or list(range(1, 13))


def reach(state: MonthState, stage: str, run: PipelineRun) -> None:
    """The month reached `stage`'s level (the furthest one is kept)."""
    if stage not in LEVELS:
        return
    if not state.level or LEVELS.index(stage) >= LEVELS.index(state.level):
        state.level, state.level_run = stage, run


def loaded(run: PipelineRun, verdict: dict) -> dict[int, list[str]]:
    """A load replaced the months `replaced`; those with a new fingerprint changed.
    Returns month → the units whose rows changed (["*"]: every unit), changed months only."""
    prints = {int(m): v for m, v in verdict.get("fingerprints", {}).items()}
    changes: dict[int, list[str]] = {}
    for state in rows(run, verdict["replaced"]):
        new = prints.get(state.month)
        state.has_data = state.month in verdict["loaded"]
        if not state.has_data:
            state.level, state.level_run = "", None
        state.loaded_at, state.workbook_sha256 = run.completed_at, run.source_file_hash
        if (new or {}).get("all", "") != state.fingerprint:
            _changed(state, run, new or {"all": "", "units": {}})
            changes[state.month] = state.changed_units
        state.save()
    return changes


def _changed(state: MonthState, run: PipelineRun, new: dict) -> None:
    old_units = state.unit_fingerprints or {}
    same_reference = state.fingerprint.split("-")[-1:] == new["all"].split("-")[-1:]
    units = sorted(
        u for u in {*old_units, *new["units"]} if old_units.get(u) != new["units"].get(u)
    )
    state.changed_units = units if same_reference and state.fingerprint else ["*"]
    state.fingerprint, state.unit_fingerprints = new["all"], new["units"]
    state.changed_at, state.changed_run = run.completed_at, run
    state.changed_sha256 = run.source_file_hash


def validated(run: PipelineRun, verdict: dict) -> None:
    """Blocks are replaced for every month validated: a clean month is unblocked."""
    blocked = {int(m): b for m, b in verdict.get("blocked", {}).items()}
    for state in rows(run, verdict["months"]):
        errors, cell, issue = blocked.get(state.month, (0, "", ""))
        state.blocked_errors, state.blocked_cell, state.blocked_issue = errors, cell, issue
        state.blocked_run = run if errors else None
        if not errors:
            reach(state, "validate", run)
        state.save()


def built(run: PipelineRun, stage: str, months: list[int], at: datetime) -> None:
    """transform or publish made the months' marts or ops DB rows from their data."""
    for state in rows(run, months):
        if stage == "transform":
            state.transformed_at = at
        else:
            state.published_at, state.published_run = at, run
        if state.has_data and not state.blocked_errors:
            reach(state, stage, run)
        state.save()


def extracted(run: PipelineRun, months: list[int]) -> None:
    for state in rows(run, months):
        reach(state, "extract", run)
        state.save()


def failed(run: PipelineRun, clears: str) -> None:
    """The newest failure is the month's news (a later failure replaces an earlier one)."""
    for state in rows(run, covered(run)):
        state.failure_run, state.failure_clears = run, clears
        state.save(update_fields=["failure_run", "failure_clears"])


def succeeded(run: PipelineRun, months: list[int]) -> None:
    """The same work succeeded: failures of this stage (or one it runs) are cleared."""
    settles = {run.stage, *_descendants(run.stage)}
    MonthState.objects.filter(
        entity_id=run.entity_id, year=run.year, month__in=months,
        failure_run__stage__in=settles,
    ).update(failure_run=None, failure_clears="")  # fmt: skip


def _descendants(name: str) -> set[str]:
    found: set[str] = set()
    for child in registry.has_children(name):
        found |= {child, *_descendants(child)}
    return found
