"""Months, report periods and the period before: plain values, free of Django and argparse.

A command, an admin form and a schedule all describe work as (entity, year, months): the
rules for what a month range is and which report period it names live here only, resolved
once per call and passed down.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from pipeline_ops.pipeline.errors import PipelineError

MIN_YEAR, MAX_YEAR = 2000, 2100
REPORT_TYPES = ("monthly", "quarterly", "yearly")
# How reports and the admin name months (workbooks name them in Indonesian: workbook.py).
MONTH_ABBREVIATIONS = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)
QUARTERS = {(1, 3): "Q1", (4, 6): "Q2", (7, 9): "Q3", (10, 12): "Q4"}
MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip
YearMonth = tuple[int, int]
# The business's units: in-person (TM) and online (DR). A unit report's file stem ends in one.
UNITS = ("TM", "DR")


class PeriodError(PipelineError, ValueError):
    """Words that do not describe a period (commands exit 2, forms show a field error)."""


@dataclass(frozen=True)
class MonthRange:
    start: int
    end: int

    @property
    def months(self) -> list[int]:
        return list(range(self.start, self.end + 1))

    def __str__(self) -> str:
        return str(self.start) if self.start == self.end else f"{self.start}-{self.end}"

    @classmethod
    def parse(cls, value: str) -> MonthRange:
        """`2` or `1-3`; PeriodError says what is wrong with anything else."""
        text = str(value).strip()
        match = re.fullmatch(r"(\d{1,2})(?:\s*-\s*(\d{1,2}))?", text)
        if not match:
            raise PeriodError(f"'{value}' is not a month (use 2 or a range like 1-3)")
        start, end = int(match.group(1)), int(match.group(2) or match.group(1))
        for month in (start, end):
            if not 1 <= month <= 12:
                raise PeriodError(f"month {month} is outside 1-12 in '{value}'")
        if start > end:
            raise PeriodError(f"range '{value}' is reversed (start must be <= end)")
        return cls(start, end)

    @classmethod
    def of(cls, month: int | None, month_end: int | None = None) -> MonthRange | None:
        """From a run record's month columns (None: the whole year)."""
        return cls(month, month_end or month) if month else None


@dataclass(frozen=True)
class Period:
    entity: str
    year: int
    type: str  # monthly, quarterly, yearly or range
    label: str
    stem: str
    months: MonthRange | None  # None for yearly: the loaded months decide
    unit: str | None = None  # None: the whole entity

    def path(self, suffix: str) -> Path:
        from pipeline_ops.pipeline.paths import (
            reports_dir,  # settings are read on use, not on import
        )

        return reports_dir(self.entity) / f"{self.stem}{suffix}"


def unit_code(value: str | None) -> str | None:
    """`tm` → `TM`; blank → None (the whole entity); PeriodError naming the known units."""
    if value is None or not str(value).strip():
        return None
    unit = str(value).strip().upper()
    if unit not in UNITS:
        raise PeriodError(f"unit '{value}' is not one of {', '.join(UNITS)}")
    return unit


def resolve_period(
    entity: str, year: int, months: MonthRange | None, report_type: str, unit: str | None = None
) -> Period:
    """Monthly = one month, a calendar quarter is Q1…Q4, any other range is `range` (file
    `E-Y-MAA-MBB`), yearly = the loaded months. A unit report's stem ends in `-<UNIT>`
    (`IONS-2026-02-TM`): the one place that names a unit report's files."""
    period = _period_of(entity, year, months, report_type)
    code = unit_code(unit)
    return replace(period, unit=code, stem=f"{period.stem}-{code}") if code else period


def _period_of(entity: str, year: int, months: MonthRange | None, report_type: str) -> Period:
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
        label = f"{year}-{months.start:02d}"
        return Period(entity, year, "monthly", label, f"{base}-{months.start:02d}", months)
    quarter = QUARTERS.get((months.start, months.end))
    if quarter:
        return Period(entity, year, "quarterly", quarter, f"{base}-{quarter}", months)
    stem = f"{base}-M{months.start:02d}-M{months.end:02d}"
    return Period(entity, year, "range", "range", stem, months)


def report_type_for(kind: str, months: MonthRange | None) -> str:
    """The report type to run for what a person asked for in the admin (`kind`: one of
    REPORT_TYPES or "range"), or PeriodError saying what to change. Never a silent change:
    monthly is one month, quarterly a calendar quarter, range any other span, yearly none."""
    if kind == "yearly":
        if months is not None:
            raise PeriodError("A yearly report covers the whole year: leave the months blank.")
        return kind
    if months is None:
        raise PeriodError(f"A {kind} report needs a month (choose Yearly for the whole year).")
    single, quarter = months.start == months.end, QUARTERS.get((months.start, months.end))
    if kind == "monthly" and not single:
        hint = f"Quarterly ({months} is {quarter})" if quarter else "Range"
        raise PeriodError(
            f"A monthly report covers one month, not {months}: clear “to” or choose {hint}."
        )
    if kind == "quarterly" and not quarter:
        raise PeriodError(f"A quarterly report covers 1-3, 4-6, 7-9 or 10-12, not {months}.")
    if kind == "range" and (single or quarter):
        better = "Monthly" if single else f"Quarterly ({quarter})"
        raise PeriodError(f"A range covers several months that are not a quarter: choose {better}.")
    # resolve_period names any span that is not a quarter a range, whatever the type.
    return "monthly" if kind == "range" else kind


def previous_period(year: int, months: list[int], kind: str) -> list[YearMonth]:
    """The period of the same length just before; a yearly report compares with last year."""
    if kind == "yearly":
        return [(year - 1, m) for m in months]
    index = year * 12 + months[0] - 1  # months since year 0, zero-based
    return [(i // 12, i % 12 + 1) for i in range(index - len(months), index)]


def period_words(
    year: int, month: int | None, month_end: int | None = None, unit: str | None = None
) -> str:
    """A run's period as people say it: `February 2026`, `Q1 2026`, `Feb–Apr 2026`, `2026`;
    a unit report's adds its unit: `February 2026 · unit TM`."""
    words = _span_words(year, month, month_end)
    return f"{words} · unit {unit}" if unit else words


def _span_words(year: int, month: int | None, month_end: int | None) -> str:
    if not month:
        return str(year)
    end = month_end or month
    if end == month:
        return f"{MONTH_NAMES[month - 1]} {year}"
    if (month, end) in QUARTERS:
        return f"{QUARTERS[(month, end)]} {year}"
    return f"{MONTH_ABBREVIATIONS[month - 1]}–{MONTH_ABBREVIATIONS[end - 1]} {year}"
