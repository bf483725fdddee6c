"""A run whose process was killed (kill -9) must not block launching the same work again.

The CLI run is a real `manage.py sync` subprocess on the test database, frozen by the
test_crash helpers the moment its extract row is running and then SIGKILLed (or left alive).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from django.urls import reverse

from pipeline_ops.models import Entity, PipelineRun
from pipeline_ops.pipeline.paths import source_workbook
from tests.test_crash import SYNC, kill_when_frozen, start, state, wait_until
from tests.workbooks import standard_workbook

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(sys.platform != "linux", reason="reads /proc"),
]


@pytest.fixture
def workbook(entity: Entity, data_dir: Path) -> Path:
    path = source_workbook("IONS", 2026)
    standard_workbook(path)
    return path


def launch_sync(client, entity: Entity) -> str:
    """The admin's Sync action for the same work as SYNC: IONS, 2026, the whole year."""
    data = {"action": "launch_sync", "_selected_action": [entity.pk], "apply": "1",
            "year": "2026", "month": "", "report_type": "monthly"}  # fmt: skip
    url = reverse("admin:pipeline_ops_entity_changelist")
    return client.post(url, data, follow=True).content.decode()


def test_a_sync_killed_with_sigkill_does_not_block_the_next_admin_launch(
    client, workbook, data_dir, entity, operator
):
    proc = start(data_dir, SYNC, freeze_at="extract")
    kill_when_frozen(proc, "extract")
    dead = PipelineRun.objects.get(stage="sync", parent__isnull=True)
    assert dead.status == "running"  # nothing has recovered it yet

    client.force_login(operator)
    page = launch_sync(client, entity)

    assert "queued 1 run" in page and "Not queued" not in page
    queued = PipelineRun.objects.get(stage="sync", status="queued")
    assert (queued.year, queued.month, queued.triggered_by) == (2026, None, operator)
    dead.refresh_from_db()
    assert dead.status == "failed"
    assert f"Abandoned: the process running this sync (pid {proc.pid}" in dead.error_message
    assert not PipelineRun.objects.filter(status="running").exists()


def test_a_launch_is_still_refused_while_the_same_work_runs_in_a_live_process(
    client, workbook, data_dir, entity, operator
):
    proc = start(data_dir, SYNC, freeze_at="extract")
    try:
        wait_until(proc, lambda: state(proc.pid) == "T", "freeze at extract")
        client.force_login(operator)
        page = launch_sync(client, entity)
        assert "is already running" in page
        assert not PipelineRun.objects.filter(status="queued").exists()
        assert PipelineRun.objects.get(stage="sync").status == "running"
    finally:
        proc.kill()
        proc.wait()
