"""One stage call, and the one wrapper every stage runs in.

A stage body is only its domain work: `@recorded("load")` turns `body(call, ctx)` into the
public `run_load(entity, year, months=None, *, parent, queued, on_wait, out, **options)`
that opens the run record (lock, warehouse, Django mirror), hands the body a `StageCall`
and the run's `StageContext`, and records success or the failure however the body ends.
Options a stage does not declare are refused, not swallowed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from pipeline_ops.models import PipelineRun
from pipeline_ops.pipeline import registry
from pipeline_ops.pipeline.period import MonthRange, resolve_period
from pipeline_ops.pipeline.runs.stage_run import StageContext, stage_run

Printer = Callable[[str], None]


@dataclass(frozen=True)
class StageCall:
    """What a caller asked of a stage: whose data, which period, where output goes."""

    entity: str
    year: int
    months: MonthRange | None = None
    parent: PipelineRun | None = None
    queued: PipelineRun | None = None
    on_wait: Printer | None = None
    out: Printer | None = None
    options: dict[str, Any] = field(default_factory=dict)

    def say(self, line: str) -> None:
        """Print to the caller's output, if it gave one (a worker task gives none)."""
        if self.out:
            self.out(line)

    def option(self, name: str, default: Any = None) -> Any:
        return self.options.get(name, default)

    def but(self, **changes: Any) -> StageCall:
        return replace(self, **changes)

    def nested(self, parent: PipelineRun, **options: Any) -> dict[str, Any]:
        """Keyword arguments for a stage run inside this one (a sync's extract)."""
        return {"parent": parent, "out": self.out, **options}


def tell(call: StageCall, ctx: StageContext, *lines: str) -> None:
    """Keep the lines in the run's log and show them to the caller."""
    for line in lines:
        ctx.log(line)
        call.say(line)


Body = Callable[[StageCall, StageContext], None]


def recorded(
    stage: str,
    *,
    options: tuple[str, ...] = (),
    prepare: Callable[[StageCall], StageCall] | None = None,
) -> Callable[[Body], Callable[..., PipelineRun]]:
    """`prepare` checks and completes the call before any run record exists (bad flags fail
    without a failed run: a report period that cannot be, publish without months)."""

    def wrap(body: Body) -> Callable[..., PipelineRun]:
        @functools.wraps(body)
        def run(entity: str, year: int | None = None, months: MonthRange | None = None, *,
                parent: PipelineRun | None = None, queued: PipelineRun | None = None,
                on_wait: Printer | None = None, out: Printer | None = None,
                **given: Any) -> PipelineRun:  # fmt: skip
            unknown = sorted(set(given) - set(options))
            if unknown:
                raise TypeError(f"stage {stage} takes no option {', '.join(unknown)}")
            call = StageCall(entity, year, months, parent, queued, on_wait, out, given)
            call = prepare(call) if prepare else call
            with stage_run(stage, call.entity, call.year, call.months, parent=call.parent,
                           queued=call.queued, on_wait=call.on_wait,
                           options=kept_options(stage, call.options)) as ctx:  # fmt: skip
                body(call, ctx)
            return ctx.run

        run.stage = stage
        return run

    return wrap


def kept_options(stage: str, options: dict[str, Any]) -> dict[str, Any]:
    """The registry's `run_options` a call was given, as its run record keeps them: a re-run
    from the admin calls the stage the same way (`report --type yearly` stays yearly)."""
    keys = registry.STAGES[stage].run_options if stage in registry.STAGES else ()
    kept = {key: options[key] for key in keys if options.get(key) is not None}
    return {key: list(v) if isinstance(v, tuple) else v for key, v in kept.items()}


def with_period(call: StageCall) -> StageCall:
    """Resolve the report period once, before any run record: a period the flags cannot
    describe fails without a failed run, and format and present reuse the report's."""
    if call.option("period") is not None:
        return call
    period = resolve_period(
        call.entity, call.year, call.months, call.option("report_type", "monthly"),
        call.option("unit"),
    )  # fmt: skip
    return call.but(options={**call.options, "period": period})
