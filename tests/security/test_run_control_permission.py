"""Cancel and re-run change what the worker does: only users who may launch runs (Pipeline
operators) get them, through the actions, the buttons' URLs or the buttons themselves."""

from __future__ import annotations

import pytest
from django.contrib.auth.context_processors import PermWrapper
from django.contrib.auth.models import User
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from pipeline_ops.models import PipelineRun
from pipeline_ops.pipeline import access
from pipeline_ops.pipeline.runs.launch import Work, create_queued_run

pytestmark = pytest.mark.django_db
RUNS = reverse("admin:pipeline_ops_pipelinerun_changelist")


@pytest.fixture
def runs(entity) -> tuple[PipelineRun, PipelineRun]:
    queued = create_queued_run(Work("sync", "IONS", 2026))
    now = timezone.now()
    failed = PipelineRun.objects.create(
        entity=entity, year=2025, stage="sync", status="failed", started_at=now, completed_at=now
    )
    return queued, failed


def buttons(user: User, run: PipelineRun) -> str:
    request = RequestFactory().get("/")
    request.user = user
    operates = access.may(user, run.entity_id, access.OPERATE)  # as the run page asks
    context = {"original": run, "perms": PermWrapper(user), "operates": operates}
    return render_to_string("admin/pipeline_ops/run_controls.html", context, request=request)


def test_a_viewer_cannot_cancel_or_re_run(client, runs, viewer):
    queued, failed = runs
    client.force_login(viewer)
    for action, run in (("cancel_runs", queued), ("rerun_runs", failed)):
        client.post(RUNS, {"action": action, "_selected_action": [run.pk]})
    for name, run in (("cancel", queued), ("rerun", failed)):
        url = reverse(f"admin:pipeline_ops_pipelinerun_{name}", args=[run.pk])
        assert client.post(url).status_code == 403
    assert list(PipelineRun.objects.order_by("id").values_list("status", flat=True)) == [
        "queued", "failed"
    ]  # fmt: skip
    page = client.get(RUNS).content.decode()
    assert "cancel_runs" not in page and "rerun_runs" not in page
    assert buttons(viewer, queued).strip() == buttons(viewer, failed).strip() == ""


def test_an_operator_gets_the_button_that_fits_the_run(runs, operator):
    queued, failed = runs
    assert "Cancel run" in buttons(operator, queued) and "Re-run" not in buttons(operator, queued)
    assert "Re-run" in buttons(operator, failed) and "Cancel run" not in buttons(operator, failed)


def test_anonymous_users_cannot_reach_the_control_urls(client, runs):
    queued, _ = runs
    response = client.post(reverse("admin:pipeline_ops_pipelinerun_cancel", args=[queued.pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))
    assert PipelineRun.objects.get(pk=queued.pk).status == "queued"
