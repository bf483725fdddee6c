"""The staff console in real headless Chromium (docs/admin.md): a failed sync on the board
and the banner, cancelling a queued run, a yearly report and a chain launched from the admin,
each run page linking to what it made. A real django-q2 worker runs what must run.

ATLAS_SCREENSHOTS=docs/img refreshes docs/admin.md's screenshots from these tests, each at
desktop width (1280 px) and on a phone (390 px, `*-phone.png`); every phone view is checked
to fit the screen without scrolling sideways.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from django_q.models import Task

from pipeline_ops.models import PipelineRun, Report
from pipeline_ops.pipeline.paths import source_workbook
from pipeline_ops.pipeline.runs.launch import Work, create_queued_run, execute
from tests.browser_fixtures import DESKTOP
from tests.test_browser import launch_chain, shoot, watch_run_page
from tests.workbooks import build_workbook, standard_orders
from tests.worker import running_worker

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

PHONE = {"width": 390, "height": 844}
BAD_PROGRAM = "XX-GONE"  # not in REFERENSI: an unknown_program error in March
# Elements whose content is wider than they are: cut off (overflow hidden or clip) or left
# to scroll sideways, which on a phone reads as cut off too. Only the board's table scrolls
# sideways on purpose (its entity column stays in view); 1 px "visually hidden" labels are
# meant to be clipped.
CUT_OFF = """() => [...document.querySelectorAll('body *')].filter(e =>
    getComputedStyle(e).overflowX !== 'visible' && !e.classList.contains('board-scroll')
    && e.clientWidth > 1 && e.scrollWidth > e.clientWidth + 1
).map(e => `${e.tagName.toLowerCase()}#${e.id}.${[...e.classList].join('.')}`)"""


def shoot_both(page, name: str, part: str = "") -> None:
    """`name.png` at desktop width, `name-phone.png` at 390 px, which must not overflow;
    of the whole page, or only of the element `part` names."""
    snap = (lambda file: shoot_part(page, part, file)) if part else (lambda f: shoot(page, f))
    snap(f"{name}.png")
    page.set_viewport_size(PHONE)
    page.reload()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide on a 390 px phone"
    assert page.evaluate(CUT_OFF) == [], f"{page.url} cuts content off on a phone"
    snap(f"{name}-phone.png")
    page.set_viewport_size(DESKTOP)
    page.reload()


def shoot_part(page, selector: str, name: str) -> None:
    folder = os.environ.get("ATLAS_SCREENSHOTS")
    if folder:
        page.locator(selector).screenshot(path=str(Path(folder) / name))


def workbook_with_an_error_in_march() -> None:
    months = standard_orders()
    months[3][2] |= {"program": BAD_PROGRAM}
    build_workbook(source_workbook("IONS", 2026), months=months,
                   title_rows=[["Penjualan IONS 2026"], []])  # fmt: skip


def open_report_form(page, base: str) -> None:
    page.goto(f"{base}/admin/pipeline_ops/entity/")
    page.check("input[name=_selected_action]")
    page.select_option("select[name=action]", "launch_report")
    page.click("button[name=index]")
    page.wait_for_selector(".launch-form")


def launch_report_form(page, base: str, report_type: str) -> None:
    open_report_form(page, base)
    page.fill("#id_year", "2026")
    page.select_option("#id_report_type", report_type)


def queued_run_page(page) -> PipelineRun:
    """After Queue: the new run's page, its run still queued (no worker has it yet)."""
    page.click("input[value=Queue]")
    page.wait_for_selector(".run-heading")
    run = PipelineRun.objects.get(pk=int(page.url.rstrip("/").split("/")[-2]))
    assert "queued" in page.inner_text(".messagelist")
    return run


def wait_for_the_worker_to_take(task_id: str, timeout: float = 120) -> None:
    """Until django-q2 has saved the task's result (it ran, whatever it did)."""
    deadline = time.monotonic() + timeout
    while not Task.objects.filter(id=task_id).exists():
        assert time.monotonic() < deadline, f"no worker took task {task_id}"
        time.sleep(0.5)


def test_a_sync_blocked_in_march_turns_march_red_on_the_board_under_the_banner(
    page, live_server, entity, operator
):
    workbook_with_an_error_in_march()
    run = create_queued_run(Work("sync", "IONS", 2026), user=operator, trigger="admin")
    execute(run.pk)  # the worker's own entry point, in this process: no queue needed
    run.refresh_from_db()
    assert run.status == "failed", run.error_message
    page.goto(f"{live_server.url}/admin/?year=2026")
    banner = page.inner_text(".pipeline-banner")
    # A blocked month is not a failure to clear: it shows as blocked, and nothing else.
    assert "0 open failures" in banner and "1 blocked month" in banner
    march = page.locator(".freshness-board tbody tr").first.locator("td").nth(2)
    assert "fresh-blocked" in march.get_attribute("class")
    assert BAD_PROGRAM in march.locator("a").first.get_attribute("title")
    shoot_both(page, "index")
    shoot_both(page, "board", part=".freshness-board")
    march.locator(f"a[href$='/pipelinerun/{run.pk}/change/']").click()
    page.wait_for_selector(".run-error")
    error = page.inner_text(".run-error")
    assert BAD_PROGRAM in error and "Fix the cells its validation issues name" in error
    shoot_both(page, "run-failed")


def test_a_queued_run_cancelled_from_its_page_never_starts(page, live_server, entity, data_dir):
    launch_report_form(page, live_server.url, "yearly")
    run = queued_run_page(page)
    page.click("button.run-control-cancel")
    page.wait_for_selector(".run-heading .run-cancelled")
    assert f"Run {run.pk} cancelled: it will not start." in page.inner_text(".messagelist")
    assert page.locator("button.run-control-rerun").count() == 1
    with running_worker(data_dir):
        wait_for_the_worker_to_take(run.task_id)
    run.refresh_from_db()
    assert (run.status, run.started_at, run.pid) == ("cancelled", None, None)
    assert not run.children.exists() and not Report.objects.exists()


def test_a_yearly_report_launched_from_the_admin_form_runs_and_its_page_links_the_report(
    page, live_server, warehouse, data_dir
):
    open_report_form(page, live_server.url)
    shoot_both(page, "launch-form")  # reloading re-posts the action: the form again
    launch_report_form(page, live_server.url, "yearly")
    with running_worker(data_dir):
        run = queued_run_page(page)
        watch_run_page(page, page.url)
    run.refresh_from_db()
    assert (run.stage, run.month, run.options.get("report_type")) == ("report", None, "yearly")
    report = Report.objects.get(type="yearly")
    page.click(f".run-produced a[href$='/report/{report.pk}/change/']")
    assert "2026" in page.inner_text("#content")


def test_the_page_of_a_chain_launched_from_the_admin_links_the_report_it_made(
    page, live_server, entity, data_dir
):
    build_workbook(source_workbook("IONS", 2026), months=standard_orders())
    with running_worker(data_dir):
        launch_chain(page, live_server.url)
        run = PipelineRun.objects.get(parent__isnull=True)
        watch_run_page(page, f"{live_server.url}/admin/pipeline_ops/pipelinerun/{run.pk}/change/")
    report = Report.objects.get(run__parent=run)
    link = page.locator(f".run-produced a[href$='/reports/IONS/{report.stem}.html']")
    assert "IONS" in link.inner_text()
    with page.context.expect_page() as opened:  # the report, at its stable address
        link.click()
    opened.value.wait_for_load_state()
    assert "IONS revenue report" in opened.value.inner_text("body")
