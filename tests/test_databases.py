"""What may differ between the two CI configurations: SQLite + ORM broker, and PostgreSQL +
Redis (DATABASE_URL, Q_REDIS_URL). The same tests run on both; each names the behaviour the
app relies on whichever backend is underneath: row locking under concurrent queueing,
stable run history order, aware UTC timestamps shown in TIME_ZONE, JSON options, and the
broker the environment asked for.
"""

from __future__ import annotations

import os
import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, connections
from django.template import Context, Template
from django.utils import timezone

from pipeline_ops.models import Entity, PipelineRun
from pipeline_ops.pipeline.period import MonthRange
from pipeline_ops.pipeline.runs.launch import AlreadyActive, Work, create_queued_run
from pipeline_ops.pipeline.runs.locking import pipeline_lock
from pipeline_ops.pipeline.runs.records import AlreadyClaimed, _claim
from pipeline_ops.pipeline.runs.stage_run import stage_run
from pipeline_ops.pipeline.runs.warehouse import connect

RACERS = 4


def race(fn, count: int = RACERS) -> list:
    """Run fn in `count` threads released at once; each thread's result or exception."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def runner(index: int) -> None:
        try:
            barrier.wait()
            results[index] = fn()
        except Exception as exc:  # the outcome under test, collected for the assertion
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.fixture
def ions(transactional_db) -> Entity:
    return Entity.objects.create(code="IONS", name="IONS")


@pytest.mark.parametrize("months", [None, MonthRange(2, 4)])
def test_racing_to_queue_the_same_work_leaves_exactly_one_queued_run(ions, months):
    work = Work("sync", "IONS", 2026, months)
    results = race(lambda: create_queued_run(work, trigger="command"))
    created = [r for r in results if isinstance(r, PipelineRun)]
    refused = [r for r in results if isinstance(r, AlreadyActive)]
    assert len(created) == 1, results
    assert len(refused) == RACERS - 1, results
    assert PipelineRun.objects.filter(entity=ions, status="queued").count() == 1
    assert all(f"run {created[0].pk}" in str(exc) for exc in refused)


def test_racing_to_queue_different_years_queues_each_of_them(ions):
    years = iter(range(2020, 2020 + RACERS))
    lock = threading.Lock()

    def queue_next_year() -> PipelineRun:
        with lock:
            year = next(years)
        return create_queued_run(Work("sync", "IONS", year), trigger="command")

    results = race(queue_next_year)
    assert all(isinstance(r, PipelineRun) for r in results), results
    assert sorted(r.year for r in results) == list(range(2020, 2020 + RACERS))


def test_racing_workers_claim_a_queued_run_exactly_once(ions):
    queued = create_queued_run(Work("sync", "IONS", 2026), trigger="command")

    def claim() -> str:
        run = PipelineRun.objects.get(pk=queued.pk)
        _claim(run, {"status": PipelineRun.Status.RUNNING, "pid": threading.get_native_id()})
        return "claimed"

    results = race(claim)
    assert results.count("claimed") == 1, results
    assert sum(isinstance(r, AlreadyClaimed) for r in results) == RACERS - 1
    assert PipelineRun.objects.get(pk=queued.pk).status == "running"


def test_run_history_with_equal_timestamps_lists_the_newest_id_first(entity):
    runs = [PipelineRun.objects.create(entity=entity, year=2026, stage="sync") for _ in range(6)]
    same = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
    PipelineRun.objects.update(created=same)
    expected = sorted((r.pk for r in runs), reverse=True)
    assert [r.pk for r in PipelineRun.objects.all()] == expected
    assert [r.pk for r in entity.runs.all()[:3]] == expected[:3]


def test_run_timestamps_written_from_duckdb_read_back_as_the_same_aware_utc_instant(entity):
    with stage_run("sync", "IONS", 2026) as ctx:
        pass
    with pipeline_lock(), connect() as con:
        started, completed = con.execute(
            "SELECT started_at, completed_at FROM _pipeline_runs WHERE id = ?",
            [ctx.run.warehouse_id],
        ).fetchone()
    run = PipelineRun.objects.get(pk=ctx.run.pk)
    assert timezone.is_aware(run.started_at) and timezone.is_aware(run.completed_at)
    assert run.started_at == started.replace(tzinfo=UTC)
    assert run.completed_at == completed.replace(tzinfo=UTC)


def test_a_utc_evening_run_is_shown_and_filtered_on_the_next_day_in_jakarta(entity, settings):
    settings.TIME_ZONE = "Asia/Jakarta"
    run = PipelineRun.objects.create(entity=entity, year=2026, stage="sync")
    evening = datetime(2026, 1, 31, 20, 30, tzinfo=UTC)  # 03:30 on 1 February in Jakarta
    PipelineRun.objects.filter(pk=run.pk).update(started_at=evening)
    run.refresh_from_db()
    with timezone.override("Asia/Jakarta"):
        shown = Template('{{ run.started_at|date:"Y-m-d H:i" }}').render(Context({"run": run}))
        on_day = PipelineRun.objects.filter(started_at__date="2026-02-01")
        in_month = PipelineRun.objects.filter(started_at__month=2, started_at__day=1)
        assert shown == "2026-02-01 03:30"
        assert list(on_day) == [run] and list(in_month) == [run]
    assert run.started_at.astimezone(UTC) == evening
    assert run.started_at - evening == timedelta(0)


def test_json_options_round_trip_and_key_lookups_agree(entity):
    options = {
        "report_type": "yearly",
        "then": ["sync", "publish", "report"],
        "process": {"pid": 2**31 + 7, "start": 1234567.5, "host": "wörker-1"},
        "force": True,
        "note": None,
        "nested": {"empty": {}, "list": [1, "two", 3.0, False]},
    }
    run = PipelineRun.objects.create(entity=entity, year=2026, stage="chain", options=options)
    assert PipelineRun.objects.get(pk=run.pk).options == options
    assert PipelineRun.objects.filter(options__report_type="yearly").get() == run
    assert PipelineRun.objects.filter(options__process__host="wörker-1").get() == run
    assert not PipelineRun.objects.filter(options__report_type="monthly").exists()
    assert PipelineRun.objects.filter(options__force=True).get() == run


def test_the_task_broker_is_the_one_the_environment_names_and_carries_a_task(db):
    from django_q.brokers import get_broker
    from django_q.signing import SignedPackage

    broker = get_broker(list_key=f"atlas-dbtest-{uuid.uuid4().hex}")
    expected = "Redis" if os.environ.get("Q_REDIS_URL") else "ORM"
    assert type(broker).__name__ == expected
    assert broker.ping()
    task = {"id": uuid.uuid4().hex, "func": "pipeline_ops.tasks.execute_run", "args": (7,)}
    try:
        broker.enqueue(SignedPackage.dumps(task))
        (task_id, payload), *rest = broker.dequeue()
        broker.acknowledge(task_id)
        # Redis hands back bytes, the ORM broker text; the signed package reads either.
        assert SignedPackage.loads(payload) == task and rest == []
        assert broker.queue_size() == 0
    finally:
        broker.delete_queue()


def test_the_database_is_the_one_the_environment_names(db):
    expected = (
        "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"
    )
    assert connection.vendor == expected
