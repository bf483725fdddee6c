from __future__ import annotations

import duckdb
import pytest
from django.core.management import call_command

from pipeline_ops.models import PipelineRun
from pipeline_ops.pipeline.errors import PipelineError
from pipeline_ops.pipeline.period import MonthRange
from pipeline_ops.pipeline.runs.locking import pipeline_lock
from pipeline_ops.pipeline.runs.records import (
    AlreadyClaimed,
    get_last_run,
    record_pipeline_complete,
    record_pipeline_start,
)
from pipeline_ops.pipeline.runs.stage_run import stage_run
from pipeline_ops.pipeline.runs.warehouse import connect, warehouse_path

pytestmark = pytest.mark.django_db


def start(con, stage="extract", months=None, **kw):
    return record_pipeline_start(con, entity="IONS", year=2026, stage=stage, months=months, **kw)


def test_the_runs_table_is_created_on_first_use_with_its_index(entity):
    with pipeline_lock(), connect() as con:
        start(con)
        columns = [r[0] for r in con.execute("DESCRIBE _pipeline_runs").fetchall()]
        indexes = con.execute(
            "SELECT sql FROM duckdb_indexes() WHERE table_name = '_pipeline_runs'"
        ).fetchall()
    expected = {"id", "entity", "year", "month", "stage", "started_at", "completed_at"}
    expected |= {"status", "error_message", "source_file_hash", "row_count"}
    assert expected <= set(columns)
    assert "(entity, year, stage, completed_at)" in indexes[0][0].replace('"', "")


def test_start_and_complete_write_the_warehouse_row_and_its_django_mirror(entity):
    with pipeline_lock(), connect() as con:
        run = start(con, months=MonthRange(2, 3))
        record_pipeline_complete(con, run, status="success", row_count=42, source_file_hash="ab")
        row = con.execute(
            "SELECT status, row_count, source_file_hash, month, month_end FROM _pipeline_runs"
            " WHERE id = ?",
            [run.warehouse_id],
        ).fetchone()
    assert row == ("success", 42, "ab", 2, 3)
    mirror = PipelineRun.objects.get(warehouse_id=run.warehouse_id)
    assert (mirror.status, mirror.row_count, mirror.month, mirror.month_end) == (
        "success",
        42,
        2,
        3,
    )
    assert mirror.completed_at >= mirror.started_at


def test_ids_come_from_a_sequence(entity):
    with pipeline_lock(), connect() as con:
        ids = [start(con).warehouse_id for _ in range(3)]
    assert ids == sorted(ids) and len(set(ids)) == 3


def test_get_last_run_returns_the_newest_successful_run_of_a_stage(entity):
    with pipeline_lock(), connect() as con:
        first = start(con)
        record_pipeline_complete(con, first, status="success")
        second = start(con)
        record_pipeline_complete(con, second, status="success")
        failed = start(con)
        record_pipeline_complete(con, failed, status="failed", error_message="boom")
        last_ok = get_last_run(con, entity="IONS", year=2026, stage="extract")
        last_any = get_last_run(con, entity="IONS", year=2026, stage="extract", status=None)
        none = get_last_run(con, entity="IONS", year=2026, stage="load")
    assert last_ok["id"] == second.warehouse_id
    assert last_any["id"] == failed.warehouse_id and last_any["error_message"] == "boom"
    assert none is None


def test_get_last_run_by_month_only_sees_runs_that_covered_it(entity):
    with pipeline_lock(), connect() as con:
        feb = start(con, "load", MonthRange(2, 2))
        record_pipeline_complete(con, feb, status="success")
        q2 = start(con, "load", MonthRange(4, 6))
        record_pipeline_complete(con, q2, status="success")
        assert get_last_run(con, entity="IONS", year=2026, stage="load", month=2)["id"] == (
            feb.warehouse_id
        )
        assert get_last_run(con, entity="IONS", year=2026, stage="load", month=5)["id"] == (
            q2.warehouse_id
        )
        assert get_last_run(con, entity="IONS", year=2026, stage="load", month=3) is None


def test_a_stage_that_raises_is_recorded_as_failed_with_its_reason(entity):
    with pytest.raises(PipelineError), stage_run("extract", "IONS", 2026) as ctx:
        ctx.log("reading")
        raise PipelineError("FEB!C3: bad date")
    run = PipelineRun.objects.get()
    assert run.status == "failed"
    assert run.error_message == "FEB!C3: bad date"
    assert "reading" in run.log


def test_a_queued_run_can_be_claimed_only_once(entity):
    queued = PipelineRun.objects.create(entity=entity, year=2026, stage="sync")
    with pipeline_lock(), connect() as con:
        start(con, "sync", queued=queued)
        with pytest.raises(AlreadyClaimed):
            start(con, "sync", queued=PipelineRun.objects.get(pk=queued.pk))
    assert PipelineRun.objects.get(pk=queued.pk).status == "running"


def test_an_unknown_entity_is_refused_with_a_hint_to_seed(db):
    with (
        pytest.raises(PipelineError, match="seed --entity NOPE"),
        stage_run("extract", "NOPE", 2026),
    ):
        pass


def test_mirror_runs_rebuilds_the_django_mirror_from_duckdb(entity):
    with stage_run("extract", "IONS", 2026) as ctx:
        ctx.row_count = 7
    PipelineRun.objects.all().delete()
    call_command("mirror_runs")
    mirror = PipelineRun.objects.get()
    assert (mirror.stage, mirror.status, mirror.row_count) == ("extract", "success", 7)


def test_the_warehouse_is_a_real_duckdb_file(entity):
    with stage_run("extract", "IONS", 2026):
        pass
    con = duckdb.connect(str(warehouse_path()), read_only=True)
    assert con.execute("SELECT count(*) FROM _pipeline_runs").fetchone() == (1,)
    con.close()
