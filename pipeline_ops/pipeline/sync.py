"""`sync` (seed plan T-002): extract → load → validate → transform under one lock.

A parent `sync` run record with one child record per stage. The pipeline lock is taken
once for the whole chain (it is re-entrant in this process), so no other process can slip
in between load and transform. The chain stops at the first failed stage.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable

from ..models import PipelineRun
from .cli import MonthRange
from .errors import PipelineError
from .locking import pipeline_lock, update_holder
from .runs import get_entity, stage_run

STAGES = ("extract", "load", "validate", "transform")


def stage_function(stage: str) -> Callable[..., PipelineRun]:
    # Imported on use: each stage module pulls in its own heavy dependencies.
    module = importlib.import_module(f"{__package__}.{stage}")
    return getattr(module, f"run_{stage}")


def _months_text(months: MonthRange | None) -> str:
    return f" month {months}" if months else ""


def run_sync(
    entity: str,
    year: int,
    months: MonthRange | None = None,
    *,
    parent: PipelineRun | None = None,
    queued: PipelineRun | None = None,
    on_wait: Callable[[str], None] | None = None,
    out: Callable[[str], None] | None = None,
    **_options,
) -> PipelineRun:
    """Run the four stages in order; raise PipelineError naming the stage that failed."""
    say = out or (lambda line: None)
    get_entity(entity)  # unknown entity: the message suggests `seed`, before any waiting
    holder = {"stage": "sync", "entity": entity, "year": year}
    with (
        pipeline_lock(holder, on_wait=on_wait),
        stage_run("sync", entity, year, months, parent=parent, queued=queued) as ctx,
    ):
        update_holder(run_id=ctx.run.pk)
        started = time.monotonic()
        children = {}
        for stage in STAGES:
            children[stage] = _run_stage(stage, entity, year, months, ctx.run, say)
            ctx.log(f"{stage}: run {children[stage].pk}, {children[stage].row_count} rows")
        ctx.row_count = children["load"].row_count  # the orders this sync brought in
        elapsed = time.monotonic() - started
        say(f"sync {entity} {year}{_months_text(months)} done in {elapsed:.1f}s")
    return ctx.run


def _run_stage(
    stage: str,
    entity: str,
    year: int,
    months: MonthRange | None,
    parent: PipelineRun,
    say: Callable[[str], None],
) -> PipelineRun:
    update_holder(stage=f"sync/{stage}")
    say(f"[{stage}] {entity} {year}{_months_text(months)} started")
    started = time.monotonic()
    try:
        child = stage_function(stage)(entity, year, months, parent=parent, out=say)
    except PipelineError as exc:
        say(f"[{stage}] failed after {time.monotonic() - started:.1f}s")
        raise PipelineError(f"sync stopped at {stage}: {exc}") from exc
    rows = "-" if child.row_count is None else f"{child.row_count:,}"
    say(f"[{stage}] done in {time.monotonic() - started:.1f}s, {rows} rows")
    return child
