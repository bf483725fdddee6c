from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from pipeline_ops.models import DimensionCache, Entity, PipelineRun, Report, ValidationIssue
from pipeline_ops.pipeline.period import MonthRange
from pipeline_ops.pipeline.runs.launch import AlreadyActive, Work, create_queued_run, execute

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(entity, data_dir):
    now = timezone.now()
    parent = PipelineRun.objects.create(
        entity=entity, year=2026, month=2, month_end=2, stage="sync", status="success",
        started_at=now, completed_at=now, options={"then": ["publish"]},
    )  # fmt: skip
    for stage in ("extract", "load", "validate", "transform"):
        PipelineRun.objects.create(
            entity=entity, year=2026, month=2, month_end=2, stage=stage, status="success",
            started_at=now, completed_at=now, parent=parent, row_count=10,
        )  # fmt: skip
    ValidationIssue.objects.create(
        entity=entity, year=2026, month=2, sheet="FEB", cell="FEB!C7", rule="unknown_program",
        severity="error", message="Unknown program", value="XX", run=parent,
    )  # fmt: skip
    folder = data_dir / "reports" / "IONS"
    folder.mkdir(parents=True)
    for ext in ("json", "html", "xlsx"):
        (folder / f"IONS-2026-02.{ext}").write_text(f"{ext} body")
    Report.objects.create(
        entity=entity, year=2026, month_start=2, month_end=2, type="monthly", label="2026-02",
        json_path=str(folder / "IONS-2026-02.json"), html_path=str(folder / "IONS-2026-02.html"),
        xlsx_path=str(folder / "IONS-2026-02.xlsx"), run=parent,
    )  # fmt: skip
    (data_dir / "secret.txt").write_text("not for download")
    DimensionCache.objects.create(entity=entity, kind="person", key="budi santoso", ops_id=1)
    return parent


def admin_urls(parent: PipelineRun) -> list[str]:
    urls = [reverse("admin:index"), "/admin/?year=2025"]
    for model in ("entity", "pipelinerun", "validationissue", "report", "dimensioncache"):
        urls.append(reverse(f"admin:pipeline_ops_{model}_changelist"))
    urls += [
        reverse("admin:pipeline_ops_pipelinerun_change", args=[parent.pk]),
        reverse("admin:pipeline_ops_pipelinerun_progress", args=[parent.pk]),
        reverse("admin:pipeline_ops_entity_change", args=[parent.entity_id]),
        reverse("admin:pipeline_ops_validationissue_change", args=[ValidationIssue.objects.get().pk]),  # noqa: E501
        reverse("admin:django_q_schedule_changelist"),
        reverse("admin:pipeline_ops_pipelinerun_changelist") + "?state=active",
    ]  # fmt: skip
    return urls


def test_every_admin_page_renders_for_a_superuser(client, history, admin_user):
    client.force_login(admin_user)
    for url in admin_urls(history):
        assert client.get(url).status_code == 200, url


def test_the_run_page_shows_the_progress_strip_of_its_chain(client, history, admin_user):
    client.force_login(admin_user)
    page = client.get(reverse("admin:pipeline_ops_pipelinerun_change", args=[history.pk]))
    html = page.content.decode()
    for stage in ("extract", "load", "validate", "transform", "publish"):
        assert f'<div class="step-name">{stage}</div>' in html
    assert "step-skipped" in html  # publish never ran, and the run is finished
    assert 'http-equiv="refresh"' not in html


def test_an_active_run_page_refreshes_itself(client, entity, admin_user):
    run = PipelineRun.objects.create(entity=entity, year=2026, stage="sync", status="running")
    client.force_login(admin_user)
    page = client.get(reverse("admin:pipeline_ops_pipelinerun_change", args=[run.pk]))
    assert 'http-equiv="refresh"' in page.content.decode()


