"""Report timings (format + present) on the demo years: monthly, quarterly, yearly.

Needs a synced demo warehouse: `seed --demo` writes IONS-2025/2026 workbooks, both years
are synced (outside the timings; bench/common.py shares the 2026 sync with bench_sync).
Target: a yearly report in ≤ 3 s.
"""

from __future__ import annotations

import time
from pathlib import Path

from bench import common
from pipeline_ops.pipeline.cli import MonthRange

ENTITY, YEAR = common.DEMO_ENTITY, 2026
CASES = [
    ("report monthly (2026-02)", MonthRange(2, 2), "monthly", None),
    ("report quarterly (Q1)", MonthRange(1, 3), "quarterly", None),
    ("report yearly (2026)", None, "yearly", 3.0),
]


def _prepare() -> None:
    for year in common.DEMO_YEARS:
        common.demo_synced(year)


def _time(months: MonthRange | None, kind: str) -> tuple[float, int]:
    import json

    from pipeline_ops.pipeline.stages.report import resolve_period, run_report

    started = time.perf_counter()
    run_report(ENTITY, YEAR, months, report_type=kind)
    seconds = time.perf_counter() - started
    report = json.loads(resolve_period(ENTITY, YEAR, months, kind).path(".json").read_text())
    return seconds, report["orders"]["total"]


def bench(workdir: Path) -> list[dict]:
    _prepare()
    rows = []
    for stage, months, kind, target in CASES:
        seconds, orders = _time(months, kind)
        row = {"stage": stage, "rows": orders, "seconds": seconds}
        if target:
            verdict = "met" if seconds <= target else "MISSED"
            row["note"] = f"target ≤ {target:g} s (got {seconds:.2f} s): {verdict}"
        rows.append(row)
    return rows
