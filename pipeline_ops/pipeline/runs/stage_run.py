"""The one wrapper a stage runs in: `stage_run()` takes the pipeline lock, records the start,
and records success, failure or a stop (with the reason) however the stage ends."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from pipeline_ops.models import PipelineRun
from pipeline_ops.pipeline.errors import PipelineError, Unexpected, one_line, origin
from pipeline_ops.pipeline.period import MonthRange
from pipeline_ops.pipeline.runs import stopping
from pipeline_ops.pipeline.runs.identity import check_warehouse
from pipeline_ops.pipeline.runs.locking import pipeline_lock, update_holder
from pipeline_ops.pipeline.runs.records import (
    ensure_runs_table,
    get_entity,
    record_pipeline_complete,
    record_pipeline_start,
)
from pipeline_ops.pipeline.runs.recovery import recover
from pipeline_ops.pipeline.runs.warehouse import connect
from pipeline_ops.pipeline.state.record import record

log = logging.getLogger(__name__)


@dataclass
class StageContext:
    run: PipelineRun
    entity: str
    year: int
    months: MonthRange | None
    row_count: int | None = None
    source_file_hash: str | None = None
    lines: list[str] = field(default_factory=list)
    outcome: str = "success"  # or "partial": did what it was asked, not all there is
    # What the stage decided, written into the month-state record as the run completes.
    verdict: dict = field(default_factory=dict)

    def log(self, line: str) -> None:
        self.lines.append(line)


def _failure_text(exc: BaseException) -> str:
    return one_line(exc)


@contextmanager
def stage_run(
    stage: str,
    entity: str,
    year: int,
    months: MonthRange | None = None,
    *,
    parent: PipelineRun | None = None,
    queued: PipelineRun | None = None,
    on_wait: Callable[[str], None] | None = None,
    options: dict | None = None,
    trigger: str | None = None,
) -> Iterator[StageContext]:
    """Record one stage run around the body. The warehouse stays open for the whole stage:
    the body's `connect()` and the closing record use the connection the start record
    opened (transform closes it while dbt runs: `warehouse.released()`)."""
    get_entity(entity)
    lock = pipeline_lock({"stage": stage, "entity": entity, "year": year}, on_wait=on_wait)
    with lock, connect() as con:
        ensure_runs_table(con)
        check_warehouse(con)
        recover(con)  # runs a killed process left 'running' become failed first
        stopping.refuse_if_stopped(parent, stage)  # before a record: nothing of it started
        run = record_pipeline_start(
            con, entity=entity, year=year, stage=stage, months=months, parent=parent,
            queued=queued, options=options, trigger=trigger,
        )  # fmt: skip
        update_holder(run_id=run.pk)
        ctx = StageContext(run=run, entity=entity, year=year, months=months)
        token = stopping.watch(run)
        try:
            yield ctx
        except BaseException as exc:
            stopped = stopping.stopped_text(run, stage, exc)
            if not stopped and _unexpected(exc):
                ctx.log(f"{type(exc).__name__} at {origin(exc)}")
            _finish(ctx, "cancelled" if stopped else "failed", stopped or _failure_text(exc))
            if _unexpected(exc):  # callers above handle one kind: PipelineError, one line
                raise Unexpected(exc) from exc
            raise
        finally:
            stopping.unwatch(token)
        _finish(ctx, ctx.outcome, "")


def _unexpected(exc: BaseException) -> bool:
    """A bug or the machine (not a kill, not Ctrl-C): the run fails, the caller gets one line."""
    return isinstance(exc, Exception) and not isinstance(exc, PipelineError)


def _finish(ctx: StageContext, status: str, error: str) -> None:
    with connect() as con:
        record_pipeline_complete(
            con,
            ctx.run,
            status=status,
            error_message=error,
            row_count=ctx.row_count,
            source_file_hash=ctx.source_file_hash,
            log="\n".join(ctx.lines),
        )
    try:
        record(ctx.run, ctx.verdict)
    except Exception:  # the run keeps its terminal state, and its own error, whatever happens
        log.exception("could not write the month state of run %s", ctx.run.pk)
