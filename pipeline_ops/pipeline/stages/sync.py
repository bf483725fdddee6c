"""`sync`: extract → load → validate → transform (the registry's order) under one lock.

A parent `sync` run record with one child record per stage. The pipeline lock is taken
once for the whole chain (it is re-entrant in this process), so no other process can slip
in between load and transform. The chain stops at the first failed stage, except when
validation blocked only some months: the clean ones are transformed, then the sync fails
naming the blocked months (pipeline/blocks.py).
"""

from __future__ import annotations

import time

from pipeline_ops.models import PipelineRun
from pipeline_ops.pipeline import registry
from pipeline_ops.pipeline.blocks import BlockedMonths
from pipeline_ops.pipeline.errors import PipelineError
from pipeline_ops.pipeline.period import MonthRange
from pipeline_ops.pipeline.runs.calls import StageCall, recorded
from pipeline_ops.pipeline.runs.locking import update_holder
from pipeline_ops.pipeline.runs.stage_run import StageContext


def _months_text(months: MonthRange | None) -> str:
    return f" month {months}" if months else ""


@recorded("sync")
def run_sync(call: StageCall, ctx: StageContext) -> None:
    """Run the sync stages in order; raise PipelineError naming the stage that failed."""
    started = time.monotonic()
    blocked = run_children(call, ctx)
    elapsed = time.monotonic() - started
    call.say(f"sync {call.entity} {call.year}{_months_text(call.months)} done in {elapsed:.1f}s")
    if blocked is not None:
        raise PipelineError(f"sync finished without the blocked months: {blocked}") from blocked


def run_children(
    call: StageCall, ctx: StageContext, skip: tuple[str, ...] = ()
) -> BlockedMonths | None:
    """The sync's stages in registry order (but `skip`), each a child run of `ctx.run`.
    Validation that blocks only some months is returned, not raised: the clean months go
    on (a single sync transforms them, `sync --all` builds them in its batch)."""
    blocked: BlockedMonths | None = None
    for stage in registry.children("sync"):
        if stage.name in skip:
            continue
        try:
            child = run_stage(stage, call, ctx.run)
        except BlockedMonths as exc:
            if not exc.clean:
                raise PipelineError(f"sync stopped at {stage.name}: {exc}") from exc
            blocked = exc
            continue
        ctx.log(f"{stage.name}: run {child.pk}, {child.row_count} rows")
        if stage.name == "load":
            ctx.row_count = child.row_count  # the orders this sync brought in
    return blocked


def run_stage(stage: registry.Stage, call: StageCall, parent: PipelineRun) -> PipelineRun:
    update_holder(stage=f"sync/{stage.name}")
    where = f"{call.entity} {call.year}{_months_text(call.months)}"
    call.say(f"[{stage.name}] {where} started")
    started = time.monotonic()
    try:
        child = stage.function(call.entity, call.year, call.months, **call.nested(parent))
    except BlockedMonths:
        call.say(f"[{stage.name}] blocked months after {time.monotonic() - started:.1f}s")
        raise
    except PipelineError as exc:
        call.say(f"[{stage.name}] failed after {time.monotonic() - started:.1f}s")
        raise PipelineError(f"sync stopped at {stage.name}: {exc}") from exc
    rows = "-" if child.row_count is None else f"{child.row_count:,}"
    call.say(f"[{stage.name}] done in {time.monotonic() - started:.1f}s, {rows} rows")
    return child
