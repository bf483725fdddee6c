"""Every figure of the HTML report links to its evidence page (docs/reports.md, "Where a
number comes from"): KPI cards, table cells and chart bars.

A link is relative to the report's HTML (`<stem>/evidence/?figure=…`, links.evidence_link),
so the same file opens the latest build's evidence at its stable address and a kept build's
own evidence at that build's address. Only figures the report JSON names in `figures` get a
link: a JSON written before evidence was kept has none, and renders without links.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from pipeline_ops.pipeline.evidence.figures import Figure
from pipeline_ops.pipeline.period import MonthRange, PeriodError, resolve_period
from pipeline_ops.pipeline.reports.labels import covered_months
from pipeline_ops.pipeline.reports.links import evidence_link

Link = Callable[..., str | None]


def figure_links(report: dict) -> Link:
    """`link("revenue", unit="TM")` → the figure's relative href, or None when the report
    does not name that figure (or predates evidence)."""
    ids = {f.get("id") for f in report.get("figures") or ()}
    stem = report_stem(report) if ids else None

    def link(kind: str, **filters) -> str | None:
        figure = Figure(kind, **filters)
        return evidence_link(stem, figure) if stem and figure.id in ids else None

    return link


def report_stem(report: dict) -> str | None:
    """The report's file stem from its JSON, through resolve_period (the one place that
    names files): its covered months, withheld ones included, are the span it was asked for."""
    months = covered_months(report)
    span = None if report["type"] == "yearly" else MonthRange(months[0], months[-1])
    kind = "yearly" if span is None else "monthly"  # any span: monthly, a quarter or a range
    try:
        return resolve_period(report["entity"], report["year"], span, kind, report.get("unit")).stem
    except PeriodError:
        return None


def link_charts(charts: dict, report: dict, link: Link) -> None:
    """Each bar of the report's charts links to the figure it draws (in place)."""
    by_month = report["revenue"]["by_month"]
    if charts.get("daily_chart"):
        days = report["revenue"]["by_day"]
        for col, day in zip(charts["daily_chart"]["cols"], days, strict=True):
            col["href"] = link("revenue", day=date.fromisoformat(day["date"]))
    if charts.get("month_chart"):
        for col, m in zip(charts["month_chart"]["cols"], by_month, strict=True):
            col["href"] = link("revenue", month=m["month"])
    if charts.get("collection_chart"):
        for col, m in zip(charts["collection_chart"]["cols"], by_month, strict=True):
            for segment, kind in zip(col["segments"], ("collected", "outstanding"), strict=True):
                segment["href"] = link(kind, month=m["month"])
    if charts.get("program_chart"):
        for bar, p in zip(charts["program_chart"]["bars"], report["programs"], strict=True):
            bar["href"] = link("enrollments", program=p["code"])
    for week in charts.get("day_weeks") or ():
        for cell in week["cells"]:
            if cell:
                cell["href"] = link("revenue", day=date.fromisoformat(cell["date"]))
