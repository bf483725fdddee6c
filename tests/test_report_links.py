"""Stable report addresses and kept builds (docs/reports.md, "Stable addresses and earlier
builds"): `/reports/<ENTITY>/<FILE>` is always the latest build, each build stays readable at
`/reports/<ENTITY>/builds/<id>/<FILE>`, only report viewers get either, and no crafted address
reaches any other file. Reports are built from the shared warehouse by the real command."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from pipeline_ops.admin.display import local_time
from pipeline_ops.models import Entity, PipelineRun, Report, ReportBuild
from pipeline_ops.pipeline.reports.links import build_path, stable_path
from tests.warehouse_fixtures import more_cancelled_february_orders

pytestmark = pytest.mark.django_db

HTML = "/reports/IONS/IONS-2026-02.html"
SECRET = "not for anyone's eyes"
FIRST_HASH, SECOND_HASH = "a1" * 32, "b2" * 32


def extracted(entity: Entity, workbook_hash: str) -> PipelineRun:
    """The Django record of a sync's extract: the workbook a later report comes from."""
    now = timezone.now()
    return PipelineRun.objects.create(
        entity=entity, year=2026, stage="extract", status="success", started_at=now,
        completed_at=now, source_file_hash=workbook_hash,
    )  # fmt: skip


def build_report(month: int = 2) -> Report:
    call_command("report", "--entity", "IONS", "--year", "2026", "--month", str(month), "--force")
    return Report.objects.get(stem=f"IONS-2026-{month:02d}")


