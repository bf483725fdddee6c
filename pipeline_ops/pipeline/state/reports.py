"""What a report run writes into its ReportState, and what a load that changed months
writes into the reports built over them."""

from __future__ import annotations

from django.db.models import Q

from pipeline_ops.models import PipelineRun, ReportState
from pipeline_ops.pipeline.errors import PipelineError
from pipeline_ops.pipeline.period import MonthRange, Period, resolve_period
from pipeline_ops.pipeline.state import months as month_state
from pipeline_ops.pipeline.state.read import is_behind, touches_unit, unit_changed

REPORT_STAGES = ("format", "present", "report")


def period_of(run: PipelineRun) -> Period | None:
    """The report a run of a report stage was building (None: its flags named none)."""
    span = MonthRange(run.month, run.month_end or run.month) if run.month else None
    kind, unit = run.options.get("report_type", "monthly"), run.options.get("unit")
    try:
        return resolve_period(run.entity.code, run.year, span, kind, unit)
    except PipelineError:
        return None


def _state_key(run: PipelineRun, period: Period | None) -> str:
    """The report's stem, or for one whose period is unknown `IONS-2026-monthly[-TM]`."""
    if period is not None:
        return period.stem
    unit = run.options.get("unit")
    kind = run.options.get("report_type", "monthly")
    return f"{run.entity.code}-{run.year}-{kind}" + (f"-{unit}" if unit else "")


def _state(run: PipelineRun, period: Period | None) -> ReportState:
    report_type = period.type if period else run.options.get("report_type", "monthly")
    unit = (period.unit if period else run.options.get("unit")) or ""
    stem = _state_key(run, period)
    found, _ = ReportState.objects.get_or_create(
        entity_id=run.entity_id, stem=stem,
        defaults={"year": run.year, "type": report_type, "unit": unit},
    )  # fmt: skip
    return found


def built(run: PipelineRun, verdict: dict) -> None:
    """A build succeeded: it is current, its failure (if any) is cleared; an entity-wide
    report makes its months (but the withheld ones) `reported`."""
    state = _state(run, verdict["period"])
    # A report of its kind that failed before it knew its period (a chained monthly report
    # with nothing loaded yet) is cleared by the next one of that kind that builds.
    unknown = _state_key(run, None)
    ReportState.objects.filter(entity_id=run.entity_id, stem=unknown, built_at=None).delete()
    withheld = [w["month"] for w in verdict["withheld"]]
    state.type, state.unit = verdict["period"].type, verdict["period"].unit or ""
    state.month_start, state.month_end = min(verdict["months"]), max(verdict["months"])
    state.report_id, state.built_at, state.build_run = verdict["report"], run.completed_at, run
    state.withheld = verdict["withheld"]
    _stale_from_the_start(state, verdict["months"])
    state.failure_run, state.failure_clears = None, ""
    state.save()
    if state.unit:
        return  # a unit report is a detail of its months, never their word
    reported = [m for m in verdict["months"] if m not in withheld]
    for month in month_state.rows(run, reported):
        if month.has_data and not month.blocked_errors:
            month_state.reach(month, "report", run)
            month.save()


def _stale_from_the_start(state: ReportState, months: list[int]) -> None:
    """Current, unless it was built over months whose data changed after their marts were
    (its readers' note says so): then it is stale from the change on."""
    behind = [
        s for s in month_state.rows(state.build_run, months)
        if is_behind(s) and touches_unit(s, state.unit)
    ]  # fmt: skip
    latest = max(behind, key=lambda s: s.changed_at, default=None)
    state.stale_since = min((s.changed_at for s in behind), default=None)
    state.stale_run = latest.changed_run if latest else None
    state.stale_sha256 = latest.changed_sha256 if latest else ""
    state.stale_months = sorted(s.month for s in behind)


def failed(run: PipelineRun) -> None:
    """The failure belongs to the report, not to its months' data. It clears when the
    report is built (`built`): a `format` or `present` on its own does not."""
    period = period_of(run)
    state = _state(run, period)
    if period is not None and period.months is not None and state.month_start is None:
        state.month_start, state.month_end = period.months.start, period.months.end
    state.failure_run, state.failure_clears = run, f"a successful report {state.stem}"
    state.save()


def made_stale(load: PipelineRun, changed: dict[int, list[str]]) -> None:
    """Builds over months a load changed (in their unit) were made from older data."""
    if not changed:
        return
    overlapping = Q()
    for month in changed:
        overlapping |= Q(month_start__lte=month, month_end__gte=month)
    built_before = ReportState.objects.filter(
        overlapping, entity_id=load.entity_id, year=load.year, built_at__lt=load.completed_at
    )
    for state in built_before:
        months = [m for m, units in changed.items()
                  if state.month_start <= m <= state.month_end
                  and unit_changed(units, state.unit)]  # fmt: skip
        if not months:
            continue
        state.stale_since = state.stale_since or load.completed_at
        state.stale_run, state.stale_sha256 = load, load.source_file_hash
        state.stale_months = sorted({*state.stale_months, *months})
        state.save()
