"""Evidence timings on the 120k-order year (BENCH 2026, synced by bench/common.py): what
keeping a report's evidence costs its build, and how fast a figure's evidence page is
(issue 24, "Where a number comes from").

- The yearly report of BENCH 2026 (`run_report`: format + present + kept build), built in
  3 rounds of three variants, run back to back so each round shares the machine's load:
  without evidence (the format stage keeps an empty evidence table, the XLSX no Orders
  sheet), with the Parquet evidence only, and as shipped. The variants are this process's
  patches; the product is not changed. Overhead = the median of the rounds' ratios to the
  build without evidence, the Parquet and Orders-sheet parts apart. Target ≤ 25 %. A
  cross-check in the note: the parts timed alone (evidence query, Parquet write, the
  XLSX with minus without its evidence file; median of 3) over that build.
- The evidence page of the yearly report's revenue, of its largest program's revenue and of
  page 100 of that, a GET through Django's test Client as a superuser (median of 5). A web
  process answers a file's totals and filter choices once (evidence_page._once), so each
  GET starts with that cache empty: the first view of a figure, the slow case; the warm
  median is in the note. Target ≤ 0.5 s. The whole year's revenue as CSV (median of 3)
  and that program's as XLSX (one run) are recorded; neither has a target.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from unittest import mock

from bench import common

ENTITY, YEAR = common.BIG_ENTITY, common.BIG_YEAR
OVERHEAD_TARGET, PAGE_TARGET_S = 0.25, 0.5
BENCH_USER = "bench-evidence"
ROUNDS = 3
VARIANTS = ("none", "parquet", "full")  # "full" last: the pages read a real evidence file


def bench(workdir: Path) -> list[dict]:
    common.big_synced()
    from pipeline_ops.pipeline.stages.report import resolve_period

    builds = _paired_builds()
    period = resolve_period(ENTITY, YEAR, None, "yearly", None)
    report = json.loads(period.path(".json").read_text())
    return _build_rows(report, builds, workdir) + _page_rows(period.stem, report)


def _paired_builds() -> dict[str, list[float]]:
    """Seconds of each variant's yearly build, one list per variant, a round per index."""
    from pipeline_ops.pipeline.stages.report import run_report

    run_report(ENTITY, YEAR, None, report_type="yearly")  # warm: imports, templates, caches
    found: dict[str, list[float]] = {name: [] for name in VARIANTS}
    for _ in range(ROUNDS):
        for name in VARIANTS:
            with ExitStack() as patches:
                for patch in _without(name):
                    patches.enter_context(patch)
                started = time.perf_counter()
                run_report(ENTITY, YEAR, None, report_type="yearly")
                found[name].append(time.perf_counter() - started)
    return found


def _without(variant: str) -> list:
    """Patches that leave out what the variant does not keep: the Orders sheet (the XLSX is
    written without its evidence file), and for "none" the evidence rows too (the format
    stage writes an empty table: the same files, no orders)."""
    import pyarrow as pa

    from pipeline_ops.pipeline.evidence import store
    from pipeline_ops.pipeline.reports.xlsx import write_xlsx
    from pipeline_ops.pipeline.stages import present

    patches = []
    if variant != "full":

        def bare(report: dict, path: Path, evidence: Path | None = None) -> None:
            write_xlsx(report, path)

        patches.append(mock.patch.object(present, "write_xlsx", bare))
    if variant == "none":
        empty = pa.table({"invoice": pa.array([], pa.string())})
        patches.append(mock.patch.object(store, "evidence_table", lambda con, report: empty))
    return patches


def _build_rows(report: dict, builds: dict[str, list[float]], workdir: Path) -> list[dict]:
    none, parquet, full = (builds[name] for name in VARIANTS)
    total = statistics.median(f / n - 1 for f, n in zip(full, none, strict=True))
    kept = statistics.median(p / n - 1 for p, n in zip(parquet, none, strict=True))
    sheet = statistics.median((f - p) / n for f, p, n in zip(full, parquet, none, strict=True))
    verdict = "met" if total <= OVERHEAD_TARGET else "MISSED"
    note = (
        f"evidence adds {total:+.0%} (median of {ROUNDS} paired ratios; target ≤"
        f" {OVERHEAD_TARGET:.0%}): {verdict}; Parquet part {kept:+.0%}, Orders sheet"
        f" {sheet:+.0%}; {_parts_alone(report, statistics.median(none), workdir)}"
    )
    orders, seconds = (
        report["orders"]["total"],
        {k: statistics.median(v) for k, v in builds.items()},
    )
    return [
        {"stage": "report yearly 120k, evidence", "rows": orders, "seconds": seconds["full"],
         "baseline": seconds["none"], "baseline_name": "no evidence", "note": note},
        {"stage": "  … Parquet only, no Orders", "rows": orders, "seconds": seconds["parquet"]},
        {"stage": "  … no evidence", "rows": orders, "seconds": seconds["none"]},
    ]  # fmt: skip


