"""`rebuild_warehouse`: a new warehouse from every active entity's workbooks.

The recovery procedure for a lost, damaged or replaced warehouse (docs/operations.md). The
current file, if any, is moved aside (kept, never deleted), then every workbook-year in
the sources folders is synced with one dbt build (stages/batch.py). The new file's run ids
start after every id the Django history holds, and the stages inside adopt it
(runs/identity.py), so the history stays consistent.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from pipeline_ops.pipeline.runs.calls import Printer
from pipeline_ops.pipeline.runs.identity import adopting
from pipeline_ops.pipeline.runs.locking import pipeline_lock
from pipeline_ops.pipeline.runs.warehouse import warehouse_path
from pipeline_ops.pipeline.stages.batch import Outcome, sync_all


def rebuild_warehouse(
    *, out: Printer | None = None, on_wait: Printer | None = None
) -> tuple[Path | None, list[Outcome]]:
    """(where the old file went, what happened to each entity-year)."""
    with pipeline_lock({"stage": "rebuild_warehouse"}, on_wait=on_wait):
        kept = _move_aside(warehouse_path())
        if kept and out:
            out(f"The old warehouse was moved to {kept}")
        with adopting():
            return kept, sync_all(out=out)


def _move_aside(path: Path) -> Path | None:
    """DuckDB's write-ahead log travels with its file."""
    if not path.exists():
        return None
    stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
    kept = path.with_name(f"{path.name}.replaced-{stamp}")
    for suffix in ("", ".wal"):
        source = Path(f"{path}{suffix}")
        if source.exists():
            source.rename(Path(f"{kept}{suffix}"))
    return kept
