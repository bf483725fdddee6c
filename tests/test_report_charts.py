"""Charts in the report (docs/reports.md, "Charts"): the JSON series they draw, the inline
SVG of the HTML (read back as XML), the native charts of the XLSX (re-opened with
openpyxl), the print stylesheet and the generation time in the configured zone."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from pipeline_ops.pipeline.period import MONTH_ABBREVIATIONS, MonthRange, resolve_period
from pipeline_ops.pipeline.reports.charts import nice_scale, short_rupiah
from pipeline_ops.pipeline.reports.labels import number, rupiah
from pipeline_ops.pipeline.stages.report import run_report
from tests.test_report import (
    HAND,
    live,
    net,
    warehouse_data,  # noqa: F401  (fixture)
)

pytestmark = pytest.mark.django_db
PERIODS = {  # type: (months, the Period cell / HTML title)
    "monthly": (MonthRange(2, 2), "Feb 2026"),
    "quarterly": (MonthRange(1, 3), "Q1 2026 (Jan–Mar 2026)"),
    "yearly": (None, "Year 2026 (Jan–Apr)"),
    "range": (MonthRange(2, 4), "Feb–Apr 2026"),
}


@pytest.fixture
def build(warehouse_data):  # noqa: F811
    """The hand-built two-year warehouse (tests/test_report.py); returns `built`."""
    return built


def built(report_type: str) -> dict:
    """A report of the hand-built warehouse run end to end: its JSON, HTML and XLSX path."""
    months = PERIODS[report_type][0]
    kind = "monthly" if report_type == "range" else report_type  # 2-4 names a range
    run_report("IONS", 2026, months, report_type=kind, force=True)
    period = resolve_period("IONS", 2026, months, kind)
    return {
        "json": json.loads(period.path(".json").read_text()),
        "html": period.path(".html").read_text(),
        "xlsx": period.path(".xlsx"),
    }


def chart(html: str, chart_id: str) -> ET.Element:
    match = re.search(rf'<svg id="chart-{chart_id}".*?</svg>', html, re.DOTALL)
    assert match, f"no chart {chart_id}"
    return ET.fromstring(match.group(0))


def values(svg: ET.Element, tag: str = "rect") -> list[int]:
    return [int(e.get("data-value")) for e in svg.iter(tag) if e.get("data-value") is not None]


def without_links(html: str) -> str:
    """The report with its figures' links to their evidence pages taken out."""
    return re.sub(r"</?a\b[^>]*>", "", html)


def texts(svg: ET.Element, css_class: str) -> list[str]:
    return [e.text for e in svg.iter("text") if css_class in (e.get("class") or "").split()]


def test_short_rupiah_writes_three_significant_digits_in_indonesian_scales():
    assert short_rupiah(150_000_000) == "Rp 150 jt"
    assert short_rupiah(500_000_000) == "Rp 500 jt"
    assert short_rupiah(1_540_000_000, prefix=False) == "1,54 M"
    assert short_rupiah(2_500_000) == "Rp 2,5 jt" and short_rupiah(0) == "Rp 0"
    assert nice_scale(152_000_000) == (200_000_000, 50_000_000)
    assert nice_scale(7, whole=True) == (8, 2)


def test_a_monthly_report_lists_every_day_with_the_revenue_of_its_orders(build):
    report = build("monthly")["json"]
    by_day = report["revenue"]["by_day"]
    assert [d["date"] for d in by_day] == [date(2026, 2, d).isoformat() for d in range(1, 29)]
    orders = [o for o in live(HAND.orders) if (o["year"], o["month"]) == (2026, 2)]
    for d in by_day:
        day = date.fromisoformat(d["date"]).day
        assert d["actual"] == sum(net(o) for o in orders if o["day"] == day), d
    assert sum(d["actual"] for d in by_day) == report["revenue"]["actual"]
    assert "by_day" not in build("quarterly")["json"]["revenue"]


def test_the_monthly_html_charts_each_day_on_a_rupiah_axis_with_the_same_numbers_in_a_table(
    build,
):
    made = build("monthly")
    revenue, html = made["json"]["revenue"], made["html"]
    svg = chart(html, "daily")
    assert svg.get("role") == "img" and svg.find("title").text == "Revenue by day, Feb 2026"
    assert svg.get("aria-labelledby") == svg.find("title").get("id")
    assert values(svg) == [d["actual"] for d in revenue["by_day"]]
    ticks = texts(svg, "tick")
    assert ticks[0] == "Rp 0" and all(t.startswith("Rp ") for t in ticks) and len(ticks) >= 3
    assert values(svg, "line") == [round(revenue["target"] / 28)]  # the daily pace line
    table = html[html.index('<table class="cal">') :]
    for d in revenue["by_day"]:
        if d["actual"]:
            assert f"{number(d['actual'])}</td>" in table
    assert "<svg" in html and 'id="by-month"' not in html  # no one-row month table


