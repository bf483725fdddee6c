"""The month-state record as a person sees it, in real headless Chromium: a new operator
opens the admin index after real runs (`sync`, `publish`, `report`, here in the test
process) and reads the banner, the board and a yearly report that withholds a blocked
month (docs/pipeline.md "One truth for a month's state", docs/admin.md, docs/reports.md
"Withheld months").

ATLAS_SCREENSHOTS=docs/img saves the board (board-month-state.png) and the top of the
yearly report (report-withheld.png), each at 1280 px and on a 390 px phone (`*-phone.png`);
every phone view is checked to fit the screen without scrolling sideways.
"""

from __future__ import annotations

import os
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from playwright.sync_api import expect

from tests.test_console_browser import CUT_OFF, DESKTOP, PHONE
from tests.workbooks import Layout, build_workbook, standard_orders

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]
SEEN = 10_000  # ms: how long a page may take to show what the runs left (polled)
# Elements a report lets scroll sideways inside themselves on a phone, on purpose
# (templates/reports/report.html: wide tables and charts); nothing else may be cut off.
REPORT_CUT_OFF = CUT_OFF.replace(
    "!e.classList.contains('board-scroll')",
    "!e.matches('table, figure.chart')",
)


def workbook(path: Path, months: dict[int, list[dict]]) -> Layout:
    return build_workbook(path, months=months, title_rows=[["Penjualan IONS 2026"], []])


def run(command: str, *flags: str) -> None:
    """`manage.py <command> --entity IONS --year 2026 <flags>`, as an operator would."""
    call_command(command, "--entity", "IONS", "--year", "2026", *flags,
                 stdout=StringIO(), stderr=StringIO())  # fmt: skip


def fits_a_phone(page, cut_off: str = CUT_OFF) -> None:
    """At 390 px the page never scrolls sideways and cuts nothing off (it stays at 390)."""
    page.set_viewport_size(PHONE)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide on a 390 px phone"
    assert page.evaluate(cut_off) == [], f"{page.url} cuts content off on a phone"


def shoot(page, name: str, *, part: str = "", top_of: str = "") -> None:
    """Save `name` under ATLAS_SCREENSHOTS: the element `part`, or the page from its top to
    the bottom of the element `top_of`."""
    folder = os.environ.get("ATLAS_SCREENSHOTS")
    if not folder:
        return
    path = str(Path(folder) / name)
    if part:
        page.locator(part).screenshot(path=path)
    else:
        box = page.locator(top_of).bounding_box()
        width = page.viewport_size["width"]
        page.screenshot(path=path, clip={"x": 0, "y": 0, "width": width,
                                         "height": box["y"] + box["height"] + 16})  # fmt: skip


@pytest.fixture
def source(entity, data_dir) -> Path:
    return data_dir / "sources" / "IONS" / "IONS-2026.xlsx"


def test_a_blocked_february_and_a_changed_march_read_the_same_on_board_banner_and_report(
    source, page, live_server
):
    months = standard_orders()
    workbook(source, months)
    run("sync")
    run("publish", "--month", "1-3")
    run("report", "--month", "2")
    run("report", "--month", "2", "--unit", "TM")
    run("report", "--type", "quarterly", "--month", "1-3")

    # A new version: one March student renamed (a TM order), one February student left
    # blank (order 2, a DR order): an error that blocks February.
    months[3][0] = {**months[3][0], "student": "Rina Kusuma"}
    months[2][2] = {**months[2][2], "student": None}
    first = workbook(source, months).cell(2, 2, "Nama Siswa")  # FEB!D6
    with pytest.raises(CommandError, match=f"blocking Feb .1 error.s.; first: {first} "):
        run("sync")
    run("report", "--type", "yearly")  # built without February

    base = live_server.url
    page.goto(f"{base}/admin/?year=2026")
    banner = page.locator(".pipeline-banner")
    expect(banner).to_contain_text("1 blocked month", timeout=SEEN)
    expect(banner).to_contain_text("0 open failures")  # blocked is not a failure
    row = page.locator(".freshness-board tbody tr").filter(has_text="IONS")
    jan, feb, mar, reports = (row.locator("td").nth(i) for i in (0, 1, 2, 12))

    expect(jan).to_have_text("reported")
    expect(jan).not_to_have_class(re.compile(r"\bfresh-stale\b"))
    # February: blocked, its one error as the tooltip, its reports as details under it.
    expect(feb).to_have_class("fresh fresh-blocked")
    blocked = feb.locator("a").first
    expect(blocked).to_have_text("blocked ✖")
    expect(blocked).to_have_attribute(
        "title", f"Blocked by 1 validation error; first: {first} blank_student: Nama Siswa is blank"
    )
    expect(feb.locator("a.fresh-failure")).to_have_text("1 error")  # the run that found it
    # March: transformed by the failed sync and reported by the yearly report, but the ops
    # DB and Q1 were made before its rows changed.
    expect(mar).to_have_class("fresh fresh-report fresh-stale")
    expect(mar).to_have_text("reported ⚠")
    expect(mar.locator("a")).to_have_attribute(
        "title",
        "reported. Stale: the month's data changed after the ops DB and the report"
        " IONS-2026-Q1 were made",
    )
    # The Reports column (by file stem): 2026 built without February, Q1 stale (February
    # and March changed after it).
    expect(reports.locator(".fresh-mark")).to_have_text(["2026 ✔", "Q1 ⚠"])
    expect(reports.locator(".mark-stale")).to_have_attribute("title", "IONS-2026-Q1: stale")
    expect(reports.locator(".mark-built")).to_have_attribute(
        "title", "IONS-2026: built; withheld: Feb"
    )
    shoot(page, "board-month-state.png", part=".freshness-board")
    fits_a_phone(page)
    shoot(page, "board-month-state-phone.png", part=".freshness-board")
    page.set_viewport_size(DESKTOP)

    # The yearly report at its stable address: the notice first, above every figure.
    page.goto(f"{base}/reports/IONS/IONS-2026.html")
    notice = page.locator("#withheld")
    expect(notice).to_contain_text("Not every month is in this report.", timeout=SEEN)
    expect(notice.locator("li")).to_have_text(
        [f"February is withheld: its sheet has 1 error, first at {first}."]
    )
    under_title = page.evaluate("document.querySelector('header').nextElementSibling.id")
    assert under_title == "withheld", "the withheld notice is not first under the title"
    expect(page.locator("header p")).to_contain_text("months 1, 3")
    shoot(page, "report-withheld.png", top_of="#headline")
    fits_a_phone(page, REPORT_CUT_OFF)
    shoot(page, "report-withheld-phone.png", top_of="#withheld")
    page.set_viewport_size(DESKTOP)

    # February's own reports, details under its word (docs/admin.md): the change was in a
    # DR row, so the TM report still holds; the entity's February report was made from rows
    # that changed since. Today a blocked cell closes its <td> before its marks, so the
    # browser puts them above the table: expected to fail until the template is fixed.
    page.goto(f"{base}/admin/?year=2026")
    expect(banner).to_contain_text("1 blocked month", timeout=SEEN)
    # A blocked month's report marks are inside its cell, never strays above the table.
    expect(page.locator(".board-scroll > .fresh-mark")).to_have_count(0)
    expect(feb.locator(".fresh-mark")).to_have_text(["report ⚠", "TM ✔"])
    expect(feb.locator(".mark-built")).to_have_attribute("title", "IONS-2026-02-TM: built")
    expect(feb.locator(".mark-stale")).to_have_attribute("title", "IONS-2026-02: stale")
