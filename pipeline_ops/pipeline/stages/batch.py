"""`sync --all [--changed]` and `rebuild_warehouse`: many entity-years, one dbt build.

Each entity-year gets its own `sync` run (extract → load → validate children, as a single
sync has), all held open while ONE scoped dbt build covers every entity-year that has
clean months; each then gets its own `transform` child recording that build. dbt start-up
(~2.5 s) is paid once per batch instead of once per entity. If the batch build fails, each
entity-year is built again on its own, so one bad workbook fails only itself.
With `changed_only`, an entity-year is skipped when its workbook's hash equals the last
successful extract's and the marts are not behind its last load.
"""

from __future__ import annotations

import contextlib
import re
from contextlib import AbstractContextManager
from dataclasses import dataclass

from pipeline_ops.models import Entity, PipelineRun
from pipeline_ops.pipeline.blocks import BlockedMonths
from pipeline_ops.pipeline.errors import PipelineError, Unexpected
from pipeline_ops.pipeline.paths import source_workbook, sources_dir
from pipeline_ops.pipeline.runs import stage_run as wrapper
from pipeline_ops.pipeline.runs.calls import Printer, StageCall
from pipeline_ops.pipeline.runs.locking import pipeline_lock
from pipeline_ops.pipeline.runs.warehouse import connect
from pipeline_ops.pipeline.stages import transform
from pipeline_ops.pipeline.stages.sync import run_children
from pipeline_ops.pipeline.state import read as state
from pipeline_ops.pipeline.workbook.sources import source_sha256

Pair = tuple[str, int]


@dataclass
class Outcome:
    """What the batch did for one entity-year: synced, blocked, failed or unchanged."""

    entity: str
    year: int
    status: str
    detail: str = ""
    orders: int | None = None

    def line(self) -> str:
        orders = f", {self.orders:,} orders" if self.orders is not None else ""
        detail = f": {self.detail}" if self.detail else ""
        return f"{self.entity} {self.year}: {self.status}{orders}{detail}"


def not_clean(outcomes: list[Outcome]) -> str | None:
    """The one line a command fails with when some entity-year did not sync cleanly."""
    bad = [o for o in outcomes if o.status in ("failed", "blocked")]
    if not bad:
        return None
    named = ", ".join(f"{o.entity} {o.year} {o.status}" for o in bad)
    return f"{len(bad)} of {len(outcomes)} workbook-year(s) did not sync cleanly: {named}"


def workbook_years() -> list[tuple[Entity, int]]:
    """Every active entity's workbooks in its sources folder, named `<CODE>-<YEAR>.xlsx`."""
    found = []
    for entity in Entity.objects.filter(active=True).order_by("code"):
        pattern = re.compile(rf"\A{re.escape(entity.code)}-(\d{{4}})\.xlsx\Z")
        folder = sources_dir(entity.code, entity.source_dir)
        names = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []
        found += [(entity, int(m.group(1))) for n in names if (m := pattern.match(n))]
    return found


def unchanged(entity: Entity, year: int) -> bool:
    path = source_workbook(entity.code, year, entity.source_dir)
    current = source_sha256(path)  # never a FIFO or a link out of the folder
    return current is not None and state.synced(entity.code, year, current)


def sync_all(
    *,
    changed_only: bool = False,
    out: Printer | None = None,
    on_wait: Printer | None = None,
    trigger: str = "command",
) -> list[Outcome]:
    """Sync every active entity's workbook-years (or the changed ones) with one dbt build;
    `trigger` names who asked (the nightly schedule says "schedule")."""
    say = out or (lambda _line: None)
    # The warehouse stays open across the batch: one connection for every stage in it.
    with pipeline_lock({"stage": "sync --all"}, on_wait=on_wait), connect():
        todo, outcomes = [], []
        for entity, year in workbook_years():
            if changed_only and unchanged(entity, year):
                outcomes.append(Outcome(entity.code, year, "unchanged"))
            else:
                todo.append((entity.code, year))
        say(f"sync --all: {len(todo)} workbook-year(s) to sync, {len(outcomes)} unchanged")
        outcomes += _sync_batch(todo, out, trigger)
    return sorted(outcomes, key=lambda o: (o.entity, o.year))


