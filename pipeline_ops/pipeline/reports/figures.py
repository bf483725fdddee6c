"""Which charts a report shows, built from its JSON (docs/reports.md, "Charts").

Monthly: revenue by day (with the daily pace the month's target needs) and a calendar
table of the same numbers. Longer periods: revenue by month against target, and collected
against outstanding by month. Every report: enrollments by program against Target Siswa
(programs have a student target, not a revenue target, so the chart counts students).
"""

from __future__ import annotations

from datetime import date

from pipeline_ops.pipeline.period import MONTH_ABBREVIATIONS
from pipeline_ops.pipeline.reports.charts import (
    BLUE,
    Series,
    columns,
    hbars,
    legend,
    month_labels,
    short_rupiah,
)
from pipeline_ops.pipeline.reports.data import pct
from pipeline_ops.pipeline.reports.labels import number, percent, period_title, rupiah

NAME_CHARS = 30
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def daily_chart(report: dict) -> dict | None:
    days = report["revenue"].get("by_day")
    if not days:
        return None
    target = report["revenue"]["target"]
    pace = round(target / len(days)) if target else None
    labels = [str(date.fromisoformat(d["date"]).day) for d in days]
    tips = [f"{_day_name(d['date'])}: {rupiah(d['actual'])}" for d in days]
    chart = columns(
        "daily", f"Revenue by day, {period_title(report)}", labels,
        [Series("Revenue", [d["actual"] for d in days], BLUE)], tips=tips, reference=pace,
    )  # fmt: skip
    pace_words = f"daily pace to the target: {short_rupiah(pace or 0)} (target ÷ {len(days)} days)"
    marks = [(BLUE, "revenue that day")] + ([("pace", pace_words)] if pace else [])
    return dict(chart, legend=legend(marks))


def month_chart(report: dict) -> dict | None:
    if report["type"] == "monthly":
        return None
    by_month = report["revenue"]["by_month"]
    tips = [
        f"{name}: {rupiah(m['actual'])} of target {rupiah(m['target'])}"
        f" ({percent(pct(m['actual'], m['target']))})"
        for name, m in zip(month_labels(by_month), by_month, strict=True)
    ]
    chart = columns(
        "months", f"Revenue by month against target, {period_title(report)}",
        month_labels(by_month), [Series("Revenue", [m["actual"] for m in by_month], BLUE)],
        targets=[m["target"] for m in by_month], totals_on_top=True, tips=tips,
    )  # fmt: skip
    return dict(chart, legend=legend([(BLUE, "actual revenue"), ("target", "revenue target")]))


def collection_chart(report: dict) -> dict | None:
    by_month = report["revenue"]["by_month"]
    # A JSON written before by_month carried collected/outstanding still renders, unchanged.
    if report["type"] == "monthly" or not all("collected" in m for m in by_month):
        return None
    tips = [
        f"{name}: collected {rupiah(m['collected'])}, outstanding {rupiah(m['outstanding'])}"
        for name, m in zip(month_labels(by_month), by_month, strict=True)
    ]
    series = [
        Series("Collected", [m["collected"] for m in by_month], BLUE, inside=True),
        Series("Outstanding", [m["outstanding"] for m in by_month], "hatch", inside=True),
    ]
    chart = columns(
        "collection", f"Collected and outstanding by month, {period_title(report)}",
        month_labels(by_month), series, tips=tips,
    )  # fmt: skip
    return dict(chart, legend=legend([(BLUE, "collected"), ("hatch", "outstanding")]))


def program_chart(report: dict) -> dict | None:
    if not report["programs"]:
        return None
    rows = [_program_row(p) for p in report["programs"]]
    title = f"Enrollments by program against Target Siswa, {period_title(report)}"
    chart = hbars("programs", title, rows, "students (label: enrolled of target · revenue)")
    marks = [(BLUE, "students enrolled"), ("vtarget", "Target Siswa")]
    return dict(chart, legend=legend(marks, x=200.0))


def _program_row(p: dict) -> dict:
    enrolled, target = number(p["enrollments"]), number(p["target"])
    return {
        "label": _short(p["name"] or p["code"]),
        "actual": p["enrollments"],
        "target": p["target"],
        "text": f"{enrolled} of {target} · {short_rupiah(p['revenue'])}",
        "tip": f"{p['code']} {p['name']}: {enrolled} enrolled, target {target}"
        f" ({percent(p['achievement_pct'])}), revenue {rupiah(p['revenue'])}",
    }


def day_weeks(report: dict) -> list[dict]:
    """The by-day numbers as a Monday-first calendar, one row per week with its total."""
    days = report["revenue"].get("by_day") or []
    if not days:
        return []
    cells: list[dict | None] = [None] * date.fromisoformat(days[0]["date"]).weekday()
    cells += [dict(d, day=int(d["date"][8:]), text=number(d["actual"])) for d in days]
    cells += [None] * (-len(cells) % 7)
    weeks = [cells[i : i + 7] for i in range(0, len(cells), 7)]
    return [
        {
            "label": f"{present[0]['day']}–{present[-1]['day']}",
            "cells": week,
            "total_text": number(sum(d["actual"] for d in present)),
        }
        for week in weeks
        for present in [[d for d in week if d]]
    ]


def _day_name(iso: str) -> str:
    day = date.fromisoformat(iso)
    return f"{WEEKDAYS[day.weekday()]} {day.day} {MONTH_ABBREVIATIONS[day.month - 1]}"


def _short(text: str) -> str:
    return text if len(text) <= NAME_CHARS else text[: NAME_CHARS - 1] + "…"


def report_figures(report: dict) -> dict:
    return {
        "daily_chart": daily_chart(report),
        "day_weeks": day_weeks(report),
        "month_chart": month_chart(report),
        "collection_chart": collection_chart(report),
        "program_chart": program_chart(report),
    }
