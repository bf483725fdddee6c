"""present: the HTML in a real headless Chromium, the XLSX re-opened with openpyxl."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook

from pipeline_ops.pipeline.period import MonthRange, resolve_period
from pipeline_ops.pipeline.stages.present import percent, render_html, rupiah
from pipeline_ops.pipeline.stages.report import run_report
from tests.test_report import warehouse_data  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars",
]  # fmt: skip


@pytest.fixture
def monthly(warehouse_data) -> dict:  # noqa: F811
    """A monthly report run end to end; returns its JSON and file paths."""
    run_report("IONS", 2026, MonthRange(2, 2), force=True)
    period = resolve_period("IONS", 2026, MonthRange(2, 2), "monthly")
    paths = {suffix: period.path(f".{suffix}") for suffix in ("json", "html", "xlsx")}
    return {"report": json.loads(paths["json"].read_text()), **paths}


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / "chromium-profile"
    return subprocess.run(
        [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_rupiah_uses_dots_between_thousands():
    assert rupiah(1_500_000) == "Rp 1.500.000"
    assert rupiah(0) == "Rp 0"
    assert rupiah(-250_000) == "−Rp 250.000"
    assert rupiah(None) == "–"
    assert percent(87.5) == "87,5%" and percent(None) == "–"


def test_the_html_is_self_contained(monthly):
    html = monthly["html"].read_text()
    assert "<script" not in html
    assert "http://" not in html and "https://" not in html  # no external fonts or styles
    assert "@media print" in html


def test_the_html_shows_warnings_when_the_report_is_stale(monthly):
    report = dict(monthly["report"], warnings=["The workbook IONS-2026.xlsx changed."])
    assert "The workbook IONS-2026.xlsx changed." in render_html(report)
    assert "out of date" not in monthly["html"].read_text()


@pytest.mark.browser
def test_chromium_renders_the_headline_numbers(monthly, tmp_path):
    revenue = monthly["report"]["revenue"]
    dom = chromium(tmp_path, "--dump-dom", monthly["html"].as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    for text in (rupiah(revenue["actual"]), rupiah(revenue["target"]),
                 percent(revenue["achievement_pct"]), rupiah(revenue["collected"]),
                 rupiah(revenue["outstanding"])):  # fmt: skip
        assert text in dom.stdout
    assert f'id="revenue-actual">{rupiah(revenue["actual"])}<' in dom.stdout


@pytest.mark.browser
def test_chromium_takes_a_screenshot_of_the_report(monthly, tmp_path):
    png = tmp_path / "report.png"
    shot = chromium(tmp_path, f"--screenshot={png}", "--window-size=1200,1600",
                    monthly["html"].as_uri())  # fmt: skip
    assert shot.returncode == 0, shot.stderr[-2000:]
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 30_000  # a blank 1200×1600 page compresses to a few kilobytes


def test_the_xlsx_reopens_with_the_same_totals_as_the_json(monthly):
    report = monthly["report"]
    wb = load_workbook(monthly["xlsx"])
    assert wb.sheetnames == [
        "Summary", "By unit", "By day", "By month", "Programs", "Top organizations", "Orders",
    ]  # fmt: skip
    summary = {row[0]: row[1] for row in wb["Summary"].iter_rows(min_row=2, values_only=True)}
    revenue = report["revenue"]
    assert summary["Revenue (actual)"] == revenue["actual"]
    assert summary["Revenue target"] == revenue["target"]
    assert summary["Collected"] == revenue["collected"]
    assert summary["Outstanding"] == revenue["outstanding"]
    assert summary["Orders"] == report["orders"]["total"]
    units = list(wb["By unit"].iter_rows(min_row=2, values_only=True))
    assert sum(row[1] for row in units) == revenue["actual"]
    programs = list(wb["Programs"].iter_rows(min_row=2, values_only=True))
    assert [row[0] for row in programs] == [p["code"] for p in report["programs"]]
    organizations = list(wb["Top organizations"].iter_rows(min_row=2, values_only=True))
    assert [row[2] for row in organizations] == [o["revenue"] for o in report["top_organizations"]]


def test_the_xlsx_has_frozen_headers_number_formats_and_widths(monthly):
    wb = load_workbook(monthly["xlsx"])
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2", ws.title
        assert ws["A1"].font.bold
        assert ws.column_dimensions["A"].width >= 8
    assert "Rp" in wb["By unit"]["B2"].number_format
    assert wb["By unit"]["D2"].number_format == '0.0"%"'


def test_a_failed_render_leaves_no_half_written_file(monthly, settings, tmp_path):
    before = monthly["html"].read_bytes()
    settings.TEMPLATES = [dict(settings.TEMPLATES[0], DIRS=[tmp_path / "nowhere"])]
    with pytest.raises(Exception, match=r"report\.html"):
        run_report("IONS", 2026, MonthRange(2, 2), force=True)
    assert monthly["html"].read_bytes() == before
    assert not [p for p in monthly["html"].parent.rglob("*.tmp")]  # no temporary file left
