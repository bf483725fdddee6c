"""End to end through a real django-q2 worker: admin action → queue → qcluster → run rows."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from pipeline_ops.models import PipelineRun, Report
from pipeline_ops.pipeline.paths import source_workbook
from pipeline_ops.pipeline.runs.notify import OPERATORS_GROUP
from tests.workbooks import standard_workbook
from tests.worker import running_worker, wait_for_run

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def operator(transactional_db) -> User:
    user = User.objects.create_user("olga", "olga@example.com", "pw", is_staff=True)
    user.groups.add(Group.objects.get(name=OPERATORS_GROUP))
    return user


def test_an_operator_launches_sync_publish_report_and_the_worker_finishes_it(
    client, entity, operator, data_dir
):
    standard_workbook(source_workbook("IONS", 2026))
    client.force_login(operator)
    data = {
        "action": "launch_chain",
        "_selected_action": [entity.pk],
        "apply": "1",
        "year": 2026,
        "month": "2",
        "report_type": "monthly",
    }
    client.post(reverse("admin:pipeline_ops_entity_changelist"), data)
    queued = PipelineRun.objects.get(parent__isnull=True)
    assert (queued.status, queued.triggered_by) == ("queued", operator)

    with running_worker(data_dir):
        run = wait_for_run(queued.pk)

    log = (data_dir / "qcluster.log").read_text()
    assert run.status == "success", f"{run.error_message}\n{log[-3000:]}"
    assert (run.stage, run.month, run.month_end) == ("chain", 2, 2)
    stages = list(run.children.order_by("id").values_list("stage", "status"))
    assert stages == [("sync", "success"), ("publish", "success"), ("report", "success")]
    sync = run.children.get(stage="sync")
    assert list(sync.children.order_by("id").values_list("stage", flat=True)) == [
        "extract",
        "load",
        "validate",
        "transform",
    ]
    assert run.completed_at >= run.children.get(stage="report").completed_at
    report = Report.objects.get()
    url = reverse("admin:pipeline_ops_report_download", args=[report.pk, "html"])
    body = b"".join(client.get(url).streaming_content).decode()
    assert "IONS" in body and "2026" in body
