"""Data the bench modules share within one `bench/run.py` run, prepared at most once.

Two data sets live side by side in the bench's PIPELINE_DATA_DIR:
- the demo years (IONS 2025 + 2026, `seed --demo` default ≈18k orders a year) for sync,
  transform and report timings — the sizes their targets were set for;
- a 120k-order year (BENCH 2026, 10,000 rows a month) for extract/load/validate, the
  peak-memory sync and publish. Generating that workbook and syncing it cost the most, so
  every module asks for them here instead of doing it again.

Each module still works alone (`bench/run.py publish`): whatever it needs is prepared on
first use.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO_ENTITY, DEMO_YEARS = "IONS", (2025, 2026)
BIG_ENTITY, BIG_YEAR, BIG_ROWS_PER_MONTH = "BENCH", 2026, 10_000

_done: dict[str, object] = {}


@dataclass(frozen=True)
class ChildSync:
    """`manage.py sync` run as a child process: wall time, orders, peak RSS."""

    seconds: float
    rows: int | None
    peak_rss_kib: int
    workbook_bytes: int


def median_seconds(call, rounds: int = 5) -> float:
    """The median wall time of `call()` over `rounds` runs."""
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def once(key: str, make):
    if key not in _done:
        _done[key] = make()
    return _done[key]


def demo_seeded() -> None:
    from pipeline_ops.pipeline.demo.seed import seed_entity

    once("demo-seed", lambda: seed_entity(DEMO_ENTITY, demo=True, years=list(DEMO_YEARS)))


def demo_synced(year: int) -> tuple[float, object]:
    """Sync a demo year once; (wall seconds, parent run) of that one sync."""

    def sync() -> tuple[float, object]:
        from pipeline_ops.pipeline.stages.sync import run_sync

        demo_seeded()
        started = time.perf_counter()
        parent = run_sync(DEMO_ENTITY, year)
        return time.perf_counter() - started, parent

    return once(f"demo-sync-{year}", sync)


def big_workbook() -> Path:
    """The 120k-order workbook and the entity's ops DB reference rows (`seed --demo`)."""

    def seed() -> Path:
        from pipeline_ops.pipeline.demo.seed import seed_entity

        result = seed_entity(
            BIG_ENTITY, demo=True, rows_per_month=BIG_ROWS_PER_MONTH, years=[BIG_YEAR]
        )
        return result.workbooks[0]

    return once("big-seed", seed)


def big_synced() -> ChildSync:
    """Sync the 120k year in a child `manage.py sync`, measuring its peak memory."""

    def sync() -> ChildSync:
        path = big_workbook()
        seconds, peak = child_sync(BIG_ENTITY, BIG_YEAR)
        return ChildSync(seconds, last_sync_rows(BIG_ENTITY), peak, path.stat().st_size)

    return once("big-sync", sync)


def child_sync(entity: str, year: int) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of `manage.py sync` in a child process.

    os.wait4 gives the child's own rusage, in which Linux folds the processes it waited
    for (its dbt subprocess): ru_maxrss is the largest single process of the two, not
    their sum. getrusage(RUSAGE_CHILDREN) would also count our earlier children.
    """
    log = Path(os.environ["PIPELINE_DATA_DIR"]) / f"child-sync-{entity}-{year}.log"
    command = [sys.executable, str(ROOT / "manage.py"), "sync", "--entity", entity]
    command += ["--year", str(year)]
    started = time.perf_counter()
    with open(log, "wb") as out:
        proc = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        _pid, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        tail = log.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"manage.py sync exited {proc.returncode}:\n{tail}")
    return seconds, usage.ru_maxrss


def last_sync_rows(entity: str) -> int | None:
    from pipeline_ops.models import PipelineRun

    run = PipelineRun.objects.filter(
        entity__code=entity, stage="sync", parent__isnull=True, status="success"
    ).first()  # Meta.ordering: newest first
    return run.row_count if run else None