def _sync_batch(pairs: list[Pair], out: Printer | None, trigger: str) -> list[Outcome]:
    opened: dict[Pair, _Open] = {}
    failures: dict[Pair, BaseException] = {}
    crash: BaseException | None = None
    try:
        for pair in pairs:
            opened[pair] = _Open(wrapper.stage_run("sync", *pair, trigger=trigger))
            error = _prepare(pair, opened[pair].ctx, out)
            if error is not None:
                failures[pair] = error
        buildable = [p for p in pairs if _buildable(failures.get(p))]
        failures.update(_transform(buildable, {p: opened[p].ctx.run for p in buildable}, out))
    except BaseException as exc:  # a kill or a bug: every open sync is recorded failed
        crash = exc
        raise
    finally:
        for pair in reversed(list(opened)):
            opened[pair].close(crash or failures.get(pair))
    return [_outcome(pair, opened[pair].ctx, failures.get(pair)) for pair in pairs]


def _prepare(pair: Pair, ctx: wrapper.StageContext, out: Printer | None) -> PipelineError | None:
    """extract → load → validate of one entity-year, quietly: the batch prints one line."""
    try:
        error: PipelineError | None = run_children(StageCall(*pair), ctx, skip=("transform",))
    except PipelineError as exc:  # transform runs once for the whole batch
        error = exc
    except Exception as exc:  # one entity-year's surprise fails only itself
        error = Unexpected(exc)
    if out:
        out(f"[{pair[0]} {pair[1]}] " + (str(error) if error else f"{ctx.row_count:,} orders"))
    return error


def _buildable(error: BaseException | None) -> bool:
    return error is None or (isinstance(error, BlockedMonths) and bool(error.clean))


def _transform(
    pairs: list[Pair], parents: dict[Pair, PipelineRun], out
) -> dict[Pair, BaseException]:
    """One build for all; if it fails, one build each. Returns the pairs that failed."""
    if not pairs:
        return {}
    failed = _build(pairs, parents, out)
    if failed and len(pairs) > 1:
        failed = {}
        for pair in pairs:
            failed.update(_build([pair], parents, out))
    return failed


def _build(pairs: list[Pair], parents: dict[Pair, PipelineRun], out) -> dict[Pair, BaseException]:
    runs = {p: _Open(wrapper.stage_run("transform", *p, parent=parents[p])) for p in pairs}
    error: BaseException | None = None
    try:
        result = transform.build(pairs)
        for pair in pairs:
            transform.finish(runs[pair].ctx, result, partial=False)
    except PipelineError as exc:
        error = exc
    except Exception as exc:  # recorded as a failed build, never as a success
        error = Unexpected(exc)
    finally:
        for pair in reversed(pairs):
            runs[pair].close(error)
    if out and error is None:
        out(f"[transform] one dbt build for {len(pairs)} entity-year(s) in {result.seconds:.1f}s")
    return {pair: error for pair in pairs} if error else {}


def _outcome(pair: Pair, ctx: wrapper.StageContext, error: BaseException | None) -> Outcome:
    orders = ctx.run.row_count
    if error is None:
        return Outcome(*pair, "synced", orders=orders)
    status = "blocked" if isinstance(error, BlockedMonths) and error.clean else "failed"
    return Outcome(*pair, status, str(error), orders)


class _Open:
    """A run record held open across the batch and closed with its own outcome (a `with`
    block would close every one of them with the same exception)."""

    def __init__(self, manager: AbstractContextManager[wrapper.StageContext]):
        self.manager = manager
        self.ctx = manager.__enter__()

    def close(self, error: BaseException | None) -> None:
        if error is None:
            self.manager.__exit__(None, None, None)
            return
        # Records the failure. The wrapper re-raises `error` (then __exit__ just returns) or,
        # for a surprise, its one-line form, which the batch already holds.
        with contextlib.suppress(Unexpected):
            self.manager.__exit__(type(error), error, error.__traceback__)
