"""Each person sees and acts on their own entities, in real headless Chromium (issue #25;
docs/admin.md "Who sees what").

Two entities, ALPHA7 and BRAVO9, each with a failed sync, a validation issue, a report with
its files and a kept build, a workbook version and an order diff; BRAVO9's February is
blocked and its failure open. Ann operates ALPHA7 only. She uploads, previews and accepts a
revised ALPHA7 workbook (a real django-q2 worker previews it and runs the sync), then walks
every page a person would open and finds no trace of BRAVO9; a superuser, on the same pages,
finds it (so the walk would see a leak). Then a superuser grants and revokes BRAVO9 on its
entity page's Memberships inline, and Ann's pages follow.

Every BRAVO9 thing carries "bravo" (code, name, workbook file name), so one word finds any
trace. ATLAS_SCREENSHOTS=docs/img refreshes docs/img/memberships-inline.png.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import sync_playwright

from pipeline_ops.models import Membership, MonthState, ReportBuild, WorkbookVersion
from pipeline_ops.pipeline.paths import source_workbook
from pipeline_ops.pipeline.runs.notify import OPERATORS_GROUP
from tests.conftest import staff_in
from tests.security.test_admin_pages_sweep import _pipeline_rows
from tests.test_browser import CHROMIUM_ARGS, log_in
from tests.test_intake_browser import revised_workbook
from tests.workbooks import standard_workbook
from tests.worker import running_worker

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]
A, B = "ALPHA7", "BRAVO9"
TRACE = "bravo"  # in B's code, name and file names, in any case
WORKER_MS = 180_000  # a preview, then an accept, on a cold worker
LISTS = ("entity", "pipelinerun", "report", "workbookversion", "validationissue",
         "workbookchange")  # fmt: skip
SEARCHED = ("entity", "pipelinerun", "workbookversion", "validationissue", "workbookchange")


@pytest.fixture
def world(data_dir) -> dict[str, dict]:
    """Both entities' rows (tests/security/test_admin_pages_sweep.py), with B named so every
    trace of it says "bravo", a kept build of each report and B's month blocked and failed."""
    rows = {}
    for code, name in ((A, "Alpha Seven"), (B, "Bravo Nine")):
        found = _pipeline_rows(data_dir, code)
        entity = found["pipeline_ops.entity"]
        entity.name = name
        entity.save()
        version = found["pipeline_ops.workbookversion"]
        version.original_name, version.status = f"{name} 2026.xlsx", "rejected"  # decided
        version.save()
        report = found["pipeline_ops.report"]
        found["build"] = ReportBuild.objects.create(
            report=report, run=report.run, generated_at=timezone.now(),
            json_path=report.json_path, html_path=report.html_path,
        )  # fmt: skip
        rows[code] = found
    run = rows[B]["pipeline_ops.pipelinerun"]
    MonthState.objects.create(entity=run.entity, year=2026, month=2, has_data=True,
                              level="extract", blocked_errors=1, blocked_cell="FEB!C7",
                              failure_run=run, failure_clears="a sync of February")  # fmt: skip
    return rows


@pytest.fixture
def ann(world) -> User:
    """An operator (the group's permissions) of ALPHA7 only (her membership)."""
    user = staff_in(OPERATORS_GROUP, "ann", entities=None)
    Membership.objects.create(user=user, entity=world[A]["pipeline_ops.entity"], role="operator")
    return user


@pytest.fixture
def chromium(live_server, monkeypatch) -> Iterator:
    # Playwright's sync API runs an event loop in this thread; the ORM reads here are safe.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def signed_in(browser, base: str, username: str):
    """A page of its own browser context (its own session cookie), signed in."""
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    log_in(page, base, username)
    return page


def no_trace(text: str, where: str) -> None:
    assert TRACE not in text.lower(), f"{where} shows a trace of {B}"


def report_address(world: dict, code: str, build: bool = False) -> str:
    report = world[code]["pipeline_ops.report"]
    kept = f"builds/{world[code]['build'].pk}/" if build else ""
    return f"/reports/{code}/{kept}{report.stem}.html"


def walk(world: dict) -> list[str]:
    """The pages a person opens: the board, each list, with its filters' counts and with
    child stages, and (below) a search for B's code."""
    lists = [f"/admin/pipeline_ops/{name}/" for name in LISTS]
    return [
        "/admin/?year=2026",
        *lists,
        *(f"{url}?_facets=True" for url in lists),
        "/admin/pipeline_ops/pipelinerun/?level=all",
    ]


