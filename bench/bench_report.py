"""Report timings (format + present, charts included, and keeping the build) on the demo
years: monthly, a unit's monthly, quarterly, yearly.

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
    ("report monthly (2026-02)", MonthRange(2, 2), "monthly", None, None),
    ("report monthly TM (2026-02-TM)", MonthRange(2, 2), "monthly", "TM", None),
    ("report quarterly (Q1)", MonthRange(1, 3), "quarterly", None, None),
    ("report yearly (2026)", None, "yearly", None, 3.0),
]


def _prepare() -> None:
    for year in common.DEMO_YEARS:
        common.demo_synced(year)


def _time(months: MonthRange | None, kind: str, unit: str | None) -> tuple[float, int]:
    import json

    from pipeline_ops.pipeline.stages.report import resolve_period, run_report

    started = time.perf_counter()
    run_report(ENTITY, YEAR, months, report_type=kind, unit=unit)
    seconds = time.perf_counter() - started
    period = resolve_period(ENTITY, YEAR, months, kind, unit)
    report = json.loads(period.path(".json").read_text())
    return seconds, report["orders"]["total"]


def bench(workdir: Path) -> list[dict]:
    _prepare()
    rows = []
    for stage, months, kind, unit, target in CASES:
        seconds, orders = _time(months, kind, unit)
        row = {"stage": stage, "rows": orders, "seconds": seconds}
        if target:
            verdict = "met" if seconds <= target else "MISSED"
            row["note"] = f"target ≤ {target:g} s (got {seconds:.2f} s): {verdict}"
        rows.append(row)
    return rows
