"""Where a number comes from, in real Chromium (docs/reports.md): a yearly report launched
from the admin form and built by a real django-q2 worker; in its HTML a program's revenue is
clicked, the evidence page lists the orders and their total, and the workbook version that
holds them downloads. The page fits a 390 px phone.

ATLAS_SCREENSHOTS=docs/img writes docs/img/evidence.png and docs/img/evidence-phone.png.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from django.core.files import File

from pipeline_ops.models import Report, WorkbookVersion
from pipeline_ops.pipeline.intake.versions import make_current, store
from pipeline_ops.pipeline.reports.labels import rupiah
from tests.test_browser import watch_run_page
from tests.test_console_browser import launch_report_form, queued_run_page, shoot_both
from tests.worker import running_worker

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def stored_version(built_warehouse, entity) -> WorkbookVersion:
    """The workbook the shared warehouse was synced from, as an accepted version (what an
    upload through the admin leaves behind)."""
    source = built_warehouse.data_dir / "sources" / "IONS" / "IONS-2026.xlsx"
    with source.open("rb") as handle:
        version = store(entity, 2026, File(handle), "IONS 2026 final.xlsx")
    make_current(version, None)
    return version


def test_a_programs_revenue_opens_its_orders_and_the_workbook_version_holding_them(
    page, live_server, warehouse, built_warehouse, entity, data_dir
):
    version = stored_version(built_warehouse, entity)
    base = live_server.url
    launch_report_form(page, base, "yearly")
    with running_worker(data_dir):
        queued_run_page(page)
        watch_run_page(page, page.url)
    report = Report.objects.get(type="yearly")
    programs = json.loads(Path(report.json_path).read_text())["programs"]
    program = min((p for p in programs if p["revenue"]), key=lambda p: p["enrollments"])

    page.goto(f"{base}/reports/IONS/{report.stem}.html")
    row = page.locator("#programs tbody tr").filter(has_text=program["code"]).first
    row.locator("a.fig").last.click()  # its revenue, the row's last figure
    page.wait_for_selector("#orders")
    assert page.url.startswith(f"{base}/reports/IONS/{report.stem}/evidence/?figure=revenue")
    heading = page.inner_text("h1")
    assert heading == f"Revenue · {program['code']} · IONS report — 2026", heading
    total = rupiah(program["revenue"])
    assert page.inner_text("#figure-total") == total == page.inner_text("#footer-total")
    shown = page.locator("#orders tbody tr td[data-label=Program]").all_inner_texts()
    assert shown and all(p.startswith(program["code"]) for p in shown)
    cells = page.locator("#orders code.cell").all_inner_texts()
    assert cells and all("!H" in c for c in cells)  # Harga, where revenue was typed

    with page.expect_download() as downloading:
        page.locator("#orders a.version").first.click()
    content = Path(downloading.value.path()).read_bytes()
    assert hashlib.sha256(content).hexdigest() == version.sha256
    shoot_both(page, "evidence")  # and it fits a 390 px phone, nothing cut off
