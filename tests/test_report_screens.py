"""Demo reports in a real headless Chromium (Playwright driving Debian chromium): served by
the admin's preview view with its Content-Security-Policy, the charts are drawn; printed,
the page is A4 and charts and tables keep together.

Set ATLAS_SCREENSHOTS=docs/img to refresh docs/img/report-monthly.png and
report-yearly.png from the full demo data (1,500 orders a month); without it a smaller
demo keeps the test quick.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import sync_playwright

from pipeline_ops.models import Report
from tests.test_browser import CHROMIUM_ARGS, shoot
from tests.warehouse_fixtures import manage

pytestmark = [pytest.mark.django_db, pytest.mark.browser]
ORIGIN = "https://atlas.test"  # never fetched: Playwright answers it from the test
CHARTS = {"IONS-2026-02": ["daily", "programs"], "IONS-2026": ["months", "collection", "programs"]}
SHOTS = {"IONS-2026-02": "report-monthly.png", "IONS-2026": "report-yearly.png"}


@pytest.fixture
def demo_reports(data_dir: Path, entity) -> dict[str, Path]:
    """`seed --demo`, `sync` of both years and a monthly and a yearly `report`, each a real
    subprocess on the data dir's own database; returns the HTML files by stem."""
    rows = "1500" if os.environ.get("ATLAS_SCREENSHOTS") else "150"
    manage(data_dir, "migrate", "--noinput", "-v", "0", private_db=True)
    manage(data_dir, "seed", "--entity", "IONS", "--demo", "--rows-per-month", rows,
           private_db=True)  # fmt: skip
    for year in ("2025", "2026"):
        manage(data_dir, "sync", "--entity", "IONS", "--year", year, private_db=True)
    manage(data_dir, "report", "--entity", "IONS", "--year", "2026", "--month", "2",
           private_db=True)  # fmt: skip
    manage(data_dir, "report", "--entity", "IONS", "--year", "2026", "--type", "yearly",
           private_db=True)  # fmt: skip
    return {stem: data_dir / "reports" / "IONS" / f"{stem}.html" for stem in CHARTS}


def preview(client, entity, path: Path) -> tuple[bytes, str]:
    """The bytes and CSP header the admin's preview link serves for this file."""
    row = Report.objects.create(
        entity=entity, year=2026, month_start=1, month_end=1, type="monthly", label="x",
        stem=path.stem, json_path=str(path.with_suffix(".json")), html_path=str(path),
    )  # fmt: skip
    preview = reverse("admin:pipeline_ops_report_download", args=[row.pk, "preview"])
    response = client.get(preview, follow=True)  # the HTML at its stable address
    assert response.status_code == 200
    return b"".join(response.streaming_content), response["Content-Security-Policy"]


def test_demo_reports_draw_their_charts_under_the_preview_policy_and_print_on_a4(
    demo_reports, client, viewer, entity
):
    client.force_login(viewer)
    # Through the view before the browser starts: inside Playwright's event loop Django
    # would open a second SQLite connection and wait on this test's open transaction.
    served = {stem: preview(client, entity, path) for stem, path in demo_reports.items()}
    complaints: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 1600})
        page.on("console", lambda m: m.type == "error" and complaints.append(m.text))
        page.on("request", lambda r: r.url.startswith(ORIGIN) or complaints.append(r.url))
        for stem, (body, policy) in served.items():
            assert "sandbox" in policy and "script-src 'none'" in policy
            open_served(page, f"{ORIGIN}/{stem}.html", body, policy)
            for chart in CHARTS[stem]:
                box = page.locator(f"#chart-{chart}").bounding_box()
                assert box and box["height"] > 150 and box["width"] > 600, (stem, chart, box)
                assert page.locator(f"#chart-{chart} rect[data-value]").count() >= 1
            shoot(page, SHOTS[stem])
            assert_prints_whole_on_a4(page)
            assert_fits_a_phone(page)
        browser.close()
    assert complaints == []  # no CSP violation, no request leaving the file


def open_served(page, url: str, body: bytes, policy: str) -> None:
    headers = {"content-type": "text/html; charset=utf-8", "content-security-policy": policy}
    page.route(url, lambda route: route.fulfill(body=body, headers=headers))
    page.goto(url)


def assert_fits_a_phone(page) -> None:
    """Opened on a phone (from its e-mail): the page never scrolls sideways; wide tables and
    charts scroll inside themselves, and the charts keep a readable width."""
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    widths = page.eval_on_selector_all("figure.chart svg", "els => els.map(e => e.clientWidth)")
    assert widths and min(widths) >= 560, widths
    page.set_viewport_size({"width": 1200, "height": 1600})


def assert_prints_whole_on_a4(page) -> None:
    page.emulate_media(media="print")
    avoid = page.eval_on_selector_all(
        "figure.chart, table", "els => els.map(e => getComputedStyle(e).breakInside)"
    )
    assert avoid and set(avoid) == {"avoid"}, avoid
    pdf = page.pdf(prefer_css_page_size=True)
    boxes = re.findall(rb"/MediaBox\s*\[([^\]]*)\]", pdf)
    # A4 is 595 × 842 points; without the stylesheet's @page size Chromium prints Letter.
    assert boxes and {tuple(round(float(v)) for v in b.split()) for b in boxes} == {
        (0, 0, 595, 842)
    }, boxes
    page.emulate_media(media="screen")
