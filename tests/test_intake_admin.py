"""Workbook intake in the admin (docs/intake.md): upload, the preview page, the order diff,
accept / reject / restore, downloads and who may do what. Previews and accepts run in-process
through the same task functions the worker runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.files import File
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from django_q.signals import pre_enqueue

from pipeline_ops.models import PipelineRun, WorkbookChange, WorkbookVersion
from pipeline_ops.pipeline.intake import versions
from pipeline_ops.tasks import intake_accept, intake_preview
from tests.workbooks import Layout, build_workbook, order, standard_orders

pytestmark = pytest.mark.django_db
Status = WorkbookVersion.Status
PREVIEW_TASK, ACCEPT_TASK = "pipeline_ops.tasks.intake_preview", "pipeline_ops.tasks.intake_accept"


@pytest.fixture
def queued() -> list[dict]:
    """Every django-q2 task queued while the test runs (whatever the broker is)."""
    tasks: list[dict] = []

    def keep(sender, task, **_):
        tasks.append(task)

    pre_enqueue.connect(keep, dispatch_uid="intake-admin-test")
    yield tasks
    pre_enqueue.disconnect(dispatch_uid="intake-admin-test")


def changed_workbook(path: Path) -> Layout:
    """The standard workbook with FEB's first price lowered (a change and a price_mismatch
    warning), an order with an unknown program added to FEB (an error) and MAR's second
    order removed."""
    months = standard_orders()
    months[2][0] = months[2][0] | {"price": 1_400_000, "paid": 1_400_000}
    months[2].append(order(invoice="NEW-1", program="XX"))
    del months[3][1]
    return build_workbook(path, months=months, title_rows=[["Penjualan IONS 2026"], []])


def upload_url(entity) -> str:
    return reverse("admin:pipeline_ops_entity_upload", args=[entity.pk])


def page_url(version: WorkbookVersion) -> str:
    return reverse("admin:pipeline_ops_workbookversion_change", args=[version.pk])


def decide_url(version: WorkbookVersion) -> str:
    return reverse("admin:pipeline_ops_workbookversion_decide", args=[version.pk])


def upload(client, entity, path: Path, name: str | None = None, year: int = 2026):
    file = SimpleUploadedFile(name or path.name, path.read_bytes())
    return client.post(upload_url(entity), {"year": year, "file": file})


@pytest.fixture
def offered(client, entity, operator, standard_source, tmp_path) -> tuple[WorkbookVersion, Layout]:
    """A changed workbook uploaded by the operator and previewed (as the worker would)."""
    layout = changed_workbook(tmp_path / "IONS 2026 revised.xlsx")
    client.force_login(operator)
    upload(client, entity, tmp_path / "IONS 2026 revised.xlsx")
    version = WorkbookVersion.objects.get(original_name="IONS 2026 revised.xlsx")
    assert intake_preview(version.pk) == Status.PREVIEWED
    version.refresh_from_db()
    return version, layout


def test_an_operator_uploads_a_workbook_which_is_stored_and_queued_for_preview(
    client, entity, operator, queued, tmp_path
):
    changed_workbook(tmp_path / "new.xlsx")
    client.force_login(operator)
    response = upload(client, entity, tmp_path / "new.xlsx")
    version = WorkbookVersion.objects.get()
    assert response.status_code == 302 and response["Location"] == page_url(version)
    assert (version.status, version.year, version.uploaded_by) == (Status.QUEUED, 2026, operator)
    assert version.upload.read() == (tmp_path / "new.xlsx").read_bytes()
    assert [(t["func"], t["args"]) for t in queued] == [(PREVIEW_TASK, (version.pk,))]
    page = client.get(page_url(version)).content.decode()
    assert "Previewing…" in page and 'http-equiv="refresh"' in page
    assert intake_preview(version.pk) == Status.PREVIEWED


def test_the_preview_page_shows_the_month_summary_and_the_issues_with_cell_addresses(
    client, offered
):
    version, layout = offered
    page = client.get(page_url(version)).content.decode()
    assert 'http-equiv="refresh"' not in page
    assert "1 error" in page and "1 warning" in page and "+1 added" in page
    assert f"<code>{layout.cell(2, 10, 'Kode Program')}</code>" in page  # FEB!F14, unknown
    assert f"<code>{layout.cell(2, 0, 'Harga')}</code>" in page  # FEB!H4, price mismatch
    assert "Kode Program &#x27;XX&#x27; is not in REFERENSI" in page
    assert "Rp 13.500.000 → Rp 14.900.000" in page and "+Rp 1.400.000" in page  # Feb revenue
    assert "Feb stays blocked" in page
    assert f"?version__id__exact={version.pk}&amp;month=2" in page or (
        f"?version__id__exact={version.pk}&month=2" in page
    )


def test_the_order_diff_shows_each_change_and_filters_by_month_and_kind(client, offered):
    version, _ = offered
    diff = reverse("admin:pipeline_ops_workbookchange_changelist")
    page = client.get(f"{diff}?version__id__exact={version.pk}").content.decode()
    assert "Order diff: IONS 2026, IONS 2026 revised.xlsx" in page
    assert '<code>price</code>: <span class="diff-old">Rp 1.500.000</span> → Rp 1.400.000' in page
    assert "NEW-1" in page and "INV-2026-03001" in page
    february = client.get(f"{diff}?version__id__exact={version.pk}&month=2").content.decode()
    assert "NEW-1" in february and "INV-2026-03001" not in february
    removed = client.get(f"{diff}?version__id__exact={version.pk}&kind__exact=removed")
    assert "INV-2026-03001" in removed.content.decode()
    assert "NEW-1" not in removed.content.decode()


def test_a_diff_longer_than_the_kept_changes_says_only_the_first_are_listed(
    client, entity, operator, standard_source, tmp_path, monkeypatch
):
    monkeypatch.setattr("pipeline_ops.pipeline.intake.preview.KEPT_CHANGES", 2)
    changed_workbook(tmp_path / "new.xlsx")
    client.force_login(operator)
    upload(client, entity, tmp_path / "new.xlsx")
    version = WorkbookVersion.objects.get(original_name="new.xlsx")
    intake_preview(version.pk)
    diff = reverse("admin:pipeline_ops_workbookchange_changelist")
    page = client.get(f"{diff}?version__id__exact={version.pk}").content.decode()
    assert "<strong>The first 2 are listed</strong>" in page and "2 workbook changes" in page


def test_accepting_a_workbook_with_errors_needs_the_checkbox(client, offered, queued):
    version, _ = offered
    response = client.post(decide_url(version), {"decision": "accept", "queue_sync": "on"},
                           follow=True)  # fmt: skip
    assert "1 validation error(s)" in response.content.decode()
    version.refresh_from_db()
    assert version.status == Status.PREVIEWED and not queued
    client.post(decide_url(version), {"decision": "accept", "with_errors": "on",
                                      "queue_sync": "on"})  # fmt: skip
    version.refresh_from_db()
    assert version.status == Status.ACCEPTING
    assert [(t["func"], t["args"]) for t in queued] == [(ACCEPT_TASK, (version.pk, True))]


def test_an_accepted_workbook_replaces_the_source_and_its_page_links_the_sync_it_queued(
    client, offered, data_dir, tmp_path
):
    version, _ = offered
    client.post(decide_url(version), {"decision": "accept", "with_errors": "on",
                                      "queue_sync": "on"})  # fmt: skip
    assert intake_accept(version.pk, True) == Status.ACCEPTED
    source = data_dir / "sources" / "IONS" / "IONS-2026.xlsx"
    assert source.read_bytes() == (tmp_path / "IONS 2026 revised.xlsx").read_bytes()
    run = PipelineRun.objects.get(stage="sync")
    assert (run.status, run.month, run.month_end, run.trigger) == ("queued", 2, 3, "intake")
    page = client.get(page_url(version)).content.decode()
    assert "the current IONS 2026 workbook" in page
    assert reverse("admin:pipeline_ops_pipelinerun_change", args=[run.pk]) in page
    assert 'http-equiv="refresh"' in page  # until the sync is finished
    superseded = WorkbookVersion.objects.get(original_name="IONS-2026.xlsx")
    assert superseded.status == Status.SUPERSEDED and superseded.by == "file system"


def test_rejecting_marks_the_version_rejected_and_deletes_its_stored_file(client, offered):
    version, _ = offered
    stored = Path(version.upload.path)
    response = client.post(decide_url(version), {"decision": "reject"}, follow=True)
    assert "Rejected 1 workbook" in response.content.decode()
    version.refresh_from_db()
    assert version.status == Status.REJECTED and not stored.exists()
    changelist = client.get(reverse("admin:pipeline_ops_workbookversion_changelist"))
    assert changelist.status_code == 200


def test_restoring_a_superseded_version_uploads_it_again_for_preview(client, offered, queued):
    version, _ = offered
    old = WorkbookVersion.objects.get(original_name="IONS-2026.xlsx")  # the adopted one
    client.post(decide_url(version), {"decision": "accept", "with_errors": "on"})
    intake_accept(version.pk, False)
    response = client.post(decide_url(old), {"decision": "restore"})
    copy = WorkbookVersion.objects.latest("id")
    assert response["Location"] == page_url(copy)
    assert (copy.status, copy.sha256, copy.upload.name) == ("queued", old.sha256, old.upload.name)
    assert queued[-1]["args"] == (copy.pk,)
    changelist = reverse("admin:pipeline_ops_workbookversion_changelist")
    data = {"action": "restore_versions", "_selected_action": [old.pk, copy.pk]}
    response = client.post(changelist, data, follow=True)
    assert "Restored 1 version(s)" in response.content.decode()
    assert "1 skipped" in response.content.decode()


def test_a_file_over_the_size_limit_is_refused_with_a_field_error(
    client, entity, operator, settings, tmp_path
):
    changed_workbook(tmp_path / "big.xlsx")
    settings.WORKBOOK_MAX_BYTES = 1000
    client.force_login(operator)
    response = upload(client, entity, tmp_path / "big.xlsx")
    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [
        "big.xlsx is larger than 1000\xa0bytes, the most a workbook may be (WORKBOOK_MAX_BYTES)."
    ]
    assert not WorkbookVersion.objects.exists()


@pytest.mark.parametrize("name", ["orders.csv", "IONS-2026.xls", "IONS-2026.xlsm", "xlsx"])
def test_a_file_that_is_not_an_xlsx_workbook_is_refused_with_a_field_error(
    client, entity, operator, tmp_path, name
):
    changed_workbook(tmp_path / "new.xlsx")
    client.force_login(operator)
    response = upload(client, entity, tmp_path / "new.xlsx", name=name)
    assert response.status_code == 200
    (error,) = response.context["form"].errors["file"]
    assert error.startswith(f"{name} is not an .xlsx workbook")
    assert not WorkbookVersion.objects.exists()


def test_an_upload_without_the_csrf_token_is_refused(entity, operator, tmp_path):
    changed_workbook(tmp_path / "new.xlsx")
    client = Client(enforce_csrf_checks=True)
    client.force_login(operator)
    assert upload(client, entity, tmp_path / "new.xlsx").status_code == 403
    assert not WorkbookVersion.objects.exists()


def test_a_preview_that_cannot_read_the_file_shows_why_in_a_red_box(
    client, entity, operator, tmp_path
):
    (tmp_path / "broken.xlsx").write_bytes(b"not a zip at all")
    client.force_login(operator)
    upload(client, entity, tmp_path / "broken.xlsx")
    version = WorkbookVersion.objects.get()
    assert intake_preview(version.pk) == Status.FAILED
    version.refresh_from_db()
    assert version.error
    page = client.get(page_url(version)).content.decode()
    assert f'<div class="intake-error" id="intake-error">{escape(version.error)}</div>' in page
    assert 'id="intake-decision"' not in page and 'http-equiv="refresh"' not in page


def test_a_viewer_sees_versions_and_downloads_them_but_cannot_upload_or_decide(
    client, offered, viewer, tmp_path
):
    version, _ = offered
    client.force_login(viewer)
    entity_page = reverse("admin:pipeline_ops_entity_change", args=[version.entity_id])
    assert "Upload workbook" not in client.get(entity_page).content.decode()
    entities = client.get(reverse("admin:pipeline_ops_entity_changelist")).content.decode()
    assert "upload_workbook" not in entities
    assert upload(client, version.entity, tmp_path / "IONS 2026 revised.xlsx").status_code == 403
    page = client.get(page_url(version)).content.decode()
    assert "FEB!F14" in page and 'id="intake-decision"' not in page
    assert "Waiting for an operator" in page
    for decision in ("accept", "reject", "restore"):
        response = client.post(decide_url(version), {"decision": decision, "with_errors": "on"})
        assert response.status_code == 403
    versions = client.get(reverse("admin:pipeline_ops_workbookversion_changelist")).content.decode()
    assert "restore_versions" not in versions
    assert "1 error</span><br><small>+1 −1 · 1 changed</small>" in versions
    download = client.get(reverse("admin:pipeline_ops_workbookversion_download", args=[version.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == version.upload.read()
    assert WorkbookVersion.objects.get(pk=version.pk).status == Status.PREVIEWED


def test_a_download_is_an_attachment_with_a_safe_name(client, entity, operator, tmp_path):
    changed_workbook(tmp_path / "new.xlsx")
    name = '../IONS "final";\r\n 2026.xlsx'  # as a command-line offer could name it
    with open(tmp_path / "new.xlsx", "rb") as handle:
        version = versions.store(entity, 2026, File(handle), name)
    client.force_login(operator)
    response = client.get(reverse("admin:pipeline_ops_workbookversion_download", args=[version.pk]))
    filename = response["Content-Disposition"].removeprefix("attachment; filename=")
    assert re.fullmatch(rf'"v{version.pk}-IONS_final[\w-]*_2026\.xlsx"', filename), filename
    assert b"".join(response.streaming_content) == (tmp_path / "new.xlsx").read_bytes()


def test_the_upload_action_opens_the_form_for_one_entity_only(client, entity, operator):
    client.force_login(operator)
    changelist = reverse("admin:pipeline_ops_entity_changelist")
    data = {"action": "upload_workbook", "_selected_action": [entity.pk]}
    response = client.post(changelist, data)
    assert response["Location"] == upload_url(entity)
    form = client.get(upload_url(entity)).content.decode()
    assert 'enctype="multipart/form-data"' in form and 'accept=".xlsx"' in form
    entity_page = reverse("admin:pipeline_ops_entity_change", args=[entity.pk])
    assert upload_url(entity) in client.get(entity_page).content.decode()


def test_the_decide_url_takes_only_a_post(client, offered):
    version, _ = offered
    assert client.get(decide_url(version)).status_code == 405


def test_every_intake_page_renders_for_a_superuser_and_sends_strangers_to_log_in(
    offered, admin_user
):
    version, _ = offered
    change = WorkbookChange.objects.filter(version=version).first()
    urls = [
        reverse("admin:pipeline_ops_workbookversion_changelist"),
        reverse("admin:pipeline_ops_workbookversion_changelist") + "?decision=errors",
        reverse("admin:pipeline_ops_workbookversion_changelist") + "?decision=open",
        page_url(version),
        page_url(WorkbookVersion.objects.get(original_name="IONS-2026.xlsx")),
        reverse("admin:pipeline_ops_workbookversion_history", args=[version.pk]),
        reverse("admin:pipeline_ops_workbookchange_changelist"),
        reverse("admin:pipeline_ops_workbookchange_change", args=[change.pk]),
        upload_url(version.entity),
        reverse("admin:pipeline_ops_workbookversion_download", args=[version.pk]),
    ]
    anonymous, boss = Client(), Client()
    boss.force_login(admin_user)
    with_errors = boss.get(urls[1]).content.decode()
    assert "IONS 2026 revised.xlsx" in with_errors and "IONS-2026.xlsx" not in with_errors
    current = boss.get(urls[0] + "?decision=current").content.decode()
    assert "IONS 2026 revised.xlsx" not in current and "IONS-2026.xlsx" in current
    for url in urls:
        assert boss.get(url).status_code == 200, url
        response = anonymous.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("admin:login")), url
