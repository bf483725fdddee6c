"""Content-Security-Policy on the admin and on report previews, checked in real Chromium.

The admin and a real report (built from the session warehouse) must render with no CSP
refusal in the console; a script smuggled into a report preview must not run.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from playwright.sync_api import sync_playwright

from pipeline_ops.models import Entity, PipelineRun, Report
from pipeline_ops.pipeline.period import MonthRange
from pipeline_ops.pipeline.stages.report import run_report
from tests.test_browser import CHROMIUM_ARGS, log_in

SMUGGLED = """<!DOCTYPE html><html><head><title>IONS report</title>
<style>h1 { color: rgb(31, 58, 95); }</style></head>
<body><h1 id="title">Revenue</h1><script>document.title = "pwned";</script>
<img src=x onerror="document.title='pwned'"></body></html>"""


def preview_url(report: Report) -> str:
    return f"/admin/pipeline_ops/report/{report.pk}/download/preview/"


def smuggled_report(entity: Entity, data_dir: Path) -> Report:
    folder = data_dir / "reports" / entity.code
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "IONS-2026-02.html").write_text(SMUGGLED)
    return Report.objects.create(
        entity=entity, year=2026, month_start=2, month_end=2, type="monthly", label="2026-02",
        html_path=str(folder / "IONS-2026-02.html"),
    )  # fmt: skip


def finished_run(entity: Entity) -> PipelineRun:
    now = timezone.now()
    return PipelineRun.objects.create(
        entity=entity, year=2026, month=1, month_end=3, stage="report", status="success",
        started_at=now, completed_at=now,
    )  # fmt: skip


def directives(header: str) -> dict[str, str]:
    parts = (part.strip().split(" ", 1) for part in header.split(";"))
    return {p[0]: p[1] if len(p) > 1 else "" for p in parts}


@pytest.mark.django_db
def test_the_admin_and_a_report_preview_carry_a_policy_that_forbids_inline_script(
    admin_user, entity, data_dir
):
    client = Client()
    client.force_login(admin_user)
    admin = directives(client.get("/admin/")["Content-Security-Policy"])
    assert admin["script-src"] == "'self'" and admin["default-src"] == "'self'"
    assert admin["object-src"] == "'none'" and admin["frame-ancestors"] == "'none'"
    assert (admin["base-uri"], admin["form-action"]) == ("'self'", "'self'")
    response = client.get(preview_url(smuggled_report(entity, data_dir)))
    assert response.status_code == 200 and b"Revenue" in b"".join(response.streaming_content)
    preview = directives(response["Content-Security-Policy"])
    assert preview["script-src"] == "'none'" and "sandbox" in preview
    assert preview["style-src"] == "'self' 'unsafe-inline'"


def refusals(messages: list[str]) -> list[str]:
    """Console lines Chromium writes when the policy (or its sandbox) blocks something."""
    signs = ("Refused to", "Content Security Policy", "Blocked script execution")
    return [m for m in messages if any(sign in m for sign in signs)]


@pytest.fixture
def chromium(live_server, monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the ORM reads here are safe.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    User.objects.create_superuser("boss", "boss@example.com", "pw")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.console_messages = []
        page.on("console", lambda msg: page.console_messages.append(msg.text))
        log_in(page, live_server.url, "boss")
        yield page
        browser.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_admin_and_a_real_report_preview_render_under_the_policy(
    chromium, live_server, warehouse, entity
):
    page, base = chromium, live_server.url
    page.goto(f"{base}/admin/")
    assert page.locator(".freshness-board").is_visible()
    run = finished_run(entity)
    page.goto(f"{base}/admin/pipeline_ops/pipelinerun/{run.pk}/change/")
    assert page.locator(".run-heading .run-success").is_visible()
    assert page.locator(".progress-strip").count() == 1
    run_report("IONS", 2026, MonthRange(1, 3), report_type="quarterly", force=True)
    page.goto(base + preview_url(Report.objects.get()))
    assert page.locator("#revenue-actual").is_visible()
    # The report's own <style> applied: its heading has the brand colour, not the default.
    assert page.eval_on_selector("header h1", "e => getComputedStyle(e).color") == (
        "rgb(31, 58, 95)"
    )
    assert refusals(page.console_messages) == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_script_smuggled_into_a_report_preview_never_runs(
    chromium, live_server, entity, data_dir
):
    page = chromium
    page.goto(live_server.url + preview_url(smuggled_report(entity, data_dir)))
    page.wait_for_selector("#title")
    assert page.title() == "IONS report"
    assert page.eval_on_selector("#title", "e => getComputedStyle(e).color") == "rgb(31, 58, 95)"
    # Chromium says why: both the <script> and the onerror handler were blocked.
    assert len(refusals(page.console_messages)) == 2, page.console_messages
