"""`format` and `report` (DESIGN §7): report JSON from the warehouse marts, then HTML + XLSX.

`run_format` writes `<reports_dir>/<stem>.json`; `run_report` runs format → present and
records a Django `Report` row. Period rules: monthly = one month, a calendar quarter is
`Q1`…`Q4`, any other range is `range` (file `E-Y-MAA-MBB`), yearly = the loaded months.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..models import PipelineRun, Report
from . import report_data as data
from .cli import MonthRange
from .errors import PipelineError
from .paths import reports_dir
from .runs import get_entity, stage_run
from .staleness import staleness_warnings
from .warehouse import connect

QUARTERS = {(1, 3): "Q1", (4, 6): "Q2", (7, 9): "Q3", (10, 12): "Q4"}


class PeriodError(PipelineError):
    """The flags do not describe a report period (commands exit 2, like any bad flag)."""


@dataclass(frozen=True)
class Period:
    entity: str
    year: int
    type: str  # monthly, quarterly, yearly or range
    label: str
    stem: str
    months: MonthRange | None  # None for yearly: the loaded months decide

    def path(self, suffix: str) -> Path:
        return reports_dir(self.entity) / f"{self.stem}{suffix}"


def resolve_period(entity: str, year: int, months: MonthRange | None, report_type: str) -> Period:
    base = f"{entity}-{year}"
    if report_type == "yearly":
        if months is not None:
            raise PeriodError("--type yearly covers the whole year; leave out --month")
        return Period(entity, year, "yearly", str(year), base, None)
    if report_type not in ("monthly", "quarterly"):
        raise PeriodError(f"unknown report type '{report_type}'")
    if months is None:
        raise PeriodError(f"--type {report_type} needs --month (e.g. --month 2 or --month 1-3)")
    if months.start == months.end:
        if report_type == "quarterly":
            raise PeriodError("--type quarterly needs a month range such as --month 1-3")
        return Period(entity, year, "monthly", f"{year}-{months.start:02d}", f"{base}-"
                      f"{months.start:02d}", months)  # fmt: skip
    quarter = QUARTERS.get((months.start, months.end))
    if quarter:
        return Period(entity, year, "quarterly", quarter, f"{base}-{quarter}", months)
    stem = f"{base}-M{months.start:02d}-M{months.end:02d}"
    return Period(entity, year, "range", "range", stem, months)


def previous_period(year: int, months: list[int], kind: str) -> list[data.YearMonth]:
    """The period of the same length just before; a yearly report compares with last year."""
    if kind == "yearly":
        return [(year - 1, m) for m in months]
    index = year * 12 + months[0] - 1  # months since year 0, zero-based
    return [(i // 12, i % 12 + 1) for i in range(index - len(months), index)]


def build_report(con, period: Period, warnings: list[str]) -> dict:
    """Every number of the report, as the DESIGN §7 dict."""
    year = period.year
    loaded = data.loaded_months(con, period.entity, {year - 1, year})
    months = _period_months(period, loaded, warnings)
    previous = previous_period(year, months, period.type)
    current = [(year, m) for m in months]
    rows = data.revenue_rows(con, period.entity, current)
    prev_rows = data.revenue_rows(con, period.entity, previous) if set(previous) <= loaded else None
    return {
        "entity": period.entity,
        "year": year,
        "type": period.type,
        "label": period.label,
        "months": months,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "warnings": warnings,
        "revenue": data.revenue_section(rows, prev_rows, months),
        "programs": data.programs_section(data.program_rows(con, period.entity, current)),
        "orders": {
            "total": data._sum(rows, "orders"),
            "cancelled": data._sum(rows, "cancelled"),
        },
        "top_organizations": data.organizations_section(
            data.organization_rows(con, period.entity, current)
        ),
    }


def _period_months(period: Period, loaded: set, warnings: list[str]) -> list[int]:
    this_year = sorted(m for y, m in loaded if y == period.year)
    if period.months is None:
        if not this_year:
            raise PipelineError(_nothing_loaded(period))
        return this_year
    wanted = period.months.months
    missing = [m for m in wanted if m not in this_year]
    if len(missing) == len(wanted):
        raise PipelineError(_nothing_loaded(period))
    if missing:
        names = ", ".join(f"{period.year}-{m:02d}" for m in missing)
        warnings.append(f"No data loaded for {names}: those months count as zero.")
    return wanted


def _nothing_loaded(period: Period) -> str:
    what = f"month {period.months}" if period.months else "any month"
    return (
        f"No data loaded for {period.entity} {period.year} {what}: run"
        f" `manage.py sync --entity {period.entity} --year {period.year}` first."
    )


def write_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """Write beside the target then rename: a reader never sees half a file."""
    write_all_atomically({path: write})


def write_all_atomically(writers: dict[Path, Callable[[Path], None]]) -> None:
    """All or none: every file is written beside its target first, and only when all of
    them were written are they renamed into place (a failure leaves the old set intact)."""
    temps = {}
    try:
        for path, write in writers.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            temps[path] = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            write(temps[path])
        for path, tmp in temps.items():
            os.replace(tmp, path)
    finally:
        for tmp in temps.values():
            tmp.unlink(missing_ok=True)


def _emit(out: Callable[[str], None] | None, line: str) -> None:
    if out:
        out(line)


def run_format(
    entity: str,
    year: int,
    months: MonthRange | None = None,
    *,
    report_type: str = "monthly",
    force: bool = False,
    parent: PipelineRun | None = None,
    queued: PipelineRun | None = None,
    on_wait: Callable[[str], None] | None = None,
    out: Callable[[str], None] | None = None,
    warn: Callable[[str], None] | None = None,
) -> PipelineRun:
    period = resolve_period(entity, year, months, report_type)
    with stage_run("format", entity, year, months, parent=parent, queued=queued,
                   on_wait=on_wait) as ctx:  # fmt: skip
        warnings: list[str] = []
        if not force:
            check = staleness_warnings(entity, year, get_entity(entity).source_dir)
            warnings, ctx.source_file_hash = check.warnings, check.current_hash
        for line in warnings:
            _emit(warn, f"Warning: {line}")
        with connect() as con:
            report = build_report(con, period, list(warnings))
        path = period.path(".json")
        write_atomically(path, lambda p: p.write_text(json.dumps(report, indent=2) + "\n"))
        ctx.row_count = report["orders"]["total"]
        ctx.log(f"wrote {path}")
        _emit(out, f"Wrote {path}")
    return ctx.run


def run_report(
    entity: str,
    year: int,
    months: MonthRange | None = None,
    *,
    report_type: str = "monthly",
    force: bool = False,
    parent: PipelineRun | None = None,
    queued: PipelineRun | None = None,
    on_wait: Callable[[str], None] | None = None,
    out: Callable[[str], None] | None = None,
    warn: Callable[[str], None] | None = None,
) -> PipelineRun:
    """format → present → a `Report` row. Without months a monthly report (e.g. one chained
    after a nightly sync) covers the latest loaded month."""
    from .present import run_present

    if months is not None or report_type != "monthly":
        resolve_period(entity, year, months, report_type)  # bad flags fail before any run
    with stage_run("report", entity, year, months, parent=parent, queued=queued,
                   on_wait=on_wait) as ctx:  # fmt: skip
        months = months or _latest_loaded_month(entity, year, report_type)
        period = resolve_period(entity, year, months, report_type)
        options = {"report_type": report_type, "parent": ctx.run, "out": out}
        run_format(entity, year, months, force=force, warn=warn, **options)
        run_present(entity, year, months, **options)
        report = json.loads(period.path(".json").read_text())
        ctx.row_count = report["orders"]["total"]
        ctx.log(f"report {period.stem}: {len(report['warnings'])} warning(s)")
        _record(period, report, ctx.run)
    return ctx.run


def _latest_loaded_month(entity: str, year: int, report_type: str) -> MonthRange | None:
    if report_type != "monthly":
        return None
    with connect() as con:
        loaded = [m for y, m in data.loaded_months(con, entity, {year}) if y == year]
    if not loaded:
        raise PipelineError(_nothing_loaded(resolve_period(entity, year, None, "yearly")))
    return MonthRange(max(loaded), max(loaded))


def _record(period: Period, report: dict, run: PipelineRun) -> Report:
    json_path = str(period.path(".json"))
    # The files are overwritten in place, so an older row would point at the new content.
    Report.objects.filter(entity__code=period.entity, json_path=json_path).delete()
    return Report.objects.create(
        entity=get_entity(period.entity),
        year=period.year,
        month_start=min(report["months"]),
        month_end=max(report["months"]),
        type=period.type,
        label=period.label,
        json_path=json_path,
        html_path=str(period.path(".html")),
        xlsx_path=str(period.path(".xlsx")),
        warnings=report["warnings"],
        run=run,
    )
