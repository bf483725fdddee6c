"""`present`: the report JSON rendered as `.html` (Django template) and `.xlsx` (openpyxl).

Both are written beside the JSON. The HTML is self-contained (inline CSS and SVG, no
scripts or web fonts) so it opens offline, prints on A4 and can be mailed as one file.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.template.loader import render_to_string

from pipeline_ops.pipeline.errors import PipelineError
from pipeline_ops.pipeline.evidence.store import evidence_path
from pipeline_ops.pipeline.period import MONTH_ABBREVIATIONS
from pipeline_ops.pipeline.reports.atomic import write_all_atomically
from pipeline_ops.pipeline.reports.data import pct
from pipeline_ops.pipeline.reports.evidence_links import Link, figure_links, link_charts
from pipeline_ops.pipeline.reports.figures import report_figures
from pipeline_ops.pipeline.reports.labels import (
    local_time,
    number,
    percent,
    period_title,
    rupiah,
    signed_percent,
)
from pipeline_ops.pipeline.reports.notes import withheld_notices
from pipeline_ops.pipeline.reports.xlsx import write_xlsx
from pipeline_ops.pipeline.runs.calls import StageCall, recorded, with_period
from pipeline_ops.pipeline.runs.stage_run import StageContext


def bar(pct: float | None) -> dict:
    """Width of an achievement bar (capped at 100% of the track) and whether it is met."""
    if pct is None:
        return {"width": 0, "met": False, "none": True}
    width = min(max(pct, 0.0), 100.0)
    return {"width": f"{width:.1f}", "met": pct >= 100.0, "none": False}


def _unit_rows(report: dict, link: Link) -> list[dict]:
    return [
        dict(
            u,
            actual_href=link("revenue", unit=u["unit"]),
            actual_text=rupiah(u["actual"]),
            target_text=rupiah(u["target"]),
            achievement_text=percent(u["achievement_pct"]),
            previous_text=rupiah(u["previous"]),
            change_text=signed_percent(u["change_pct"]),
            bar=bar(u["achievement_pct"]),
        )
        for u in report["revenue"]["by_unit"]
    ]


def context(report: dict) -> dict:
    revenue, link = report["revenue"], figure_links(report)
    charts = report_figures(report)
    link_charts(charts, report, link)
    return {
        "r": report,
        "withheld": withheld_notices(report),
        "title": f"{_whose(report)} revenue report — {period_title(report)}",
        "headline": {
            "actual": rupiah(revenue["actual"]),
            "target": rupiah(revenue["target"]),
            "achievement": percent(revenue["achievement_pct"]),
            "bar": bar(revenue["achievement_pct"]),
            "previous": rupiah(revenue["previous"]),
            "change": signed_percent(revenue["change_pct"]),
            "collected": rupiah(revenue["collected"]),
            "outstanding": rupiah(revenue["outstanding"]),
            "orders": number(report["orders"]["total"]),
            "cancelled": number(report["orders"]["cancelled"]),
        },
        "links": _headline_links(link),
        "units": _unit_rows(report, link),
        "months": _month_rows(revenue["by_month"], link),
        "generated": local_time(report["generated_at"]),
        "programs": _program_rows(report["programs"], link),
        "organizations": [
            dict(o, rank=i, revenue_text=rupiah(o["revenue"]), students_text=number(o["students"]))
            for i, o in enumerate(report["top_organizations"], start=1)
        ],
        **charts,
    }


def _headline_links(link: Link) -> dict:
    return {
        "actual": link("revenue"),
        "collected": link("collected"),
        "outstanding": link("outstanding"),
        "orders": link("orders"),
        "cancelled": link("orders", status="BATAL"),
    }


def _whose(report: dict) -> str:
    """`IONS`, or `IONS TM` for a unit report (a JSON from before unit reports has no key)."""
    return " ".join(filter(None, (report["entity"], report.get("unit"))))


def _month_rows(by_month: list[dict], link: Link) -> list[dict]:
    return [
        dict(
            m,
            name=MONTH_ABBREVIATIONS[m["month"] - 1],
            actual_href=link("revenue", month=m["month"]),
            collected_href=link("collected", month=m["month"]),
            outstanding_href=link("outstanding", month=m["month"]),
            actual_text=rupiah(m["actual"]),
            target_text=rupiah(m["target"]),
            achievement_text=percent(pct(m["actual"], m["target"])),
            # Reports written before collected/outstanding were per month lack them.
            collected_text=rupiah(m.get("collected")),
            outstanding_text=rupiah(m.get("outstanding")),
        )
        for m in by_month
    ]


def _program_rows(programs: list[dict], link: Link) -> list[dict]:
    return [
        dict(
            p,
            enrollments_href=link("enrollments", program=p["code"]),
            revenue_href=link("revenue", program=p["code"]),
            revenue_text=rupiah(p["revenue"]),
            enrollments_text=number(p["enrollments"]),
            target_text=number(p["target"]),
            achievement_text=percent(p["achievement_pct"]),
            bar=bar(p["achievement_pct"]),
        )
        for p in programs
    ]


def render_html(report: dict) -> str:
    return render_to_string("reports/report.html", context(report))


def present_files(json_path: Path) -> tuple[Path, Path]:
    if not json_path.exists():
        raise PipelineError(f"{json_path} does not exist: run `manage.py format` first.")
    report = json.loads(json_path.read_text())
    html_path, xlsx_path = json_path.with_suffix(".html"), json_path.with_suffix(".xlsx")
    html = render_html(report)
    write_all_atomically({
        html_path: lambda p: p.write_text(html, encoding="utf-8"),
        xlsx_path: lambda p: write_xlsx(report, p, evidence_path(json_path)),
    })  # fmt: skip
    return html_path, xlsx_path


@recorded("present", options=("report_type", "unit", "period"), prepare=with_period)
def run_present(call: StageCall, ctx: StageContext) -> None:
    for path in present_files(call.option("period").path(".json")):
        ctx.log(f"wrote {path}")
        call.say(f"Wrote {path}")
