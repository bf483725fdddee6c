"""Run records: DuckDB `_pipeline_runs`, mirrored into Django `PipelineRun`.

Starting and completing one record; `runs/stage_run.py` wraps a stage in them.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pipeline_ops.models import Entity, PipelineRun
from pipeline_ops.pipeline.errors import PipelineError
from pipeline_ops.pipeline.period import MonthRange
from pipeline_ops.pipeline.runs.identity import has_runs_table, highest_known_id
from pipeline_ops.pipeline.runs.recovery import identity
from pipeline_ops.pipeline.text import printable

if TYPE_CHECKING:  # the driver loads where a warehouse is opened, not with the admin
    import duckdb

# {start}: after every id Django has mirrored, so a new warehouse never reuses one (identity.py)
RUNS_DDL = """
CREATE SEQUENCE IF NOT EXISTS _pipeline_runs_seq START {start};
CREATE TABLE IF NOT EXISTS _pipeline_runs (
    id BIGINT PRIMARY KEY DEFAULT nextval('_pipeline_runs_seq'),
    entity VARCHAR NOT NULL,
    year INTEGER NOT NULL,
    month INTEGER,
    month_end INTEGER,
    stage VARCHAR NOT NULL,
    started_at TIMESTAMP NOT NULL,
    completed_at TIMESTAMP,
    status VARCHAR NOT NULL,
    error_message VARCHAR,
    source_file_hash VARCHAR,
    row_count BIGINT,
    parent_id BIGINT
);
CREATE INDEX IF NOT EXISTS _pipeline_runs_lookup
    ON _pipeline_runs (entity, year, stage, completed_at);
"""
RUN_COLUMNS = (
    "id", "entity", "year", "month", "month_end", "stage", "started_at", "completed_at",
    "status", "error_message", "source_file_hash", "row_count", "parent_id",
)  # fmt: skip


class AlreadyClaimed(PipelineError):
    pass


def ensure_runs_table(con: duckdb.DuckDBPyConnection) -> None:
    if not has_runs_table(con):
        con.execute(RUNS_DDL.format(start=highest_known_id() + 1))


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def root_of(run: PipelineRun) -> PipelineRun:
    """The top-level run `run` belongs to (itself when it has no parent)."""
    while run.parent_id is not None:
        run = run.parent
    return run


def get_entity(code: str) -> Entity:
    try:
        return Entity.objects.get(code=code)
    except Entity.DoesNotExist:
        raise PipelineError(
            f"Unknown entity {code}: register it first with `manage.py seed --entity {code}`."
        ) from None


def _claim(run: PipelineRun, values: dict, con: duckdb.DuckDBPyConnection | None = None) -> None:
    """Only one worker moves a queued (not cancelled) run to running; a loser leaves no row."""
    queued = PipelineRun.objects.filter(pk=run.pk, status=PipelineRun.Status.QUEUED)
    if not queued.update(**values):
        if con is not None:
            con.execute("DELETE FROM _pipeline_runs WHERE id = ?", [values["warehouse_id"]])
        run.refresh_from_db()
        raise AlreadyClaimed(f"Run {run.pk} is {run.status}; not started again.")
    run.refresh_from_db()


def record_pipeline_start(
    con: duckdb.DuckDBPyConnection, *, entity: str, year: int, stage: str,
    months: MonthRange | None = None, parent: PipelineRun | None = None,
    queued: PipelineRun | None = None, source_file_hash: str | None = None,
    options: dict | None = None, trigger: str | None = None,
) -> PipelineRun:  # fmt: skip
    started = utcnow()
    month, month_end = (months.start, months.end) if months else (None, None)
    row = [entity, year, month, month_end, stage, started, source_file_hash]
    values = {
        "warehouse_id": _insert_run_row(con, row, parent),
        "status": PipelineRun.Status.RUNNING,
        "started_at": started.replace(tzinfo=UTC),
        "pid": os.getpid(),
    }
    # Who runs it, so crash recovery can tell a dead process from a recycled pid.
    process = {"process": identity()}
    if queued is not None:
        _claim(queued, {**values, "options": {**queued.options, **process}}, con)
        return queued
    launched = {"trigger": trigger} if trigger else {}
    if parent is not None:  # a stage inside another (a sync's extract) has its parent's launcher
        launched = {"trigger": parent.trigger, "triggered_by_id": parent.triggered_by_id}
    return PipelineRun.objects.create(
        entity=get_entity(entity), year=year, month=month, month_end=month_end, stage=stage,
        parent=parent, source_file_hash=source_file_hash or "",
        options={**(options or {}), **process}, **launched, **values,
    )  # fmt: skip


def _insert_run_row(con: duckdb.DuckDBPyConnection, row: list, parent: PipelineRun | None) -> int:
    ensure_runs_table(con)
    parent_wid = parent.warehouse_id if parent else None
    (warehouse_id,) = con.execute(
        "INSERT INTO _pipeline_runs (entity, year, month, month_end, stage, started_at, status,"
        " source_file_hash, parent_id) VALUES (?, ?, ?, ?, ?, ?, 'running', ?, ?) RETURNING id",
        [*row, parent_wid],
    ).fetchone()
    return warehouse_id


def record_pipeline_complete(
    con: duckdb.DuckDBPyConnection,
    run: PipelineRun,
    *,
    status: str,
    error_message: str = "",
    row_count: int | None = None,
    source_file_hash: str | None = None,
    log: str = "",
) -> PipelineRun:
    ensure_runs_table(con)
    completed = utcnow()
    # Messages may quote workbook text; PostgreSQL refuses NUL and the admin shows the rest.
    error_message, log = printable(error_message), printable(log)
    con.execute(
        "UPDATE _pipeline_runs SET completed_at = ?, status = ?, error_message = ?,"
        " row_count = ?, source_file_hash = coalesce(?, source_file_hash) WHERE id = ?",
        [completed, status, error_message or None, row_count, source_file_hash, run.warehouse_id],
    )
    run.status = status
    run.completed_at = completed.replace(tzinfo=UTC)
    run.error_message = error_message
    run.row_count = row_count
    run.source_file_hash = source_file_hash or run.source_file_hash
    run.log = "\n".join(filter(None, [run.log, log]))
    fields = ["status", "completed_at", "error_message", "row_count", "source_file_hash", "log"]
    fields.append("options")  # a stage may note what it did (load: the months it loaded)
    run.save(update_fields=fields)
    return run


def get_last_run(
    con: duckdb.DuckDBPyConnection,
    *,
    entity: str,
    year: int,
    stage: str,
    status: str | None = "success",
    month: int | None = None,
) -> dict | None:
    """The newest completed run of `stage`; with `month`, only runs that covered it."""
    ensure_runs_table(con)
    sql = (
        f"SELECT {', '.join(RUN_COLUMNS)} FROM _pipeline_runs"
        " WHERE entity = ? AND year = ? AND stage = ? AND completed_at IS NOT NULL"
    )
    params: list = [entity, year, stage]
    if status:
        sql += " AND status = ?"
        params.append(status)
    if month is not None:
        sql += " AND (month IS NULL OR (month <= ? AND coalesce(month_end, month) >= ?))"
        params += [month, month]
    row = con.execute(sql + " ORDER BY completed_at DESC, id DESC LIMIT 1", params).fetchone()
    return dict(zip(RUN_COLUMNS, row, strict=True)) if row else None
