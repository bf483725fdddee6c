"""Peak memory (RSS) of a 120k-order sync: `manage.py sync` of BENCH 2026 (10,000 orders a
month, 12 months) as a child process, so the figure is that process alone (and its dbt
subprocess), not the bench's own heap.

Target: none set by the issues; recorded so a regression shows up in docs/performance.md.
"""

from __future__ import annotations

from pathlib import Path

from bench import common


def bench(workdir: Path) -> list[dict]:
    result = common.big_synced()
    mib = result.peak_rss_kib / 1024
    return [
        {
            "stage": "sync 120k (child process)",
            "rows": result.rows,
            "seconds": result.seconds,
            "peak_rss_mib": mib,
            "note": f"peak RSS {mib:,.0f} MiB (largest of manage.py sync and its dbt"
            f" subprocess; workbook {result.workbook_bytes / 2**20:.1f} MiB); wall time"
            " includes Python and Django start-up",
        }
    ]
