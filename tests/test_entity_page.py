"""An entity's page (docs/admin.md, "An entity's page"), outcome first: its board row, latest
workbook versions and launched runs, and the buttons each role may press; who may not change
entities reads it as a view. Real rows, through the admin with each role's permissions."""

from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from pipeline_ops.models import MonthState, PipelineRun, WorkbookVersion
from tests.test_browser import CHROMIUM_ARGS, log_in
from tests.test_console_browser import CUT_OFF

YEAR = timezone.localdate().year  # the page shows this year's row unless asked
WHEN = timezone.make_aware(datetime(YEAR, 12, 6, 23, 54))  # TIME_ZONE: Asia/Jakarta
LAUNCHES = ("launch_sync", "launch_publish", "launch_report")


@pytest.fixture
def rows(entity, operator) -> dict:
    """A previewed version, a failed sync (with a stage) and a published month."""
    version = WorkbookVersion.objects.create(
        entity=entity, year=YEAR, sha256="a" * 64, original_name="IONS 2026.xlsx",
        status="previewed", uploaded_by=operator,
    )  # fmt: skip
    WorkbookVersion.objects.filter(pk=version.pk).update(uploaded_at=WHEN)
    sync = PipelineRun.objects.create(
        entity=entity, year=YEAR, month=2, month_end=3, stage="sync", status="failed",
        started_at=WHEN, trigger="admin", triggered_by=operator, error_message="boom",
    )  # fmt: skip
    child = PipelineRun.objects.create(entity=entity, year=YEAR, month=2, stage="validate",
                                       status="failed", parent=sync)  # fmt: skip
    MonthState.objects.create(entity=entity, year=YEAR, month=1, has_data=True,
                              level="publish", published_at=WHEN)  # fmt: skip
    return {"version": version, "sync": sync, "child": child}


def page_of(client, user, entity, query: str = "") -> str:
    client.force_login(user)
    response = client.get(reverse("admin:pipeline_ops_entity_change", args=[entity.pk]) + query)
    assert response.status_code == 200
    return response.content.decode()


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


def title(page: str) -> str:
    return re.search(r"<h1>(.*?)</h1>", page).group(1)


def test_an_operator_sees_the_outcome_first_and_every_button(client, entity, operator, rows):
    page = page_of(client, operator, entity)
    outcome = page[: page.index('id="entity_form"')]  # above the record
    assert title(page) == "IONS" and "Change entity" not in page
    assert f"<h2>Freshness {YEAR}" in outcome and 'class="fresh fresh-publish' in outcome  # Jan
    version_url = reverse("admin:pipeline_ops_workbookversion_change", args=[rows["version"].pk])
    assert f'href="{version_url}">v{rows["version"].pk} IONS 2026.xlsx</a>' in outcome
    assert "previewed" in outcome and "olga" in outcome
    sync_url = reverse("admin:pipeline_ops_pipelinerun_change", args=[rows["sync"].pk])
    assert f'href="{sync_url}"' in outcome
    assert f"{YEAR}-12-06 23:54 WIB" in text(outcome)
    assert "Feb–Mar" in outcome and "admin (olga)" in outcome
    child_url = reverse("admin:pipeline_ops_pipelinerun_change", args=[rows["child"].pk])
    assert f'href="{child_url}"' not in outcome  # launched runs only
    for action in LAUNCHES:
        assert f'name="action" value="{action}"' in outcome
    assert "Upload workbook…" in outcome and "Sync…" in outcome


def test_an_operator_saves_only_subscriptions_and_each_field_shows_once(client, entity, operator):
    page = page_of(client, operator, entity)
    assert page.count("Source dir") == 1 and "ID:" not in page
    assert 'value="Save subscriptions"' in page
    assert 'name="_save"' not in page and "Save and continue editing" not in page


def test_a_viewer_reads_the_page_and_can_press_nothing(client, entity, viewer, rows):
    page = page_of(client, viewer, entity)
    assert title(page) == "IONS" and "View entity" not in page
    assert f"<h2>Freshness {YEAR}" in page and "IONS 2026.xlsx" in page
    assert f"{YEAR}-12-06 23:54 WIB" in text(page)
    assert 'id="entity-buttons"' not in page and "Upload workbook" not in page
    content = page[page.index('id="content-main"') :]  # the header's Log out is a button
    assert 'type="submit"' not in content and page.count("Source dir") == 1


