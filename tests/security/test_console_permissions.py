"""The index banner, the board, the run page and the lists they link to: every role gets
them, staff without pipeline permissions get none of their data."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.template import RequestContext, Template
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from django_q.status import Stat

from pipeline_ops.models import Entity, MonthState, PipelineRun, Report, ValidationIssue

pytestmark = pytest.mark.django_db

CODE = "ZEBRA42"  # a code no other text on the admin contains
ERROR = "secret-error-text-7731"


@pytest.fixture
def console(db, monkeypatch) -> dict[str, str]:
    monkeypatch.setattr(Stat, "get_all", staticmethod(lambda broker=None: []))
    entity = Entity.objects.create(code=CODE, name="Zebra")
    now = timezone.now()
    run = PipelineRun.objects.create(
        entity=entity, year=now.year, month=2, month_end=2, stage="sync", status="failed",
        started_at=now, completed_at=now, error_message=ERROR,
    )  # fmt: skip
    ValidationIssue.objects.create(
        entity=entity, year=now.year, month=2, cell="FEB!C7", rule="r", severity="error",
        message="m", run=run,
    )  # fmt: skip
    # What the failed sync wrote into its month's state: the board and banner read it.
    MonthState.objects.create(entity=entity, year=now.year, month=2, has_data=True,
                              failure_run=run, failure_clears="a successful sync")  # fmt: skip
    report = Report.objects.create(
        entity=entity, year=now.year, month_start=2, month_end=2, type="monthly", label="x",
        json_path="x.json", run=run,
    )  # fmt: skip
    return {
        "index": reverse("admin:index"),
        "run": reverse("admin:pipeline_ops_pipelinerun_change", args=[run.pk]),
        "failures": reverse("admin:pipeline_ops_pipelinerun_changelist") + "?failed=open",
        "issues": reverse("admin:pipeline_ops_validationissue_changelist") + f"?run={run.pk}",
        "blocked": reverse("admin:pipeline_ops_validationissue_changelist")
        + "?severity__exact=error",
        "report": reverse("admin:pipeline_ops_report_change", args=[report.pk]),
    }


@pytest.fixture
def bare_staff(db) -> User:
    return User.objects.create_user("sam", password="pw", is_staff=True)


@pytest.mark.parametrize("who", ["admin_user", "operator", "viewer"])
def test_every_role_gets_the_banner_the_board_and_the_pages_they_link_to(
    client, console, who, request
):
    client.force_login(request.getfixturevalue(who))
    for name, url in console.items():
        assert client.get(url).status_code == 200, name
    index = client.get(console["index"]).content.decode()
    assert "1 open failure" in index and CODE in index
    assert "No worker running" in index
    assert ERROR in client.get(console["run"]).content.decode()


def test_staff_without_pipeline_permissions_get_no_pipeline_data(client, console, bare_staff):
    client.force_login(bare_staff)
    index = client.get(console["index"])
    assert index.status_code == 200
    html = index.content.decode()
    for secret in (CODE, ERROR, "open failure", "blocked month", "worker", "Freshness"):
        assert secret not in html, secret
    for name in ("run", "failures", "issues", "blocked", "report"):
        assert client.get(console[name]).status_code == 403, name


def test_the_banner_tag_itself_shows_nothing_to_a_user_without_permission(console, bare_staff):
    request = RequestFactory().get("/admin/")
    request.user = bare_staff
    html = Template("{% load atlas_admin %}{% pipeline_banner %}").render(RequestContext(request))
    assert html.strip() == ""