@pytest.mark.parametrize("report_type", ["quarterly", "yearly"])
def test_longer_reports_chart_each_month_against_target_with_values_on_the_bars(build, report_type):
    made = build(report_type)
    by_month = made["json"]["revenue"]["by_month"]
    svg = chart(made["html"], "months")
    assert values(svg) == [m["actual"] for m in by_month]
    assert values(svg, "line") == [m["target"] for m in by_month]
    assert texts(svg, "value") == [short_rupiah(m["actual"]) for m in by_month]
    assert texts(svg, "label") == [MONTH_ABBREVIATIONS[m["month"] - 1] for m in by_month]
    assert all(t.startswith("Rp ") for t in texts(svg, "tick"))
    for m in by_month:  # the numbers are also in the month table
        assert f'<td class="n">{rupiah(m["actual"])}</td>' in without_links(made["html"])


def test_the_collection_chart_stacks_collected_and_outstanding_per_month(build):
    made = build("yearly")
    by_month = made["json"]["revenue"]["by_month"]
    svg = chart(made["html"], "collection")
    pairs = [(m["collected"], m["outstanding"]) for m in by_month]
    assert values(svg) == [v for pair in pairs for v in pair]
    assert all(m["collected"] + m["outstanding"] == m["actual"] for m in by_month)
    assert 'fill="url(#collection-hatch)"' in made["html"]  # outstanding differs by pattern
    for m in by_month:
        assert f'<td class="n">{rupiah(m["outstanding"])}</td>' in without_links(made["html"])


def test_the_program_chart_counts_students_against_target_siswa(build):
    made = build("monthly")
    svg = chart(made["html"], "programs")
    programs = made["json"]["programs"]
    assert values(svg) == [p["enrollments"] for p in programs]
    assert values(svg, "line") == [p["target"] for p in programs]
    assert "Target Siswa" in svg.find("title").text
    assert texts(svg, "value")[0].startswith(f"{programs[0]['enrollments']} of ")


@pytest.mark.parametrize("report_type", ["monthly", "quarterly", "yearly"])
def test_the_html_stays_one_file_without_scripts_or_outside_references(build, report_type):
    html = build(report_type)["html"]
    assert "<script" not in html.lower() and "@import" not in html
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.I)
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", html, re.I)
    assert html.count("<svg") >= 2


def test_the_html_prints_on_a4_without_splitting_charts_or_tables(build):
    html = build("yearly")["html"]
    style = html[html.index("@media print") : html.index("</style>")]
    assert re.search(r"@page\s*\{\s*size:\s*A4;\s*margin:", style)
    assert re.search(r"figure\.chart, table[^{]*\{[^}]*break-inside: avoid", style)


@pytest.mark.parametrize("report_type", list(PERIODS))
def test_every_xlsx_has_a_native_chart_over_its_own_cells_and_a_readable_period(build, report_type):
    made = build(report_type)
    wb = load_workbook(made["xlsx"])
    summary = {row[0]: row[1] for row in wb["Summary"].iter_rows(min_row=2, values_only=True)}
    assert summary["Period"] == PERIODS[report_type][1]
    assert PERIODS[report_type][1] in made["html"]
    charts = {ws.title: ws._charts for ws in wb.worksheets if ws._charts}
    assert charts, "no native chart"
    if report_type == "monthly":
        days = len(made["json"]["revenue"]["by_day"])
        (daily,) = charts["By day"]
        assert [s.val.numRef.f for s in daily.series] == [f"'By day'!$C$2:$C${days + 1}"]
        assert daily.x_axis.title is not None and daily.y_axis.title is not None
    else:
        last = len(made["json"]["revenue"]["by_month"]) + 1
        refs = [[s.val.numRef.f for s in c.series] for c in charts["By month"]]
        assert [f"'By month'!$C$2:$C${last}"] in refs  # actual revenue, labelled bars
        assert [f"'By month'!$E$2:$E${last}", f"'By month'!$F$2:$F${last}"] in refs
        ws = wb["By month"]
        assert [ws.cell(row=r, column=2).value for r in range(2, last + 1)] == [
            MONTH_ABBREVIATIONS[m - 1] for m in made["json"]["months"]
        ]


def test_the_time_shown_is_in_the_configured_zone_with_its_name(build, settings):
    settings.TIME_ZONE = "Asia/Makassar"  # WITA, UTC+8: not the default, so not a fluke
    made = build("monthly")
    stamp = datetime.fromisoformat(made["json"]["generated_at"])
    assert stamp.utcoffset() is not None  # the JSON keeps ISO-8601 with its offset
    local = stamp.astimezone(ZoneInfo("Asia/Makassar"))
    shown = f"{local:%Y-%m-%d %H:%M} WITA"  # as the admin writes times (pipeline/when.py)
    assert f"generated {shown}" in made["html"]
    summary = dict(load_workbook(made["xlsx"])["Summary"].iter_rows(min_row=2, values_only=True))
    assert summary["Generated at"] == shown
