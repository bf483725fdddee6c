"""`make bench`: runs the bench/bench_*.py modules and prints one table.

Each module defines `bench(workdir: Path) -> list[dict]` returning rows with keys stage,
rows, seconds and optionally baseline (seconds), baseline_name, note (its targets, printed
under the table), peak_rss_mib. This file owns the output: progress goes to stderr, the
table and its notes to stdout. `bench/run.py extract sync` runs just those modules.

Modules run in RUN_ORDER: the demo-year sync and transform first, so dbt builds a warehouse
holding only the demo years (the size their targets were set for); the 120k-order year
comes after. Rows print in DISPLAY_ORDER, following the pipeline's stages.
"""

from __future__ import annotations

import importlib
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RUN_ORDER = ["sync", "report", "extract", "memory", "publish"]
DISPLAY_ORDER = ["extract", "sync", "publish", "report", "memory"]
COLUMNS = (("stage", 32, "<"), ("rows", 10, ">"), ("seconds", 9, ">"), ("rows/s", 11, ">"),
           ("baseline", 23, ">"), ("ratio", 8, ">"))  # fmt: skip


def modules(only: list[str]) -> list[str]:
    found = {p.stem.removeprefix("bench_") for p in (ROOT / "bench").glob("bench_*.py")}
    unknown = set(only) - found
    if unknown:
        raise SystemExit(f"unknown bench module(s): {', '.join(sorted(unknown))}")
    order = RUN_ORDER + sorted(found - set(RUN_ORDER))
    return [name for name in order if name in found and (not only or name in only)]


def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="atlas-bench-"))
    os.environ["PIPELINE_DATA_DIR"] = str(workdir / "data")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    results: dict[str, list[dict]] = {}
    started = time.perf_counter()
    for name in modules(sys.argv[1:]):
        print(f"-- bench_{name}", file=sys.stderr, flush=True)
        module_started = time.perf_counter()
        results[name] = importlib.import_module(f"bench.bench_{name}").bench(workdir)
        print(f"   {time.perf_counter() - module_started:.0f}s", file=sys.stderr, flush=True)
    display = DISPLAY_ORDER + sorted(set(results) - set(DISPLAY_ORDER))
    rows = [row for name in display for row in results.get(name, [])]
    print(machine())
    print_table(rows)
    print(f"\nbench total {time.perf_counter() - started:.0f}s, data in {workdir}")
    return 0


def machine() -> str:
    import duckdb

    versions = f"Python {platform.python_version()}, DuckDB {duckdb.__version__}"
    try:
        from importlib.metadata import version

        versions += f", dbt-core {version('dbt-core')}, dbt-duckdb {version('dbt-duckdb')}"
    except Exception:  # versions are informational only
        pass
    return f"{platform.node()}: {os.cpu_count()} CPUs, {platform.platform()}; {versions}"


def format_row(row: dict) -> list[str]:
    seconds, rows, base = row["seconds"], row.get("rows"), row.get("baseline")
    return [
        row["stage"],
        f"{rows:,}" if rows is not None else "-",
        f"{seconds:.2f}",
        f"{rows / seconds:,.0f}" if rows and seconds else "-",
        f"{row.get('baseline_name', '')} {base:.2f}s".strip() if base else "-",
        _ratio(base / seconds) if base and seconds else "-",
    ]


def _ratio(value: float) -> str:
    return f"{value:.0f}x" if value >= 100 else f"{value:.1f}x" if value >= 10 else f"{value:.2f}x"


def _line(cells: list[str]) -> str:
    pairs = zip(cells, COLUMNS, strict=True)
    return "".join(f"{cell:{align}{width}}" for cell, (_, width, align) in pairs)


def print_table(rows: list[dict]) -> None:
    header = _line([name for name, _, _ in COLUMNS])
    print("\n" + header + "\n" + "-" * len(header))
    for row in rows:
        print(_line(format_row(row)))
    notes = [row for row in rows if row.get("note")]
    if notes:
        print("\nnotes (ratio = baseline seconds / seconds; targets from issues 3–6):")
    for row in notes:
        print(f"  {row['stage']}: {row['note']}")
    for row in rows:
        if row.get("peak_rss_mib") is not None:
            print(f"\npeak memory (RSS) of a {row.get('rows') or 0:,}-order sync:"
                  f" {row['peak_rss_mib']:,.0f} MiB")  # fmt: skip


if __name__ == "__main__":
    raise SystemExit(main())
