"""Intake preview of a 120k-order workbook against a 120k-order current version: the
extract checks, every validation rule and the order diff in DuckDB (issue 14).

Target: ≤ 3 s. The current version's typed orders come from its last extract when that
extract was made from the same file (as after a sync); the bench extracts it first, as
the extract module does when it runs before this one.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from bench import common

TARGET_S = 3.0


def bench(workdir: Path) -> list[dict]:
    from pipeline_ops.pipeline.demo.workbooks import write_demo_workbook
    from pipeline_ops.pipeline.intake.preview import preview_workbook
    from pipeline_ops.pipeline.paths import extracts_dir
    from pipeline_ops.pipeline.stages.extract import extract_workbook

    current = common.big_workbook()
    entity, year = common.BIG_ENTITY, common.BIG_YEAR
    offered = workdir / "intake-offered" / current.name
    offered.parent.mkdir(exist_ok=True)
    # Another 120k-order year of the same entity: every month has orders added and removed.
    write_demo_workbook(offered, entity=entity, year=year,
                        rows_per_month=common.BIG_ROWS_PER_MONTH - 10)  # fmt: skip
    extract_workbook(current, entity, year, None, extracts_dir(entity, year))
    scratch = Path(tempfile.mkdtemp(dir=workdir))
    started = time.perf_counter()
    preview = preview_workbook(offered, entity, year, current, scratch)
    seconds = time.perf_counter() - started
    shutil.rmtree(scratch, ignore_errors=True)
    s = preview.summary
    return [{
        "stage": "intake preview (120k vs 120k)", "rows": s["orders"], "seconds": seconds,
        "note": f"target ≤ {TARGET_S:g} s: {'met' if seconds <= TARGET_S else 'MISSED'}"
                f" ({s['added']:,} added, {s['removed']:,} removed, {s['changed']:,} changed,"
                f" {s['errors'] + s['warnings']:,} issues)",
    }]  # fmt: skip
