"""`present`: the report JSON rendered as `.html` (Django template) and `.xlsx` (openpyxl).

Both are written beside the JSON. The HTML is self-contained (inline CSS and SVG, no
scripts or web fonts) so it opens offline, prints on A4 and can be mailed as one file.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from django.template.loader import render_to_string

from pipeline_ops.pipeline.errors import PipelineError
from pipeline_ops.pipeline.period import MONTH_ABBREVIATIONS
from pipeline_ops.pipeline.reports.atomic import write_all_atomically
from pipeline_ops.pipeline.reports.data import pct
from pipeline_ops.pipeline.reports.xlsx import write_xlsx
from pipeline_ops.pipeline.runs.calls import StageCall, recorded, with_period
from pipeline_ops.pipeline.runs.stage_run import StageContext

CHART_W, CHART_H, BAR_GAP, MAX_BAR = 640, 150, 6, 48


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


def bar(pct: float | None) -> dict:
    """Width of an achievement bar (capped at 100% of the track) and whether it is met."""
    if pct is None:
        return {"width": 0, "met": False, "none": True}
    width = min(max(pct, 0.0), 100.0)
    return {"width": _svg(width, 1), "met": pct >= 100.0, "none": False}


def _svg(value: float, digits: int) -> str:
    """A number for CSS/SVG attributes: a string, so template localisation cannot add commas."""
    return f"{value:.{digits}f}"


def period_title(report: dict) -> str:
    months = report["months"]
    year = report["year"]
    first, last = MONTH_ABBREVIATIONS[months[0] - 1], MONTH_ABBREVIATIONS[months[-1] - 1]
    if report["type"] == "monthly":
        return f"{first} {year}"
    if report["type"] == "yearly":
        return f"Year {year} ({first}–{last})"
    span = f"{first}–{last} {year}"
    return f"{report['label']} {year} ({span})" if report["type"] == "quarterly" else span


def month_chart(by_month: list[dict]) -> dict:
    """Geometry for the inline SVG: one actual bar and one target tick per month."""
    top = max([m["actual"] for m in by_month] + [m["target"] for m in by_month] + [1])
    slot = CHART_W / max(len(by_month), 1)
    bars = []
    width = min(slot - 2 * BAR_GAP, MAX_BAR)
    for i, m in enumerate(by_month):
        height = CHART_H * m["actual"] / top
        left = i * slot + (slot - width) / 2
        bars.append(
            {
                "x": _svg(left, 1),
                "x2": _svg(left + width, 1),
                "width": _svg(width, 1),
                "y": _svg(CHART_H - height, 1),
                "height": _svg(height, 1),
                "target_y": _svg(CHART_H - CHART_H * m["target"] / top, 1),
                "label": MONTH_ABBREVIATIONS[m["month"] - 1],
                "label_x": i * slot + slot / 2,
                "title": f"{MONTH_ABBREVIATIONS[m['month'] - 1]}: {rupiah(m['actual'])}"
                f" of {rupiah(m['target'])}",
            }
        )
    return {"width": CHART_W, "height": CHART_H, "bars": bars, "label_y": CHART_H + 16,
            "view_h": CHART_H + 22}  # fmt: skip


def _unit_rows(report: dict) -> list[dict]:
    return [
        dict(
            u,
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
    revenue = report["revenue"]
    return {
        "r": report,
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
        "units": _unit_rows(report),
        "months": _month_rows(revenue["by_month"]),
        "chart": month_chart(revenue["by_month"]) if len(revenue["by_month"]) > 1 else None,
        "generated": _generated(report["generated_at"]),
        "programs": _program_rows(report["programs"]),
        "organizations": [
            dict(o, rank=i, revenue_text=rupiah(o["revenue"]), students_text=number(o["students"]))
            for i, o in enumerate(report["top_organizations"], start=1)
        ],
    }


def _whose(report: dict) -> str:
    """`IONS`, or `IONS TM` for a unit report (a JSON from before unit reports has no key)."""
    return " ".join(filter(None, (report["entity"], report.get("unit"))))


def _generated(stamp: str) -> str:
    try:
        return datetime.fromisoformat(stamp).strftime("%d %b %Y %H:%M UTC")
    except ValueError:
        return stamp


def _month_rows(by_month: list[dict]) -> list[dict]:
    return [
        dict(
            m,
            name=MONTH_ABBREVIATIONS[m["month"] - 1],
            actual_text=rupiah(m["actual"]),
            target_text=rupiah(m["target"]),
            achievement_text=percent(pct(m["actual"], m["target"])),
        )
        for m in by_month
    ]


def _program_rows(programs: list[dict]) -> list[dict]:
    return [
        dict(
            p,
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
        xlsx_path: lambda p: write_xlsx(report, p),
    })  # fmt: skip
    return html_path, xlsx_path


@recorded("present", options=("report_type", "unit", "period"), prepare=with_period)
def run_present(call: StageCall, ctx: StageContext) -> None:
    for path in present_files(call.option("period").path(".json")):
        ctx.log(f"wrote {path}")
        call.say(f"Wrote {path}")