def body(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.fixture
def built(warehouse, entity, data_dir) -> Report:
    """IONS 2026-02 built once; a file outside the reports folder to aim attacks at."""
    (data_dir / "secret.txt").write_text(SECRET)
    extracted(entity, FIRST_HASH)
    return build_report()


@pytest.fixture
def rebuilt(built, warehouse, entity) -> Report:
    """Built again after the numbers changed and a new workbook was extracted."""
    more_cancelled_february_orders(warehouse)
    extracted(entity, SECOND_HASH)
    return build_report()


@pytest.fixture
def viewing(client, built, viewer) -> Client:
    """A report viewer's client, which does get the real address (so a 404 below is the
    attack's, not a broken fixture's)."""
    client.force_login(viewer)
    assert client.get(HTML).status_code == 200
    return client


def refused(client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 404, url
    content = body(response) if response.streaming else response.content
    assert SECRET.encode() not in content


# ---- the stable address and the builds ------------------------------------------------


def test_the_stable_address_serves_the_latest_build_after_a_rebuild(client, built, viewer, request):
    client.force_login(viewer)
    json_url = stable_path("IONS", "IONS-2026-02", "json")
    before = json.loads(body(client.get(json_url)))
    change_page = reverse("admin:pipeline_ops_report_change", args=[built.pk])
    rebuilt = request.getfixturevalue("rebuilt")
    after = json.loads(body(client.get(json_url)))
    assert after["orders"]["total"] > before["orders"]["total"]
    assert rebuilt.pk == built.pk and Report.objects.count() == 1
    assert client.get(change_page).status_code == 200


def test_the_report_page_lists_both_builds_newest_first_with_run_and_workbook(
    rebuilt, viewer, client
):
    client.force_login(viewer)
    html = client.get(reverse("admin:pipeline_ops_report_change", args=[rebuilt.pk])).content
    html = html.decode()
    newest, oldest = ReportBuild.objects.order_by("-id")
    for build, full_hash in ((newest, SECOND_HASH), (oldest, FIRST_HASH)):
        run = reverse("admin:pipeline_ops_pipelinerun_change", args=[build.run_id])
        assert f'<a href="{run}">run {build.run_id}</a>' in html
        assert f'<code title="{full_hash}">{full_hash[:12]}</code>' in html
        assert str(local_time(build.generated_at)) in html
        assert build_path("IONS", build.pk, "IONS-2026-02", "xlsx") in html
    assert html.index(SECOND_HASH) < html.index(FIRST_HASH)
    assert 'name="_save"' not in html and "deletelink" not in html  # history is read-only


def test_each_build_still_serves_its_own_files_after_a_rebuild(rebuilt, viewer, client):
    client.force_login(viewer)
    newest, oldest = ReportBuild.objects.order_by("-id")
    totals = []
    for build in (oldest, newest):
        response = client.get(build_path("IONS", build.pk, "IONS-2026-02", "json"))
        assert response.status_code == 200
        totals.append(json.loads(body(response))["orders"]["total"])
        html = client.get(build_path("IONS", build.pk, "IONS-2026-02", "html"))
        assert body(html) == Path(build.html_path).read_bytes()
    assert totals[1] > totals[0]
    latest = json.loads(body(client.get(stable_path("IONS", "IONS-2026-02", "json"))))
    assert latest["orders"]["total"] == totals[1]


def test_the_report_list_links_the_stable_addresses_and_counts_builds(rebuilt, viewer, client):
    client.force_login(viewer)
    html = client.get(reverse("admin:pipeline_ops_report_changelist")).content.decode()
    for ext in ("html", "json", "xlsx"):
        assert f'href="/reports/IONS/IONS-2026-02.{ext}"' in html
    assert '<td class="field-build_count">2</td>' in html
    assert str(local_time(Report.objects.get().updated)) in html


def test_the_run_page_links_the_report_to_its_stable_address(built, admin_client):
    page = admin_client.get(reverse("admin:pipeline_ops_pipelinerun_change", args=[built.run_id]))
    assert (
        f'<a href="{HTML}" target="_blank">report IONS 2026-02 (monthly)</a>'
        in page.content.decode()
    )


def test_the_old_admin_download_address_serves_the_latest_build(rebuilt, viewer, client):
    client.force_login(viewer)
    old = reverse("admin:pipeline_ops_report_download", args=[rebuilt.pk, "json"])
    assert body(client.get(old)) == Path(rebuilt.json_path).read_bytes()


def test_a_unit_report_is_served_at_its_own_address(viewing, built):
    folder = Path(built.json_path).parent
    shutil.copy(built.html_path, folder / "IONS-2026-02-TM.html")
    Report.objects.create(
        entity=built.entity, year=2026, month_start=2, month_end=2, type="monthly",
        label="2026-02", unit="TM", stem="IONS-2026-02-TM",
        json_path=str(folder / "IONS-2026-02-TM.json"),
        html_path=str(folder / "IONS-2026-02-TM.html"),
    )  # fmt: skip
    assert viewing.get("/reports/IONS/IONS-2026-02-TM.html").status_code == 200
    refused(viewing, "/reports/IONS/IONS-2026-02-TM.json")  # no such file was written


# ---- who may read ------------------------------------------------------------------------


def test_an_anonymous_visitor_is_sent_to_the_admin_login_and_back(client, built):
    for url in (HTML, build_path("IONS", ReportBuild.objects.get().pk, "IONS-2026-02")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('admin:login')}?next={url}"


def test_staff_without_view_report_get_403(client, built):
    client.force_login(User.objects.create_user("sam", password="pw", is_staff=True))
    assert client.get(HTML).status_code == 403
    assert (
        client.get(build_path("IONS", ReportBuild.objects.get().pk, "IONS-2026-02")).status_code
        == 403
    )


def test_a_report_viewer_gets_the_html_inline_under_the_sandbox_policy(viewing, built):
    response = viewing.get(HTML)
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert response["Content-Disposition"].startswith("inline")
    policy = response["Content-Security-Policy"]
    assert "sandbox" in policy and "script-src 'none'" in policy
    assert body(response) == Path(built.html_path).read_bytes()


def test_the_json_is_inline_as_application_json(viewing):
    response = viewing.get("/reports/IONS/IONS-2026-02.json")
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith("inline")
    assert json.loads(body(response))["entity"] == "IONS"


def test_the_xlsx_is_an_attachment(viewing):
    response = viewing.get("/reports/IONS/IONS-2026-02.xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Content-Disposition"] == 'attachment; filename="IONS-2026-02.xlsx"'
    assert body(response)[:2] == b"PK"


# ---- crafted addresses: each one a 404, never another file --------------------------------


def test_dot_dot_is_404(viewing):
    for url in ("/reports/IONS/..", "/reports/IONS/../secret.txt", "/reports/../secret.txt",
                "/reports/IONS/../../secret.txt", "/reports/../IONS-2026-02.html"):  # fmt: skip
        refused(viewing, url)


def test_percent_encoded_dot_dot_slash_is_404(viewing):
    for url in ("/reports/IONS/%2e%2e%2fsecret.txt", "/reports/%2e%2e/secret.txt",
                "/reports/IONS/%2e%2e%2f%2e%2e%2fsecret.txt",
                "/reports/IONS/%252e%252e%252fsecret.txt"):  # fmt: skip
        refused(viewing, url)


def test_encoded_slashes_are_404(viewing):
    for url in ("/reports/IONS/..%2F..%2Fsecret.txt", "/reports/IONS/IONS-2026-02.html%2F..",
                "/reports/IONS/..%5C..%5Csecret.txt", "/reports/IONS/%2Fsecret.txt"):  # fmt: skip
        refused(viewing, url)


def test_absolute_paths_are_404(viewing, data_dir):
    secret = str(data_dir / "secret.txt")
    for url in (f"/reports/IONS/{secret}", f"/reports/IONS//{secret}", "/reports/IONS//etc/passwd",
                "/reports//etc/passwd", f"/reports/IONS/{secret.replace('/', '%2F')}"):  # fmt: skip
        refused(viewing, url)


def test_another_entitys_stem_is_404(viewing):
    Entity.objects.create(code="OTHER", name="Other")
    build = ReportBuild.objects.get()
    refused(viewing, "/reports/OTHER/IONS-2026-02.html")
    refused(viewing, build_path("OTHER", build.pk, "IONS-2026-02"))
    refused(viewing, "/reports/ions/IONS-2026-02.html")


def test_a_build_under_another_reports_name_is_404(viewing):
    build = ReportBuild.objects.get()
    build_report(month=1)
    assert viewing.get("/reports/IONS/IONS-2026-01.html").status_code == 200
    refused(viewing, build_path("IONS", build.pk, "IONS-2026-01"))
    refused(viewing, build_path("IONS", build.pk + 1000, "IONS-2026-02"))


def test_an_unknown_extension_is_404(viewing):
    for name in ("IONS-2026-02.txt", "IONS-2026-02.HTML", "IONS-2026-02.json.bak",
                 "IONS-2026-02", "IONS-2026-02.", "IONS-2026-02.preview"):  # fmt: skip
        refused(viewing, f"/reports/IONS/{name}")


def test_a_symlink_out_of_the_reports_folder_is_404(viewing, built, data_dir):
    latest = Path(built.html_path)
    latest.unlink()
    latest.symlink_to(data_dir / "secret.txt")
    refused(viewing, HTML)
    kept = Path(ReportBuild.objects.get().json_path)
    kept.unlink()
    kept.symlink_to(data_dir / "secret.txt")
    refused(viewing, build_path("IONS", ReportBuild.objects.get().pk, "IONS-2026-02", "json"))


def test_nul_bytes_are_404(viewing):
    for url in ("/reports/IONS/IONS-2026-02.html%00", "/reports/IONS/IONS-2026-02%00.html",
                "/reports/IONS/IONS-2026-02.html%00.txt",
                "/reports/IO%00NS/IONS-2026-02.html"):  # fmt: skip
        refused(viewing, url)


def test_over_long_names_are_404(viewing):
    for url in (f"/reports/IONS/IONS-2026-02{'-X' * 40}.html", f"/reports/IONS/{'A' * 5000}.json",
                f"/reports/{'I' * 300}/IONS-2026-02.html",
                f"/reports/IONS/builds/{'9' * 40}/IONS-2026-02.html"):  # fmt: skip
        refused(viewing, url)


def test_a_report_row_pointing_outside_the_reports_folder_is_404(viewing, built, data_dir):
    Report.objects.filter(pk=built.pk).update(html_path=str(data_dir / "secret.txt"))
    refused(viewing, HTML)
