"""Evidence timings on the 120k-order year (BENCH 2026, synced by bench/common.py): what
keeping a report's evidence costs its build, and how fast a figure's evidence page is
(issue 24, "Where a number comes from").

- The yearly report of BENCH 2026 (`run_report`: format + present + kept build, median of
  3), and inside it the evidence's own parts, each timed alone (median of 3): the evidence
  query (`store.evidence_table`, its check against the report included) + its Parquet
  write, and the XLSX "Orders" sheet (`write_xlsx` with the evidence file minus without).
  Target: evidence ≤ 25 % on top of the build without it.
- The evidence page of the yearly report's revenue, of its largest program's revenue and of
  page 100 of that, a GET through Django's test Client as a superuser (median of 5). A web
  process answers a file's totals and filter choices once (evidence_page._once), so each
  GET starts with that cache empty: the first view of a figure, the slow case; the warm
  median is in the note. Target ≤ 0.5 s. The whole year's revenue as CSV (median of 3)
  and that program's as XLSX (one run) are recorded; neither has a target.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from bench import common

ENTITY, YEAR = common.BIG_ENTITY, common.BIG_YEAR
OVERHEAD_TARGET, PAGE_TARGET_S = 0.25, 0.5
BENCH_USER = "bench-evidence"


def bench(workdir: Path) -> list[dict]:
    common.big_synced()
    from pipeline_ops.pipeline.stages.report import resolve_period, run_report

    build = common.median_seconds(lambda: run_report(ENTITY, YEAR, None, report_type="yearly"), 3)
    period = resolve_period(ENTITY, YEAR, None, "yearly", None)
    report = json.loads(period.path(".json").read_text())
    return _build_rows(report, build, workdir) + _page_rows(period.stem, report)


def _build_rows(report: dict, build: float, workdir: Path) -> list[dict]:
    query, parquet, orders_sheet = _evidence_parts(report, workdir)
    evidence = query + parquet + orders_sheet
    overhead = evidence / (build - evidence)
    verdict = "met" if overhead <= OVERHEAD_TARGET else "MISSED"
    note = (
        f"evidence {evidence:.2f} s of the {build:.2f} s build: +{overhead:.0%} over the build"
        f" without it (target ≤ {OVERHEAD_TARGET:.0%}): {verdict}; Parquet part (query"
        f" {query:.2f} s + write {parquet:.2f} s) +{(query + parquet) / (build - evidence):.0%},"
        f" Orders sheet {orders_sheet:.2f} s +{orders_sheet / (build - evidence):.0%}"
    )
    orders = report["orders"]["total"]
    return [
        {"stage": "report yearly 120k (median of 3)", "rows": orders, "seconds": build,
         "baseline": build - evidence, "baseline_name": "without evidence", "note": note},
        {"stage": "  evidence query + Parquet", "rows": orders, "seconds": query + parquet},
        {"stage": "  evidence XLSX Orders sheet", "rows": orders, "seconds": orders_sheet},
    ]  # fmt: skip


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
