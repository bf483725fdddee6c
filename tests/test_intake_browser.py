"""Workbook intake end to end in real headless Chromium, with a real django-q2 worker:
upload a revised workbook, watch its preview arrive, read the issues and the diff, accept it,
and watch the sync it queued succeed.

ATLAS_SCREENSHOTS=docs/screenshots refreshes docs/intake.md's screenshots from this test.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.files import File
from django.urls import reverse
from playwright.sync_api import sync_playwright

from pipeline_ops.models import WorkbookVersion
from pipeline_ops.pipeline.intake.versions import run_preview, store
from pipeline_ops.pipeline.paths import source_workbook
from tests.security.test_csp_browser import refusals
from tests.test_browser import CHROMIUM_ARGS, log_in, shoot, watch_run_page
from tests.test_console_browser import CUT_OFF, PHONE
from tests.workbooks import Layout, build_workbook, order, standard_orders, standard_workbook
from tests.worker import running_worker

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]
WORKER_SECONDS = 180_000  # ms: a preview, then an accept, on a cold worker


def revised_workbook(path: Path) -> Layout:
    """The standard workbook as staff revise it: a price lowered (a price_mismatch warning),
    an instalment paid off, a new order from an organisation not in REFERENSI (a warning),
    a name corrected and a cancelled order deleted. Warnings only: the sync succeeds."""
    months = standard_orders()
    feb, mar = months[2], months[3]
    feb[0] |= {"price": 1_400_000, "paid": 1_400_000}
    feb[1] |= {"status": "LUNAS", "paid": 2_400_000}
    feb.append(order(invoice="INV-2026-02010", date=dt.datetime(2026, 2, 25),
                     student="Wulan Sari", organization="Bimbel Baru"))  # fmt: skip
    mar[4] |= {"student": "Rudi Hartanto"}
    del mar[3]
    return build_workbook(path, months=months, title_rows=[["Penjualan IONS 2026"], []])


def upload(page, base: str, entity_pk: int, path: Path) -> None:
    """From the entity's page, its Upload workbook button, the form, and the preview page."""
    page.goto(f"{base}/admin/pipeline_ops/entity/{entity_pk}/change/")
    page.click("text=Upload workbook")
    page.fill("#id_year", "2026")
    page.set_input_files("#id_file", str(path))
    shoot(page, "intake-upload.png")
    page.click("input[value='Upload and preview']")
    page.wait_for_selector("#intake-progress, .intake-previewed")  # previewing… (it refreshes)
    page.wait_for_selector(".intake-heading .intake-previewed", timeout=WORKER_SECONDS)


def read_preview(page, layout: Layout) -> None:
    issues = page.inner_text("#intake-issues")
    assert layout.cell(2, 0, "Harga") in issues and "price_mismatch" in issues  # FEB!H4
    assert layout.cell(2, 10, "Organisasi") in issues and "unknown_organization" in issues
    counts = page.inner_text("#intake-counts")
    assert "+1 added" in counts and "−1 removed" in counts and "3 changed" in counts
    months = page.inner_text("#intake-months")
    assert "Rp 13.500.000 → Rp 14.900.000" in months  # Feb revenue: −100.000 + 1.500.000
    shoot(page, "intake-preview.png")


def read_diff(page) -> None:
    page.click("#intake-diff-link")
    rows = page.inner_text("#result_list")
    assert "INV-2026-02010" in rows and "INV-2026-03003" in rows
    assert "status: CICIL → LUNAS" in rows and "student_name: Rudi Hartono → Rudi Hartanto" in rows
    shoot(page, "intake-diff.png")
    page.go_back()


def accept_and_watch_the_sync(page) -> None:
    """Accept (a sync of the changed months is queued by default), wait for the worker, then
    follow the page's link to that sync run and watch it succeed."""
    assert page.is_checked("#id_queue_sync")
    page.click("button[value=accept]")
    page.wait_for_selector(".intake-heading .intake-accepted", timeout=WORKER_SECONDS)
    page.click("#intake-sync a")
    watch_run_page(page, page.url)


def test_an_operator_uploads_a_revised_workbook_reads_its_preview_accepts_it_and_its_sync_succeeds(
    live_server, entity, operator, data_dir, tmp_path, monkeypatch
):
    # Playwright's sync API runs an event loop in this thread; the ORM reads here are safe.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    standard_workbook(source_workbook("IONS", 2026))
    revised = tmp_path / "IONS 2026 revised.xlsx"
    layout = revised_workbook(revised)
    base = live_server.url
    with running_worker(data_dir), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        console: list[str] = []
        page.on("console", lambda message: console.append(message.text))
        log_in(page, base)
        upload(page, base, entity.pk, revised)
        read_preview(page, layout)
        read_diff(page)
        accept_and_watch_the_sync(page)
        browser.close()
    assert refusals(console) == []  # every intake page renders under the CSP
    version = WorkbookVersion.objects.get(original_name=revised.name)
    assert (version.status, version.uploaded_by, version.decided_by) == ("accepted", operator,
                                                                         operator)  # fmt: skip
    assert source_workbook("IONS", 2026).read_bytes() == revised.read_bytes()
    run = version.sync_run
    assert (run.status, run.month, run.month_end, run.trigger) == ("success", 2, 3, "intake")


def fits_a_phone(page, url: str, name: str) -> None:
    """At 390 px the page does not scroll sideways and cuts nothing off."""
    page.goto(url)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{url} is {width} px wide on a 390 px phone"
    assert page.evaluate(CUT_OFF) == [], f"{url} cuts content off on a phone"
    shoot(page, name)


def test_the_preview_and_the_order_diff_fit_a_390_px_phone(
    live_server, entity, operator, data_dir, tmp_path, monkeypatch
):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    standard_workbook(source_workbook("IONS", 2026))
    layout = revised_workbook(tmp_path / "IONS 2026 revised.xlsx")
    with open(tmp_path / "IONS 2026 revised.xlsx", "rb") as handle:
        version = run_preview(store(entity, 2026, File(handle), "IONS 2026 revised.xlsx").pk)
    preview = live_server.url + reverse("admin:pipeline_ops_workbookversion_change",
                                        args=[version.pk])  # fmt: skip
    diff = live_server.url + reverse("admin:pipeline_ops_workbookchange_changelist")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport=PHONE)
        log_in(page, live_server.url)
        fits_a_phone(page, preview, "intake-preview-phone.png")
        months = page.inner_text("#intake-months")
        assert "Rp 13.500.000 → Rp 14.900.000" in months  # Feb revenue, on screen
        fits_a_phone(page, f"{preview}?issues=new", "intake-issues-new-phone.png")
        assert layout.cell(2, 10, "Organisasi") in page.inner_text("#intake-issues")
        fits_a_phone(page, f"{diff}?version__id__exact={version.pk}", "intake-diff-phone.png")
        assert "Wulan Sari · TM-SD-REG · Rp 1.500.000 · LUNAS" in page.inner_text("#result_list")
        browser.close()