def test_anonymous_users_are_sent_to_the_login_page(client, history):
    report = Report.objects.get()
    urls = [
        *admin_urls(history),
        reverse("admin:pipeline_ops_report_download", args=[report.pk, "html"]),
        reverse("admin:pipeline_ops_report_file", args=["IONS/IONS-2026-02.json"]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("admin:login")), url


def test_a_viewer_can_download_every_report_file(client, history, viewer):
    client.force_login(viewer)
    report = Report.objects.get()
    for kind in ("json", "html", "xlsx", "preview"):
        response = client.get(reverse("admin:pipeline_ops_report_download", args=[report.pk, kind]))
        assert response.status_code == 200
        expected = "html" if kind == "preview" else kind
        assert b"".join(response.streaming_content) == f"{expected} body".encode()


@pytest.mark.parametrize(
    "relpath", ["../secret.txt", "IONS/../../secret.txt", "..%2Fsecret.txt", "/etc/passwd"]
)
def test_a_crafted_path_never_reaches_another_file(client, history, viewer, relpath):
    client.force_login(viewer)
    url = reverse("admin:pipeline_ops_report_file", args=["x"]).removesuffix("x") + relpath
    assert client.get(url).status_code == 404


def test_a_report_row_pointing_outside_the_reports_folder_is_not_served(client, history, viewer):
    client.force_login(viewer)
    report = Report.objects.get()
    Report.objects.filter(pk=report.pk).update(json_path=str(history.entity_id) + "/../../x")
    url = reverse("admin:pipeline_ops_report_download", args=[report.pk, "json"])
    assert client.get(url).status_code == 404
    assert client.get(url.replace("/json/", "/exe/")).status_code == 404


def launch(client, action: str, entity: Entity, **fields):
    data = {"action": action, "_selected_action": [entity.pk], "apply": "1", **fields}
    return client.post(reverse("admin:pipeline_ops_entity_changelist"), data, follow=True)


def test_an_operator_queues_a_sync_which_appears_at_once_as_queued(client, entity, operator):
    client.force_login(operator)
    response = launch(client, "launch_sync", entity, year=2026, month="2", report_type="monthly")
    run = PipelineRun.objects.get()
    assert (run.stage, run.status, run.triggered_by, run.month) == ("sync", "queued", operator, 2)
    assert run.task_id
    assert "queued 1 run" in response.content.decode()


def test_launching_the_same_work_twice_is_refused(client, entity, operator):
    client.force_login(operator)
    launch(client, "launch_sync", entity, year=2026, month="2", report_type="monthly")
    response = launch(client, "launch_sync", entity, year=2026, month="2", report_type="monthly")
    assert PipelineRun.objects.count() == 1
    assert "already queued" in response.content.decode()
    with pytest.raises(AlreadyActive):
        create_queued_run(Work("sync", "IONS", 2026, MonthRange(2, 2)))


def test_the_launch_form_rejects_a_reversed_range_under_the_to_month(client, entity, operator):
    client.force_login(operator)
    response = launch(client, "launch_publish", entity, year=2026, month="3", month_end="1")
    assert "is before the first month" in response.context["form"].errors["month_end"][0]
    assert not PipelineRun.objects.exists()


def test_a_quarterly_report_needs_a_calendar_quarter(client, entity, operator):
    client.force_login(operator)
    response = launch(
        client, "launch_report", entity, year=2026, month="2", report_type="quarterly"
    )
    assert "covers 1-3, 4-6, 7-9 or 10-12" in response.context["form"].errors["month"][0]
    assert not PipelineRun.objects.exists()


def test_a_viewer_cannot_launch(client, entity, viewer):
    client.force_login(viewer)
    response = launch(client, "launch_sync", entity, year=2026, month="2", report_type="monthly")
    assert not PipelineRun.objects.exists()
    assert response.status_code in (200, 403)
    page = client.get(reverse("admin:pipeline_ops_entity_changelist")).content.decode()
    assert "launch_sync" not in page


def test_a_failed_admin_run_mails_the_operators_a_link_and_logs_one_line(
    entity, operator, settings, caplog
):
    settings.SITE_URL = "https://atlas.example.com"
    run = create_queued_run(Work("sync", "IONS", 2026), trigger="admin")
    Entity.objects.filter(pk=entity.pk).update(code="GONE")  # the stage cannot find it
    with caplog.at_level("INFO", logger="pipeline_ops"):
        summary = execute(run.pk)
    run.refresh_from_db()
    assert run.status == "failed" and summary.startswith("failed")
    assert [m.to for m in mail.outbox] == [["olga@example.com"]]
    subject, body = mail.outbox[0].subject, mail.outbox[0].body
    assert subject.startswith("[Atlas Ops] Sync (extract → load") and subject.endswith(
        " · GONE · 2026 failed"
    )
    assert "Launched from the admin, started 20" in body and " WIB." in body  # TIME_ZONE
    link = f"https://atlas.example.com/admin/pipeline_ops/pipelinerun/{run.pk}/change/"
    assert link in mail.outbox[0].body
    logged = [r.getMessage() for r in caplog.records if r.name.startswith("pipeline_ops")]
    assert [m.split(":")[0] for m in logged] == [f"run {run.pk} started", f"run {run.pk} failed"]


def test_a_command_line_failure_sends_no_mail(entity, operator):
    run = create_queued_run(Work("sync", "IONS", 2026), trigger="command")
    Entity.objects.filter(pk=entity.pk).update(code="GONE")
    execute(run.pk)
    assert mail.outbox == []
