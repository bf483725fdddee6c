"""`format` and `report` (docs/reports.md): report JSON from the warehouse marts, then HTML + XLSX.

`run_format` writes `<reports_dir>/<stem>.json`; `run_report` runs format → present and
records a Django `Report` row. Period rules: monthly = one month, a calendar quarter is
`Q1`…`Q4`, any other range is `range` (file `E-Y-MAA-MBB`), yearly = the loaded months.
Blocked months (the month-state record) are withheld from a longer report, named in its
`withheld_months`; a monthly report of one, or `--strict`, is refused.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

from pipeline_ops.models import PipelineRun, Report
from pipeline_ops.pipeline.errors import PipelineError
from pipeline_ops.pipeline.evidence import store
from pipeline_ops.pipeline.evidence.figures import figure_list
from pipeline_ops.pipeline.paths import source_workbook
from pipeline_ops.pipeline.period import (
    MonthRange,
    Period,
    previous_period,
    resolve_period,
    unit_code,
)
from pipeline_ops.pipeline.reports import data
from pipeline_ops.pipeline.reports.atomic import write_all_atomically
from pipeline_ops.pipeline.reports.builds import keep_build
from pipeline_ops.pipeline.reports.delivery import queue_for_run
from pipeline_ops.pipeline.reports.labels import covered_months
from pipeline_ops.pipeline.reports.notes import Notes, report_notes
from pipeline_ops.pipeline.runs.calls import StageCall, recorded, with_period
from pipeline_ops.pipeline.runs.records import get_entity
from pipeline_ops.pipeline.runs.stage_run import StageContext
from pipeline_ops.pipeline.runs.warehouse import connect
from pipeline_ops.pipeline.stages.present import run_present
from pipeline_ops.pipeline.state import read as state


def build_report(con, period: Period, warnings: list[str], withheld: Sequence[dict] = ()) -> dict:
    """Every number of the report, as the report JSON contract (docs/reports.md), without
    the `withheld` months (a like-for-like `previous` is then unknown: null)."""
    year = period.year
    loaded = data.loaded_months(con, period.entity, {year - 1, year})
    months = _period_months(period, loaded, warnings, {w["month"] for w in withheld})
    previous = previous_period(year, months, period.type)
    current = [(year, m) for m in months]
    entity, unit = period.entity, period.unit  # a unit report: every query keeps that unit
    rows = data.revenue_rows(con, entity, current, unit)
    comparable = set(previous) <= loaded and not withheld
    prev_rows = data.revenue_rows(con, entity, previous, unit) if comparable else None
    report = {
        "entity": entity,
        "unit": unit,
        "year": year,
        "type": period.type,
        "label": period.label,
        "months": months,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "warnings": warnings,
        "withheld_months": list(withheld),
        "revenue": data.revenue_section(rows, prev_rows, months, unit)
        | _daily(con, period, current),
        "programs": data.programs_section(data.program_rows(con, entity, current, unit)),
        "orders": {
            "total": data._sum(rows, "orders"),
            "cancelled": data._sum(rows, "cancelled"),
        },
        "top_organizations": data.organizations_section(
            data.organization_rows(con, entity, current, unit)
        ),
    }
    return report | {"figures": figure_list(report)}  # each figure's evidence id


def _daily(con, period: Period, current: list[tuple[int, int]]) -> dict:
    """`by_day` only where one month is the whole period (docs/reports.md)."""
    if period.type != "monthly":
        return {}
    days = data.daily_rows(con, period.entity, current, period.unit)
    return {"by_day": data.daily_section(days, period.year, current[0][1])}


def _period_months(period: Period, loaded: set, warnings: list[str], withheld: set) -> list[int]:
    this_year = sorted(m for y, m in loaded if y == period.year and m not in withheld)
    if period.months is None:
        if not this_year:
            _nothing_left(period, withheld)
        return this_year
    wanted = [m for m in period.months.months if m not in withheld]
    missing = [m for m in wanted if m not in this_year]
    if len(missing) == len(wanted):
        _nothing_left(period, withheld)
    if missing:
        names = ", ".join(f"{period.year}-{m:02d}" for m in missing)
        warnings.append(f"No data loaded for {names}: those months count as zero.")
    return wanted


def _nothing_left(period: Period, withheld: set) -> None:
    """No month left to report: blocked months are the reason when there are any (a sync
    would not help), else nothing was loaded."""
    if withheld:
        state.refuse_blocked(period.entity, period.year, withheld, f"report {period.stem}")
    raise PipelineError(_nothing_loaded(period))


def _nothing_loaded(period: Period) -> str:
    what = f"month {period.months}" if period.months else "any month"
    return (
        f"No data loaded for {period.entity} {period.year} {what}: run"
        f" `manage.py sync --entity {period.entity} --year {period.year}` first."
    )


@recorded("format", options=("report_type", "unit", "force", "warn", "period", "strict"),
          prepare=with_period)  # fmt: skip
def run_format(call: StageCall, ctx: StageContext) -> None:
    period = call.option("period")
    months = period.months.months if period.months else list(range(1, 13))
    withheld = _withheld(call, period, months)
    notes = Notes()
    if not call.option("force", False):
        workbook = source_workbook(call.entity, call.year, get_entity(call.entity).source_dir)
        notes = report_notes(period, [m for m in months if m not in withheld], workbook)
        ctx.source_file_hash = notes.current_hash
    for line in notes.operators:
        ctx.log(f"warning: {line}")
        if call.option("warn"):
            call.option("warn")(f"Warning: {line}")
    with connect() as con:
        report = build_report(con, period, list(notes.readers), list(withheld.values()))
        evidence = store.evidence_table(con, report)  # the orders behind every figure
    path = call.option("period").path(".json")
    write_all_atomically({
        path: lambda p: p.write_text(json.dumps(report, indent=2) + "\n"),
        store.evidence_path(path): lambda p: store.write(evidence, p),
    })  # fmt: skip
    ctx.row_count = report["orders"]["total"]
    ctx.log(f"wrote {path} and its evidence ({evidence.num_rows:,} orders)")
    call.say(f"Wrote {path}")


def _withheld(call: StageCall, period: Period, months: list[int]) -> dict[int, dict]:
    """Blocked months of the period, withheld from it; a report with nothing else left (a
    monthly report of one), or any with `--strict`, is refused instead."""
    found = state.blocked(call.entity, call.year, months)
    left = (state.with_data(call.entity, call.year) & set(months)) - set(found)
    if found and (not left or call.option("strict")):
        state.refuse_blocked(call.entity, call.year, months, f"report {period.stem}")
    return {
        m: {"month": m, "errors": s.blocked_errors, "first_cell": s.blocked_cell}
        for m, s in sorted(found.items())
    }


def _checked_period(call: StageCall) -> StageCall:
    """Bad flags fail before any run; without months a monthly report (e.g. one chained
    after a nightly sync) covers the latest loaded month, found inside the run."""
    unit = unit_code(call.option("unit"))  # a queued run's unknown unit fails here too
    if call.months is not None or call.option("report_type", "monthly") != "monthly":
        resolve_period(call.entity, call.year, call.months, call.option("report_type", "monthly"))
    return call.but(options={**call.options, "unit": unit})


@recorded(
    "report",
    options=("report_type", "unit", "force", "warn", "email", "strict"),
    prepare=_checked_period,
)
def run_report(call: StageCall, ctx: StageContext) -> None:
    """format → present → a `Report` row and its kept build, mailed to its subscribers when
    a schedule built it or the caller asked (`email`, delivery.queue_for_run)."""
    report_type = call.option("report_type", "monthly")
    months = call.months or _latest_loaded_month(call.entity, call.year, report_type)
    period = resolve_period(call.entity, call.year, months, report_type, call.option("unit"))
    nested = call.nested(ctx.run, report_type=report_type, unit=period.unit, period=period)
    run_format(call.entity, call.year, months, force=call.option("force", False),
               warn=call.option("warn"), strict=call.option("strict", False), **nested)  # fmt: skip
    run_present(call.entity, call.year, months, **nested)
    report = json.loads(period.path(".json").read_text())
    ctx.row_count = report["orders"]["total"]
    ctx.log(f"report {period.stem}: {len(report['warnings'])} warning(s)")
    covered = covered_months(report)
    row = _record(period, report, covered, ctx.run)
    build = keep_build(row, report, ctx.run)
    ctx.verdict.update(period=period, months=covered, report=row.pk,
                       withheld=report["withheld_months"])  # fmt: skip
    queued = queue_for_run(build, ctx.run, asked=call.option("email", False))
    if queued:
        ctx.log(f"{queued} e-mail(s) queued for the subscribers")


def _latest_loaded_month(entity: str, year: int, report_type: str) -> MonthRange | None:
    if report_type != "monthly":
        return None
    with connect() as con:
        loaded = [m for y, m in data.loaded_months(con, entity, {year}) if y == year]
    # A blocked month is out of the marts but it is the latest month: its report is
    # refused, naming the block, rather than an older month reported in its place.
    loaded += list(state.with_data(entity, year))
    if not loaded:
        raise PipelineError(_nothing_loaded(resolve_period(entity, year, None, "yearly")))
    return MonthRange(max(loaded), max(loaded))


def _record(period: Period, report: dict, covered: list[int], run: PipelineRun) -> Report:
    # One row per file stem, updated in place: its address never changes (docs/reports.md).
    row, _ = Report.objects.update_or_create(
        entity=get_entity(period.entity),
        stem=period.stem,
        defaults={
            "year": period.year,
            "month_start": min(covered),
            "month_end": max(covered),
            "type": period.type,
            "label": period.label,
            "unit": period.unit or "",
            "json_path": str(period.path(".json")),
            "html_path": str(period.path(".html")),
            "xlsx_path": str(period.path(".xlsx")),
            "evidence_path": str(period.path(store.SUFFIX)),
            "warnings": report["warnings"],
            "run": run,
        },
    )
    return row
