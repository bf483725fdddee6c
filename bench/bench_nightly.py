"""The nightly batch: 12 demo-sized entity-years (6 entities × 2025, 2026), 2 changed.

Runs in its own data dir and Django database (child `manage.py` processes), so the other
modules' entities are not part of its `sync --all`. Targets (issue 13):
- `sync --all --changed` with nothing changed ≤ 1.5 s;
- with 2 workbooks changed ≤ 1.5 × one single-entity `sync`;
- a full `sync --all` of the 12 ≥ 3 × faster than 12 separate `sync` calls.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench import common

ENTITIES = [f"N{n:02d}" for n in range(1, 7)]
YEARS = (2025, 2026)
NOTHING_TARGET_S = 1.5
CHANGED_TARGET = 1.5
BATCH_TARGET = 3.0


def _manage(env: dict, *args: str) -> float:
    started = time.perf_counter()
    command = [sys.executable, str(common.ROOT / "manage.py"), *args]
    proc = subprocess.run(command, cwd=common.ROOT, env=env, capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} exited {proc.returncode}:\n{proc.stderr}")
    return time.perf_counter() - started


def _setup(data: Path) -> dict:
    env = {**os.environ, "PIPELINE_DATA_DIR": str(data)}
    env.pop("DATABASE_URL", None)  # its own SQLite database in `data`
    _manage(env, "migrate", "--noinput")
    first = ENTITIES[0]
    _manage(env, "seed", "--entity", first, "--demo", "--years", ",".join(map(str, YEARS)))
    for code in ENTITIES[1:]:
        folder = data / "sources" / code
        folder.mkdir(parents=True)
        for year in YEARS:
            shutil.copy(
                data / "sources" / first / f"{first}-{year}.xlsx", folder / f"{code}-{year}.xlsx"
            )
        _manage(env, "seed", "--entity", code)
    return env


def _change(env: dict, data: Path, pairs: list[tuple[str, int]]) -> None:
    """New bytes for these workbooks: the same demo generator with another size."""
    code = "from pathlib import Path\n"
    code += "from pipeline_ops.pipeline.demo.workbooks import write_demo_workbook as write\n"
    for entity, year in pairs:
        path = str(data / "sources" / entity / f"{entity}-{year}.xlsx")
        code += f"write(Path({path!r}), entity={entity!r}, year={year}, rows_per_month=1490)\n"
    _manage(env, "shell", "-c", code)


def bench(workdir: Path) -> list[dict]:
    data = workdir / "nightly"
    env = _setup(data)
    pairs = [(e, y) for e in ENTITIES for y in YEARS]
    singles = [_manage(env, "sync", "--entity", e, "--year", str(y)) for e, y in pairs]
    separate, one = sum(singles), statistics.median(singles)
    full = _manage(env, "sync", "--all")
    nothing = _manage(env, "sync", "--all", "--changed")
    _change(env, data, pairs[:2])
    changed = _manage(env, "sync", "--all", "--changed")
    return [
        _row("nightly: 12 separate syncs", separate, None, ""),
        _row("nightly: sync --all (12)", full, separate,
             f"≥ {BATCH_TARGET:g}x 12 separate syncs", separate / full >= BATCH_TARGET),
        _row("nightly: --changed, none", nothing, None,
             f"≤ {NOTHING_TARGET_S:g} s", nothing <= NOTHING_TARGET_S),
        _row("nightly: --changed, 2 of 12", changed, one,
             f"≤ {CHANGED_TARGET:g}x one sync ({one:.1f} s)", changed <= CHANGED_TARGET * one),
    ]  # fmt: skip


def _row(stage: str, seconds: float, baseline: float | None, target: str, met=None) -> dict:
    row = {"stage": stage, "rows": None, "seconds": seconds}
    if baseline is not None:
        row.update(baseline=baseline, baseline_name="one sync" if "2 of" in stage else "separate")
    if target:
        row["note"] = f"target {target}: {'met' if met else 'MISSED'} ({seconds:.2f} s)"
    return row