def _parts_alone(report: dict, bare: float, workdir: Path) -> str:
    """The parts timed alone, over the build without evidence (measured, not a difference)."""
    query, parquet, sheet = _evidence_parts(report, workdir)
    return (
        f"timed alone: query {query:.2f} s + Parquet write {parquet:.2f} s"
        f" ({(query + parquet) / bare:+.0%}), Orders sheet {sheet:.2f} s ({sheet / bare:+.0%})"
        f" over the {bare:.2f} s build without evidence"
    )


def _evidence_parts(report: dict, workdir: Path) -> tuple[float, float, float]:
    """Seconds (median of 3) of the evidence query, its Parquet write, and the Orders sheet
    (the report's XLSX with its evidence file minus the same XLSX without it)."""
    from pipeline_ops.pipeline.evidence import store
    from pipeline_ops.pipeline.reports.xlsx import write_xlsx
    from pipeline_ops.pipeline.runs.locking import pipeline_lock
    from pipeline_ops.pipeline.runs.warehouse import connect

    out = Path(tempfile.mkdtemp(prefix="evidence-", dir=workdir))
    # One connection for the report and its evidence, as the build's format stage opens.
    with pipeline_lock({"stage": "bench evidence"}), connect() as con:
        query = common.median_seconds(lambda: store.evidence_table(con, report), 3)
        table = store.evidence_table(con, report)
    parquet_path = out / f"yearly{store.SUFFIX}"
    parquet = common.median_seconds(lambda: store.write(table, parquet_path), 3)
    with_sheet = common.median_seconds(
        lambda: write_xlsx(report, out / "with.xlsx", parquet_path), 3
    )
    without = common.median_seconds(lambda: write_xlsx(report, out / "without.xlsx"), 3)
    return query, parquet, with_sheet - without


def _page_rows(stem: str, report: dict) -> list[dict]:
    from django.urls import reverse

    from pipeline_ops.console import evidence_page

    client, base = _client(), reverse("figure_evidence", args=[ENTITY, stem])
    program = max(report["programs"], key=lambda p: p["revenue"])["code"]
    cases = [
        ("evidence page: revenue", "figure=revenue", 5),
        (f"evidence page: {program} revenue", f"figure=revenue&program={program}", 5),
        (f"  … page 100 of {program}", f"figure=revenue&program={program}&page=100", 5),
    ]
    rows = []
    for stage, query, rounds in cases:
        url = f"{base}?{query}"
        cold = common.median_seconds(lambda u=url: _get(client, u, evidence_page), rounds)
        warm = common.median_seconds(lambda u=url: _get(client, u), rounds)
        verdict = "met" if cold <= PAGE_TARGET_S else "MISSED"
        note = (
            f"first view (totals not yet cached) {cold:.3f} s, warm {warm:.3f} s, median of"
            f" {rounds} GETs; target ≤ {PAGE_TARGET_S:g} s: {verdict}"
        )
        rows.append({"stage": stage, "rows": None, "seconds": cold, "note": note})
    return rows + _download_rows(client, base, report, program)


def _download_rows(client, base: str, report: dict, program: str) -> list[dict]:
    """The whole year's revenue as CSV; a program's as XLSX (the year's takes minutes)."""
    orders = report["orders"]["total"] - report["orders"]["cancelled"]  # revenue: no BATAL
    csv = common.median_seconds(lambda: _get(client, f"{base}?figure=revenue&format=csv"), 3)
    query = f"figure=revenue&program={program}&format=xlsx"
    xlsx = common.median_seconds(lambda: _get(client, f"{base}?{query}"), 1)
    enrolled = next(p["enrollments"] for p in report["programs"] if p["code"] == program)
    return [
        {"stage": "evidence CSV: revenue (median 3)", "rows": orders, "seconds": csv,
         "note": "the whole year's revenue orders; no target, recorded"},
        {"stage": f"evidence XLSX: {program} (1 run)", "rows": enrolled, "seconds": xlsx,
         "note": "one program's revenue orders; no target, recorded"},
    ]  # fmt: skip


def _client():
    """A test Client logged in as a superuser of the bench's own database, on an allowed
    host (the settings allow localhost, not the Client's default `testserver`)."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    user = get_user_model().objects.filter(username=BENCH_USER).first()
    if user is None:
        user = get_user_model().objects.create_superuser(BENCH_USER, "bench@example.com", None)
    client = Client(SERVER_NAME="localhost")
    client.force_login(user)
    return client


def _get(client, url: str, cache_of=None) -> None:
    """GET `url` (its body read whole, a download streamed to the end); `cache_of`, a module
    with the per-process `_ANSWERS`, is emptied first."""
    if cache_of is not None:
        cache_of._ANSWERS.clear()
    response = client.get(url)
    body = b"".join(response) if response.streaming else response.content
    if response.status_code != 200:
        raise RuntimeError(f"GET {url}: {response.status_code} {body[:300]!r}")
