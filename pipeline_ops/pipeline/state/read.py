"""The questions every part asks of the month-state record, answered once.

publish and report ask what is blocked and what is behind; report notes ask what changed;
the board and the banner (console/) ask what is stale and what is open. Each rule is here
and nowhere else.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from pipeline_ops.models import MonthState, ReportState
from pipeline_ops.pipeline.errors import PipelineError
from pipeline_ops.pipeline.period import MONTH_ABBREVIATIONS


def months_of(entity: str, year: int, months: Iterable[int]) -> dict[int, MonthState]:
    found = MonthState.objects.filter(entity__code=entity, year=year, month__in=list(months))
    return {state.month: state for state in found.select_related("entity")}


def with_data(entity: str, year: int) -> set[int]:
    """Months whose sheet the latest load found (blocked ones included)."""
    found = MonthState.objects.filter(entity__code=entity, year=year, has_data=True)
    return set(found.values_list("month", flat=True))


def blocked(entity: str, year: int, months: Iterable[int]) -> dict[int, MonthState]:
    """Months validation blocks: their orders are out of the marts, publish and reports."""
    return {m: s for m, s in months_of(entity, year, months).items() if s.blocked_errors}


def describe(states: dict[int, MonthState]) -> str:
    """`Feb (3 error(s); first: FEB!C7 rule: message), Apr (…)`."""
    return ", ".join(
        f"{MONTH_ABBREVIATIONS[m - 1]} ({s.blocked_errors} error(s); first: {s.blocked_issue})"
        for m, s in sorted(states.items())
    )


def refuse_blocked(entity: str, year: int, months: Iterable[int], what: str) -> None:
    """Refuse to `what` (publish, a monthly report) a blocked month; no --force past it."""
    found = blocked(entity, year, months)
    if found:
        raise PipelineError(
            f"Refusing to {what}: validation blocks {entity} {year} {describe(found)}."
            " Fix the workbook and sync again."
        )


def is_behind(state: MonthState) -> bool:
    """The month's data changed after its marts were last built (or they never were)."""
    return bool(state.has_data and state.changed_at) and (
        state.transformed_at is None or state.transformed_at < state.changed_at
    )


def synced(entity: str, year: int, workbook_sha256: str) -> bool:
    """Every month with data was loaded from this workbook version and built since."""
    states = list(MonthState.objects.filter(entity__code=entity, year=year, has_data=True))
    return bool(states) and all(
        s.workbook_sha256 == workbook_sha256 and not is_behind(s) for s in states
    )


def touches_unit(state: MonthState, unit: str) -> bool:
    """The month's last change concerns `unit` ("" = the whole entity: any change does)."""
    return unit_changed(state.changed_units, unit)


def unit_changed(changed_units: list[str], unit: str) -> bool:
    """A change of these units (["*"]: all of them) concerns `unit` ("": the entity)."""
    return not unit or "*" in changed_units or unit in changed_units


def unpublished(state: MonthState) -> bool:
    """The ops DB lacks the month's current data: never published, or published before
    its rows last changed."""
    return not state.published_at or bool(
        state.changed_at and state.published_at < state.changed_at
    )


def stale_for(state: MonthState, reports: Iterable[ReportState] = ()) -> list[str]:
    """What was made from the month's data before it changed: the marts, the ops DB, the
    entity's reports over the month."""
    found = ["the marts"] if is_behind(state) else []
    if state.published_at and unpublished(state):
        found.append("the ops DB")
    stale = [r.stem for r in reports
             if r.stale_since and state.month in r.stale_months and not r.unit]  # fmt: skip
    if stale:
        found.append(f"the report{'s' if len(stale) > 1 else ''} {', '.join(sorted(stale))}")
    return found


def open_failures(states: QuerySet | None = None) -> set[int]:
    """Ids of the runs whose failure nothing has cleared yet, months' and reports' alike."""
    months = MonthState.objects.filter(entity__active=True) if states is None else states
    runs = set(months.filter(failure_run__isnull=False).values_list("failure_run", flat=True))
    runs |= set(
        ReportState.objects.filter(failure_run__isnull=False, entity__active=True)
        .values_list("failure_run", flat=True)
    )  # fmt: skip
    return runs


def open_failure_clears(run_id: int) -> str:
    """What clears the failure of run `run_id`, while a month or a report still holds it
    ("" once a later success cleared it)."""
    for model in (MonthState, ReportState):
        found = model.objects.filter(failure_run_id=run_id).values_list("failure_clears")[:1]
        if found:
            return found[0][0]
    return ""


def reports_over(entity_id: int, year: int) -> list[ReportState]:
    return list(
        ReportState.objects.filter(entity_id=entity_id, year=year)
        .filter(Q(built_at__isnull=False) | Q(failure_run__isnull=False))
        .select_related("failure_run__parent", "report")
    )  # fmt: skip
