"""Stopping a running sync from its run page, in real headless Chromium with a real
django-q2 worker: the sync ends as `cancelled`, says who stopped it, and the warehouse holds
no half of anything (docs/admin.md, "Stopping a run")."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import sync_playwright

from pipeline_ops.models import PipelineRun
from pipeline_ops.pipeline.paths import source_workbook
from pipeline_ops.pipeline.runs.locking import pipeline_lock
from pipeline_ops.pipeline.runs.warehouse import connect
from pipeline_ops.pipeline.stages.sync import run_sync
from tests.test_browser import CHROMIUM_ARGS, launch, log_in, shoot
from tests.workbooks import standard_workbook
from tests.worker import running_worker

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]
TABLES = ("raw_orders", "mart_orders", "mart_revenue_monthly", "mart_program_progress")


def slices() -> dict[str, tuple | None]:
    """Rows and a checksum of IONS 2026 in each table (None: the table does not exist yet)."""
    with pipeline_lock(), connect() as con:
        found = {row[0] for row in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        sql = "SELECT count(*), sum(hash(COLUMNS(*))) FROM {} WHERE entity = 'IONS' AND year = 2026"
        return {t: con.execute(sql.format(t)).fetchone() if t in found else None for t in TABLES}


def click_stop_while_it_runs(page, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not page.locator("a:has-text('Stop run')").count():
        assert time.monotonic() < deadline, "the run never showed as running"
        assert not page.locator(".run-heading .run-success").count(), "finished before Stop"
        time.sleep(0.2)
        page.reload()
    page.click("a:has-text('Stop run')")
    assert "Nothing is left half-written" in page.inner_text("#content-main")  # asked first
    page.click("input[value='Yes, stop it']")
    page.wait_for_selector(".messagelist")
    assert "will stop at its next safe point" in page.inner_text(".messagelist")


def wait_until_cancelled(page, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not page.locator(".run-heading .run-cancelled").count():
        assert time.monotonic() < deadline, page.inner_text("#content")
        time.sleep(1)
        page.reload()


def test_an_operator_stops_a_running_sync_and_nothing_is_left_half_written(
    live_server, entity, operator, data_dir, monkeypatch
):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    standard_workbook(source_workbook("IONS", 2026))
    with running_worker(data_dir), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        log_in(page, live_server.url)
        launch(page, live_server.url, "launch_sync")  # lands on the new run's page
        click_stop_while_it_runs(page)
        wait_until_cancelled(page)
        shoot(page, "run-stopped.png")
        said = page.inner_text(".run-outcome")  # where it was: in dbt, or between stages
        assert re.search(r"Stopped by olga (during \w+|before \w+ started)\.", said), said
        browser.close()
    run = PipelineRun.objects.get(parent__isnull=True)
    assert run.status == "cancelled" and run.stop_requested_by == "olga"
    assert not PipelineRun.objects.filter(status__in=("queued", "running")).exists()
    stopped = slices()
    run_sync("IONS", 2026)  # the same workbook, to the end
    synced = slices()
    for table, state in stopped.items():  # each table: as before (nothing) or whole
        assert state in (None, (0, None), synced[table]), table