def test_a_viewers_posted_launch_is_refused(client, entity, viewer):
    """The buttons' target is the Entities list's action: without the launch permission
    the action does not exist for that user, so nothing is queued."""
    client.force_login(viewer)
    data = {"action": "launch_sync", "_selected_action": [entity.pk]}
    client.post(reverse("admin:pipeline_ops_entity_changelist"), data)
    assert not PipelineRun.objects.exists()


def test_the_sync_button_opens_the_launch_form_for_this_entity(client, entity, operator):
    client.force_login(operator)
    data = {"action": "launch_sync", "_selected_action": [entity.pk]}
    form = client.post(reverse("admin:pipeline_ops_entity_changelist"), data).content.decode()
    assert "launch-form" in form and "<strong>IONS</strong>" in form
    assert not PipelineRun.objects.exists()  # only the form: Queue is the next click


def test_a_superuser_still_edits_the_entity(admin_client, entity, rows):
    page = admin_client.get(reverse("admin:pipeline_ops_entity_change", args=[entity.pk]))
    page = page.content.decode()
    assert title(page) == "Change entity" and 'name="_save"' in page
    assert 'name="source_dir"' in page and page.count("Source dir") == 1
    assert 'id="entity-buttons"' in page and "IONS 2026.xlsx" in page


def test_the_row_follows_the_year_asked_and_an_inactive_entity_says_so(
    client, entity, operator, rows
):
    page = page_of(client, operator, entity, f"?year={YEAR - 1}")
    assert f"<h2>Freshness {YEAR - 1}" in page and 'class="fresh fresh-publish' not in page
    entity.active = False
    entity.save()
    assert "IONS is inactive: it has no row on the board." in page_of(client, operator, entity)


def test_an_entity_with_no_history_says_so(client, entity, operator):
    page = page_of(client, operator, entity)
    assert "No workbook uploaded yet." in page and "Nothing launched yet." in page


def fits(page, width: int, name: str) -> None:
    """At `width` px the page scrolls down only, cuts nothing off; ATLAS_SCREENSHOTS=dir
    keeps a picture (docs/img/entity-page*.png)."""
    page.set_viewport_size({"width": width, "height": 900})
    page.reload()
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= width, f"{page.url} is {wide} px wide at {width} px"
    assert page.evaluate(CUT_OFF) == [], f"{page.url} cuts content off at {width} px"
    if folder := os.environ.get("ATLAS_SCREENSHOTS"):
        page.screenshot(path=str(Path(folder) / name), full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_operator_opens_the_page_on_desktop_and_phone_and_syncs_from_it(
    live_server, entity, operator, rows, monkeypatch
):
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop, this thread
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        log_in(page, live_server.url)
        page.goto(f"{live_server.url}/admin/pipeline_ops/entity/{entity.pk}/change/")
        assert page.inner_text("h1") == "IONS"
        fits(page, 1440, "entity-page.png")
        fits(page, 390, "entity-page-phone.png")
        page.click("#entity-buttons button:text-is('Sync…')")
        page.wait_for_selector(".launch-form")
        assert "Queue Sync" in page.inner_text("#content-main")
        assert page.is_visible("input[value=Queue]")
        browser.close()
    assert PipelineRun.objects.count() == 2  # the rows' sync and its stage: nothing queued


def test_cancel_on_the_launch_form_returns_to_the_entity_page_it_came_from(
    client, entity, operator
):
    client.force_login(operator)
    page = reverse("admin:pipeline_ops_entity_change", args=[entity.pk])
    data = {"action": "launch_sync", "_selected_action": [entity.pk], "return_to": page}
    form = client.post(reverse("admin:pipeline_ops_entity_changelist"), data).content.decode()
    assert f'href="{page}" class="closelink">Cancel' in form


def test_cancel_never_leads_off_the_site_whatever_return_to_says(client, entity, operator):
    client.force_login(operator)
    data = {"action": "launch_sync", "_selected_action": [entity.pk],
            "return_to": "https://evil.example/admin/"}  # fmt: skip
    form = client.post(reverse("admin:pipeline_ops_entity_changelist"), data).content.decode()
    assert "evil.example" not in form