def upload_and_accept(page, base: str, entity_pk: int, path: Path) -> None:
    """Her entity's Upload workbook button, the preview the worker makes, Accept, and the
    sync it queued until it succeeds; none of those pages names B."""
    page.goto(f"{base}/admin/pipeline_ops/entity/{entity_pk}/change/")
    page.click("text=Upload workbook")
    page.fill("#id_year", "2026")
    page.set_input_files("#id_file", str(path))
    page.click("input[value='Upload and preview']")
    page.wait_for_selector(".intake-heading .intake-previewed", timeout=WORKER_MS)
    counts = page.inner_text("#intake-counts")
    assert "+1 added" in counts and "−1 removed" in counts and "3 changed" in counts, counts
    no_trace(page.content(), "the preview")
    page.click("button[value=accept]")
    page.wait_for_selector(".intake-heading .intake-accepted", timeout=WORKER_MS)
    page.click("#intake-sync a")
    # The run page reloads itself while the run is active: wait for the outcome it shows.
    page.wait_for_selector(".run-heading :is(.run-success, .run-failed)", timeout=WORKER_MS)
    assert page.locator(".run-heading .run-success").count(), page.inner_text("#content")
    no_trace(page.content(), "the sync's run page")


def walk_as_ann(page, base: str, world: dict) -> None:
    for url in walk(world):
        response = page.goto(base + url)
        assert response.status == 200, url
        html = page.content()
        no_trace(html, url)
        assert A in html, f"{url} does not show her own {A}"  # the page is not just empty
    assert "0 open failures" in page.goto(base + "/admin/").text()  # B's is not hers
    for name in SEARCHED:
        page.goto(f"{base}/admin/pipeline_ops/{name}/?q={B}")
        text = page.inner_text("body")  # the search box itself holds what she typed
        assert "0 results" in text, name
        no_trace(text, f"a search of {name}")
        if name == "entity":  # and the count beside it is of hers alone
            assert "(1 total)" in page.inner_text("#changelist-search")
    for url in (
        report_address(world, B),
        report_address(world, B, build=True),
        f"/admin/pipeline_ops/entity/{world[B]['pipeline_ops.entity'].pk}/change/",
    ):
        response = page.goto(base + url)
        assert response.status == 404, url
        no_trace(page.content(), url)
    assert page.goto(base + report_address(world, A)).status == 200  # her own report


def superuser_sees_b(client, world: dict) -> None:
    """The same pages name B to whoever may see it: the walk above would find a leak."""
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw"))
    for url in walk(world):
        assert B in client.get(url).content.decode(), url
    assert B in client.get(f"/admin/pipeline_ops/entity/?q={B}").content.decode()
    assert client.get(report_address(world, B)).status_code == 200


def test_an_operator_of_a_uploads_and_accepts_for_a_and_finds_no_trace_of_b(
    live_server, chromium, world, ann, client, data_dir, tmp_path
):
    standard_workbook(source_workbook(A, 2026))
    revised = tmp_path / f"{A} 2026 revised.xlsx"
    revised_workbook(revised)
    base = live_server.url
    with running_worker(data_dir):
        page = signed_in(chromium, base, "ann")
        upload_and_accept(page, base, world[A]["pipeline_ops.entity"].pk, revised)
    walk_as_ann(page, base, world)
    version = WorkbookVersion.objects.get(original_name=revised.name)
    assert (version.entity.code, version.status, version.decided_by) == (A, "accepted", ann)
    assert version.sync_run.status == "success"
    superuser_sees_b(client, world)


def shoot_inline(page) -> None:
    folder = os.environ.get("ATLAS_SCREENSHOTS")
    if folder:
        page.locator("#memberships-group").screenshot(
            path=str(Path(folder) / "memberships-inline.png")
        )


def save_entity(page) -> None:
    page.click("input[name=_continue]")  # Save and continue editing
    assert "changed successfully" in page.inner_text(".messagelist")


def test_a_superuser_grants_b_on_its_page_and_the_member_sees_it_until_revoked(
    live_server, chromium, world, ann
):
    base, b = live_server.url, world[B]["pipeline_ops.entity"]
    root = User.objects.create_superuser("root", "root@example.com", "pw")
    admin, member = signed_in(chromium, base, root.username), signed_in(chromium, base, "ann")
    stable = base + report_address(world, B)
    assert member.goto(stable).status == 404

    admin.goto(f"{base}/admin/pipeline_ops/entity/{b.pk}/change/")
    admin.click("#memberships-group >> text=Add another Membership")
    admin.select_option("select[name='memberships-0-user']", label="ann")
    admin.select_option("select[name='memberships-0-role']", "viewer")
    save_entity(admin)
    shoot_inline(admin)
    assert Membership.objects.filter(user=ann, entity=b, role="viewer").exists()

    assert member.goto(stable).status == 200
    member.goto(f"{base}/admin/?year=2026")
    assert B in member.inner_text(".freshness-board")
    assert "1 blocked month" in member.inner_text(".pipeline-banner")
    member.goto(f"{base}/admin/pipeline_ops/entity/{b.pk}/change/")
    assert member.locator("text=Upload workbook").count() == 0  # she views B, not operates it

    admin.reload()
    admin.check("input[name='memberships-0-DELETE']")
    save_entity(admin)
    assert not Membership.objects.filter(user=ann, entity=b).exists()
    assert member.goto(stable).status == 404
    member.goto(f"{base}/admin/?year=2026")
    no_trace(member.content(), "the board after the revoke")
