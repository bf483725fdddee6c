"""The admin index banner: open failures (what no later success of the same work has
cleared), blocked months, both read from the month-state record, and the worker's state
(django-q2's cluster stats; the worker itself runs outside the page)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.conf import Conf
from django_q.signing import SignedPackage
from django_q.status import Stat, Status

from pipeline_ops.console.banner import banner, workers
from pipeline_ops.models import Entity, MonthState, PipelineRun, ReportState

pytestmark = pytest.mark.django_db


def clusters(monkeypatch, *stats) -> None:
    monkeypatch.setattr(Stat, "get_all", staticmethod(lambda broker=None: list(stats)))


def run(entity, stage: str, status: str = "failed", parent=None) -> PipelineRun:
    return PipelineRun.objects.create(
        entity=entity, year=2026, stage=stage, status=status, parent=parent,
        completed_at=timezone.now(), error_message=f"{stage} {status}",
    )  # fmt: skip


def holds(entity, failure: PipelineRun, *months: int) -> None:
    """The months' record holds `failure` as their open failure."""
    for month in months:
        MonthState.objects.update_or_create(
            entity=entity, year=2026, month=month,
            defaults={"failure_run": failure, "failure_clears": "a successful Sync"},
        )  # fmt: skip


def banner_html(client) -> str:
    html = client.get(reverse("admin:index")).content.decode()
    return html[html.index('class="pipeline-banner"') : html.index("freshness-board")]


def open_list(client) -> list[PipelineRun]:
    listed = client.get(reverse("admin:pipeline_ops_pipelinerun_changelist") + "?failed=open")
    return sorted(listed.context["cl"].result_list, key=lambda run: run.pk)


def test_the_banner_counts_each_open_failure_once_and_its_link_lists_the_launched_runs(
    admin_client, admin_user, entity, monkeypatch
):
    clusters(monkeypatch)
    sync = run(entity, "sync")
    holds(entity, run(entity, "extract", parent=sync), 1, 2, 3)  # one failure, three months
    report = run(entity, "report")
    ReportState.objects.create(entity=entity, year=2026, stem="IONS-2026", type="yearly",
                               failure_run=run(entity, "format", parent=report))  # fmt: skip
    transform = run(entity, "transform")  # launched on its own
    holds(entity, transform, 4)
    run(entity, "sync")  # failed, but a later success cleared it: no record holds it
    other = Entity.objects.create(code="OLD", name="OLD", active=False)
    holds(other, run(other, "sync"), 1)  # an inactive entity's news is nobody's

    assert banner(admin_user).failed == 3
    html = banner_html(admin_client)
    assert "3 open failures" in html and "?failed=open" in html
    assert open_list(admin_client) == [sync, report, transform]

    MonthState.objects.update(failure_run=None, failure_clears="")
    assert banner(admin_user).failed == 1 and open_list(admin_client) == [report]


def test_the_banner_counts_blocked_months_of_active_entities(admin_client, entity, monkeypatch):
    clusters(monkeypatch)
    for year, month in ((2026, 2), (2026, 3), (2025, 12)):
        MonthState.objects.create(entity=entity, year=year, month=month, blocked_errors=2)
    MonthState.objects.create(entity=entity, year=2026, month=4)  # clean
    other = Entity.objects.create(code="OLD", name="OLD", active=False)
    MonthState.objects.create(entity=other, year=2026, month=2, blocked_errors=1)

    html = banner_html(admin_client)

    issues = reverse("admin:pipeline_ops_validationissue_changelist")
    assert f'banner-bad" href="{issues}?severity__exact=error">3 blocked months' in html
    runs = reverse("admin:pipeline_ops_pipelinerun_changelist")
    assert f'banner-ok" href="{runs}?failed=open">0 open failures' in html


def test_with_no_worker_the_banner_says_queued_runs_will_wait_in_red(
    admin_client, entity, monkeypatch
):
    clusters(monkeypatch)
    for year in (2025, 2026):
        PipelineRun.objects.create(entity=entity, year=year, stage="sync", status="queued")
    html = banner_html(admin_client)
    assert "banner-bad banner-worker" in html
    assert "No worker running — queued runs will wait (2 queued)" in html


def test_with_a_cluster_running_the_banner_says_a_worker_is_running_until_it_stops(
    admin_client, monkeypatch
):
    clusters(monkeypatch, SimpleNamespace(status=Conf.IDLE, workers=[101, 102]))
    html = banner_html(admin_client)
    assert "Worker running: 1 cluster, 2 processes" in html and "No worker" not in html
    clusters(monkeypatch, SimpleNamespace(status=Conf.STOPPED, workers=[101]))
    assert "No worker running" in banner_html(admin_client)  # a stopped one does not count


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
