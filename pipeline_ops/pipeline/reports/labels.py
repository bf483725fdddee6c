"""Words a report shows: money, percentages, the period and the generation time.

One place, so the workbook's "Period" cell reads exactly like the HTML title and a chart's
tooltip writes money exactly like the tables.
"""

from __future__ import annotations

from datetime import datetime

from pipeline_ops.pipeline.period import MONTH_ABBREVIATIONS
from pipeline_ops.pipeline.when import local_stamp


def rupiah(value: int | None) -> str:
    """`Rp 1.500.000`: dots as thousands separators, as Indonesian readers expect."""
    if value is None:
        return "–"
    sign = "−" if value < 0 else ""
    return f"{sign}Rp {abs(int(value)):,}".replace(",", ".")


def percent(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.1f}%".replace(".", ",")


def signed_percent(value: float | None) -> str:
    if value is None:
        return "–"
    return ("+" if value > 0 else "") + percent(value)


def number(value: int) -> str:
    return f"{int(value):,}".replace(",", ".")


def covered_months(report: dict) -> list[int]:
    """The months a report is over, its withheld ones included: its title, its `Report`
    row and its state span them (Q1 with March withheld is still Q1)."""
    withheld = {w["month"] for w in report.get("withheld_months") or ()}  # older JSON: none
    return sorted({*report["months"], *withheld})


def period_title(report: dict) -> str:
    """`Feb 2026`, `Q1 2026 (Jan–Mar 2026)`, `Year 2026 (Jan–Dec)`, `Feb–Apr 2026`: the
    period the report covers, its withheld months included (they are named at its top)."""
    months = covered_months(report)
    year = report["year"]
    first, last = MONTH_ABBREVIATIONS[months[0] - 1], MONTH_ABBREVIATIONS[months[-1] - 1]
    if report["type"] == "monthly":
        return f"{first} {year}"
    months_text = first if first == last else f"{first}–{last}"
    if report["type"] == "yearly":
        return f"Year {year} ({months_text})"
    span = f"{months_text} {year}"
    return f"{report['label']} {year} ({span})" if report["type"] == "quarterly" else span


def local_time(stamp: str) -> str:
    """The JSON's ISO-8601 `generated_at` as the admin shows times (`2026-11-27 07:05 WIB`,
    pipeline/when.py). A stamp without an offset was written in UTC (the format stage always
    writes UTC); an unreadable one is shown as it is rather than failing the whole render."""
    try:
        moment = datetime.fromisoformat(stamp)
    except (TypeError, ValueError):
        return str(stamp)
    # The default zone, not the current one: a file is read outside any request.
    return local_stamp(moment, default_zone=True)
