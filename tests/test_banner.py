"""The admin index banner: failures of the last 24 h, blocked months, the worker's state
(django-q2's cluster stats; the worker itself runs outside the page)."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.conf import Conf
from django_q.signing import SignedPackage
from django_q.status import Stat, Status

from pipeline_ops.console.banner import workers
from pipeline_ops.models import PipelineRun, ValidationIssue

pytestmark = pytest.mark.django_db


def clusters(monkeypatch, *stats) -> None:
    monkeypatch.setattr(Stat, "get_all", staticmethod(lambda broker=None: list(stats)))


def failed(entity, hours_ago: float, stage: str = "sync", **fields) -> PipelineRun:
    done = timezone.now() - timedelta(hours=hours_ago)
    return PipelineRun.objects.create(
        entity=entity, year=2026, stage=stage, status="failed", completed_at=done, **fields
    )


def banner_html(client) -> str:
    html = client.get(reverse("admin:index")).content.decode()
    return html[html.index('class="pipeline-banner"') : html.index("freshness-board")]


def test_the_banner_counts_launched_runs_that_failed_in_the_last_24_hours(
    admin_client, entity, monkeypatch
):
    clusters(monkeypatch)
    recent = failed(entity, 2)
    failed(entity, 2, stage="transform", parent=recent)  # its failed stage: counted once
    failed(entity, 30)  # yesterday's news
    PipelineRun.objects.create(entity=entity, year=2026, stage="sync", status="success")
    html = banner_html(admin_client)
    assert "1 failed run in the last 24 h" in html and "?failed=24h" in html
    listed = admin_client.get(reverse("admin:pipeline_ops_pipelinerun_changelist") + "?failed=24h")
    assert list(listed.context["cl"].result_list) == [recent]


def test_the_banner_counts_blocked_months_of_active_entities(admin_client, entity, monkeypatch):
    clusters(monkeypatch)
    for year, month in ((2026, 2), (2026, 3), (2025, None)):  # REFERENSI: all of 2025
        ValidationIssue.objects.create(
            entity=entity, year=year, month=month, cell="X!A1", rule="r", severity="error",
            message="m",
        )  # fmt: skip
    assert "14 blocked months" in banner_html(admin_client)


def test_with_no_worker_the_banner_says_queued_runs_will_wait_in_red(
    admin_client, entity, monkeypatch
):
    clusters(monkeypatch)
    for year in (2025, 2026):
        PipelineRun.objects.create(entity=entity, year=year, stage="sync", status="queued")
    html = banner_html(admin_client)
    assert "banner-bad banner-worker" in html
    assert "No worker running — queued runs will wait (2 queued)" in html


def test_with_a_cluster_running_the_banner_says_a_worker_is_running(admin_client, monkeypatch):
    clusters(monkeypatch, SimpleNamespace(status=Conf.IDLE, workers=[101, 102]))
    html = banner_html(admin_client)
    assert "Worker running: 1 cluster, 2 processes" in html and "No worker" not in html


def test_a_stopped_cluster_does_not_count_as_running(admin_client, monkeypatch):
    clusters(monkeypatch, SimpleNamespace(status=Conf.STOPPED, workers=[101]))
    assert "No worker running" in banner_html(admin_client)


def test_a_broker_that_does_not_answer_leaves_the_worker_state_unknown(admin_client, monkeypatch):
    def refuse(broker=None):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(Stat, "get_all", staticmethod(refuse))
    assert "Worker state unknown" in banner_html(admin_client)


def test_a_cluster_stat_saved_through_the_broker_is_read_back_by_the_web_process(settings):
    """What a running qcluster does every few seconds, through django-q2's own broker (the
    shared file cache with the ORM broker, Redis with Redis)."""
    stat = Status(pid=4242, cluster_id="atlas-test-cluster")
    stat.status, stat.workers = Conf.WORKING, [4243]
    get_broker().set_stat(Stat.get_key(stat.cluster_id), SignedPackage.dumps(stat, True), 30)
    found = workers()
    assert found.known and found.running and found.processes >= 1
