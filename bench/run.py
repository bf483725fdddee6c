"""`make bench`: runs every bench/bench_*.py module and prints one table.

Each module defines `bench(workdir: Path) -> list[dict]` returning rows with keys
stage, rows, seconds and optionally baseline (seconds), baseline_name, target.
"""

from __future__ import annotations

import importlib
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="atlas-bench-"))
    os.environ["PIPELINE_DATA_DIR"] = str(workdir / "data")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    only = sys.argv[1:]
    rows: list[dict] = []
    for path in sorted((ROOT / "bench").glob("bench_*.py")):
        if only and path.stem.removeprefix("bench_") not in only:
            continue
        module = importlib.import_module(f"bench.{path.stem}")
        print(f"-- {path.stem}", flush=True)
        rows += module.bench(workdir)
    print_table(rows)
    return 0


def print_table(rows: list[dict]) -> None:
    header = f"{'stage':<28}{'rows':>10}{'seconds':>10}{'rows/s':>12}{'baseline':>22}{'ratio':>9}"
    print("\n" + header + "\n" + "-" * len(header))
    for row in rows:
        seconds = row["seconds"]
        rate = f"{row['rows'] / seconds:,.0f}" if row.get("rows") and seconds else "-"
        base = row.get("baseline")
        base_text = f"{row.get('baseline_name', '')} {base:.2f}s" if base else "-"
        ratio = f"{base / seconds:.1f}x" if base and seconds else "-"
        rows_text = f"{row['rows']:,}" if row.get("rows") is not None else "-"
        print(
            f"{row['stage']:<28}{rows_text:>10}{seconds:>10.2f}{rate:>12}{base_text:>22}{ratio:>9}"
        )
        if row.get("note"):
            print(f"    {row['note']}")


if __name__ == "__main__":
    raise SystemExit(main())
