"""`sync` of the demo year (IONS 2026, `seed --demo` default ≈18k orders), stage by stage,
and `transform` against a bare `dbt build` of the same project and warehouse.

Targets: sync ≤ 15 s wall; transform's overhead over bare dbt ≤ 10 %. dbt timings are
noisy (process start, Python imports, a busy 2-core machine), so bare and transform run
in ROUNDS back-to-back pairs, alternating which goes first, and the overhead is the median
of the pairs' ratios (a pair shares the machine's momentary load).
"""

from __future__ import annotations

import re
import statistics
import subprocess
import time
from pathlib import Path

from bench import common

ENTITY, YEAR = common.DEMO_ENTITY, 2026
ROUNDS = 5
SYNC_TARGET_S = 15.0
OVERHEAD_TARGET = 0.10


def _sync() -> tuple[float, list[dict]]:
    wall, parent = common.demo_synced(YEAR)
    rows = []
    for child in parent.children.order_by("id"):
        seconds = (child.completed_at - child.started_at).total_seconds()
        # Every stage handles the year's orders; its own row_count (issues, mart rows) is not
        # a throughput.
        rows.append({"stage": f"sync: {child.stage}", "rows": parent.row_count, "seconds": seconds})
    return wall, rows


def _bare_dbt_build() -> float:
    from pipeline_ops.pipeline.dbt import dbt_command, dbt_env, project_dir
    from pipeline_ops.pipeline.runs.locking import pipeline_lock

    with pipeline_lock({"stage": "bench dbt build"}):
        started = time.perf_counter()
        subprocess.run(
            dbt_command(), env=dbt_env(), cwd=project_dir(), capture_output=True, check=True
        )
        return time.perf_counter() - started


def _transform() -> tuple[float, int | None, float]:
    """Wall seconds, mart rows, and the seconds spent outside the dbt subprocess."""
    from pipeline_ops.pipeline.stages.transform import run_transform

    started = time.perf_counter()
    run = run_transform(ENTITY, YEAR)
    wall = time.perf_counter() - started
    dbt_seconds = float(re.search(r"dbt exit code 0 in ([\d.]+)s", run.log).group(1))
    return wall, run.row_count, wall - dbt_seconds


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def bench(workdir: Path) -> list[dict]:
    wall, rows = _sync()
    rows.append(
        {
            "stage": "sync (wall)",
            "rows": rows[0]["rows"] if rows else None,
            "seconds": wall,
            "note": f"demo year; target ≤ {SYNC_TARGET_S:g} s (got {wall:.1f} s):"
            f" {_verdict(wall <= SYNC_TARGET_S)}",
        }
    )
    orders = rows[0]["rows"] if rows else None
    bare, app, outside, mart_rows = [], [], [], None
    for round_ in range(ROUNDS):
        if round_ % 2:
            bare.append(_bare_dbt_build())
        seconds, mart_rows, app_only = _transform()
        app.append(seconds)
        outside.append(app_only)
        if not round_ % 2:
            bare.append(_bare_dbt_build())
    bare_s, app_s = statistics.median(bare), statistics.median(app)
    overhead = statistics.median(a / b for a, b in zip(app, bare, strict=True)) - 1
    rows.append(
        {"stage": f"dbt build (bare, median of {ROUNDS})", "rows": orders, "seconds": bare_s}
    )
    rows.append(
        {
            "stage": f"transform (median of {ROUNDS})",
            "rows": orders,
            "seconds": app_s,
            "baseline": bare_s,
            "baseline_name": "dbt build",
            "note": f"overhead over bare dbt build {overhead:+.1%} (median of paired ratios;"
            f" target ≤ {OVERHEAD_TARGET:.0%}: {_verdict(overhead <= OVERHEAD_TARGET)});"
            f" {statistics.median(outside) * 1000:.0f} ms outside the dbt process;"
            f" {mart_rows or 0:,} mart rows built",
        }
    )
    return rows
