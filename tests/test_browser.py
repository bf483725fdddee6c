"""One real headless Chromium session through the admin (Playwright driving Debian chromium).

Set ATLAS_SCREENSHOTS=docs/img to refresh the README screenshots from this test.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import sync_playwright

from pipeline_ops.models import PipelineRun
from pipeline_ops.pipeline.paths import source_workbook
from tests.workbooks import standard_workbook
from tests.worker import running_worker

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def shoot(page, name: str) -> None:
    folder = os.environ.get("ATLAS_SCREENSHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / name), full_page=True)


def log_in(page, base: str, username: str = "olga") -> None:
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw")
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")


def launch(page, base: str, action: str, month: str | None = None) -> None:
    """From the entity list: the action, its form (2026, a month if given), Queue."""
    page.goto(f"{base}/admin/pipeline_ops/entity/")
    page.check("input[name=_selected_action]")
    page.select_option("select[name=action]", action)
    page.click("button[name=index]")
    page.fill("#id_year", "2026")
    if month:
        page.select_option("#id_month", month)
    page.click("input[value=Queue]")
    page.wait_for_selector(".messagelist")


def launch_chain(page, base: str) -> None:
    launch(page, base, "launch_chain", "2")


def watch_run_page(page, url: str, timeout: float = 240) -> None:
    """The page refreshes itself while the run is active; poll it like a person would."""
    deadline = time.monotonic() + timeout
    page.goto(url)
    while not page.locator(".run-heading .run-success, .run-heading .run-failed").count():
        assert time.monotonic() < deadline, "the run page never showed a finished run"
        time.sleep(2)
        page.goto(url)
    assert page.locator(".run-heading .run-success").count(), page.inner_text("#content")


def assert_chain_ran_in_order(run: PipelineRun) -> None:
    run.refresh_from_db()
    assert (run.stage, run.month, run.month_end) == ("chain", 2, 2)
    stages = list(run.children.order_by("id").values_list("stage", "status"))
    assert stages == [("sync", "success"), ("publish", "success"), ("report", "success")]
    sync = run.children.get(stage="sync")
    leaves = list(sync.children.order_by("id").values_list("stage", flat=True))
    assert leaves == ["extract", "load", "validate", "transform"]
    assert run.completed_at >= run.children.get(stage="report").completed_at


def assert_the_board_scrolls_inside_itself_on_a_phone(page) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    width = page.evaluate("document.documentElement.scrollWidth")
    board = page.eval_on_selector(".board-scroll", "e => [e.scrollWidth, e.clientWidth]")
    assert width <= 390 and board[0] > board[1], (width, board)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_an_operator_logs_in_launches_the_chain_watches_it_succeed_and_downloads_the_report(
    live_server, entity, operator, data_dir, tmp_path, monkeypatch
):
    """Through the admin as a Pipeline operator (no superuser): action → queue → a real
    qcluster → the chain's runs → the report it made."""
    # Playwright's sync API runs an event loop in this thread; the ORM reads here are safe.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    standard_workbook(source_workbook("IONS", 2026))
    with running_worker(data_dir), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        log_in(page, live_server.url)
        launch_chain(page, live_server.url)
        run = PipelineRun.objects.get(parent__isnull=True)
        assert run.triggered_by == operator and run.trigger == "admin"
        watch_run_page(page, f"{live_server.url}/admin/pipeline_ops/pipelinerun/{run.pk}/change/")
        assert_chain_ran_in_order(run)
        assert page.locator(".progress-strip .step-done").count() >= 6
        shoot(page, "run-page.png")
        page.goto(f"{live_server.url}/admin/?year=2026")
        assert "reported" in page.inner_text(".freshness-board")
        # The banner reads the qcluster's stats from another process (ORM broker: the cache).
        assert "Worker running: 1 cluster" in page.inner_text(".pipeline-banner")
        shoot(page, "freshness-board.png")
        assert_the_board_scrolls_inside_itself_on_a_phone(page)
        page.goto(f"{live_server.url}/admin/pipeline_ops/report/")
        with page.expect_download() as download:
            page.click("#result_list a:text-is('XLSX')")
        saved = tmp_path / "report.xlsx"
        download.value.save_as(saved)
        with page.context.expect_page() as opened:  # its stable address, in a new tab
            page.click("#result_list a:text-is('HTML')")
        report = opened.value
        report.wait_for_load_state()
        assert report.url.endswith("/reports/IONS/IONS-2026-02.html")
        assert "IONS revenue report" in report.inner_text("body")
        browser.close()
    assert "Summary" in load_workbook(saved, read_only=True).sheetnames
