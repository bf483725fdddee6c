"""Preview one offered workbook: the extract checks and every validation rule on it, in a
scratch folder and an in-memory DuckDB, and its order diff against the current workbook.
Nothing here opens the warehouse or writes into `sources/`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

import duckdb

from pipeline_ops.pipeline.blocks import blocked_by
from pipeline_ops.pipeline.errors import PipelineError
from pipeline_ops.pipeline.intake.diff import diff_orders, month_totals
from pipeline_ops.pipeline.paths import extracts_dir
from pipeline_ops.pipeline.stages.extract import extract_workbook
from pipeline_ops.pipeline.stages.load import load_extracts, month_files, problem_months
from pipeline_ops.pipeline.stages.validate import ISSUE_COLUMNS, issue_order
from pipeline_ops.pipeline.text import printable
from pipeline_ops.pipeline.workbook.reader import Workbook
from pipeline_ops.pipeline.workbook.rules import ISSUES_SQL
from pipeline_ops.pipeline.workbook.sources import check_source, file_sha256

KINDS = ("added", "removed", "changed")
KEPT_ISSUES = 1000  # the preview page lists these; the counts cover all of them
KEPT_CHANGES = 20_000  # the diff pages list these; a whole new year is counted, not listed


@dataclass
class Preview:
    sha256: str
    base_sha256: str  # "" when there is no current workbook
    summary: dict
    changes: list[tuple]  # the first KEPT_CHANGES (kind, month, invoice, [[f, old, new], …])


def preview_workbook(path: Path, entity: str, year: int, current: Path | None,
                     scratch: Path) -> Preview:  # fmt: skip
    """Raises PipelineError, one line naming the file, when it cannot be read at all.
    `current` is the worker's private copy of the current workbook (versions.adopt_current):
    nothing here reads `sources/`."""
    check_source(path)
    new_dir = scratch / "new"
    extracted = extract_workbook(path, entity, year, None, new_dir)
    base = file_sha256(current) if current is not None and current.exists() else ""
    old = _current_orders(current, base, entity, year, scratch) if base else []
    new = [str(p) for p in sorted(new_dir.glob("orders-*.parquet"))]
    known = _known_issues(entity, year, old)
    # A month sheet the new workbook lacks its table for is blocked, not emptied: its
    # orders are unknown, so they are neither diffed as removed nor counted.
    compared = [f for f in old if int(Path(f).stem.split("-")[1]) not in extracted.problems]
    with duckdb.connect() as con:
        issues = _issues(con, entity, year, new_dir)
        changes, counts, touched = diff_orders(con, compared, new, KEPT_CHANGES)
        totals = (month_totals(con, compared), month_totals(con, new))
        _mark_new(con, issues, new, known)
    summary = summarise(issues, counts, totals, extracted.row_count)
    summary["touched_months"] = touched  # where orders changed, arrived or left
    summary["sheets"] = sorted([*extracted.orders, *extracted.blank, *extracted.problems])
    return Preview(extracted.sha256, base, summary, changes)


def _current_orders(current: Path, sha: str, entity: str, year: int, scratch: Path) -> list[str]:
    """The current workbook's typed orders: the last extract's files when they were all made
    from this very file (no second extract), else a fresh extract in the scratch folder."""
    kept = sorted(extracts_dir(entity, year).glob("orders-*.parquet"))
    if kept and _covers_every_month(current, kept):
        files = [str(p) for p in kept]
        with duckdb.connect() as con:
            hashes = con.execute(
                f"SELECT DISTINCT source_file_hash FROM read_parquet({files})"
            ).fetchall()
        if hashes == [(sha,)]:
            return files
    try:
        extract_workbook(current, entity, year, None, scratch / "old")
    except PipelineError:
        return []  # an unreadable current workbook: everything in the new one is added
    return [str(p) for p in sorted((scratch / "old").glob("orders-*.parquet"))]


def _covers_every_month(current: Path, kept: list[Path]) -> bool:
    """A month-scoped extract (`sync --month 2`) leaves only some months' files: then the
    kept files are not the whole workbook. (A blank month sheet has no file either; such a
    workbook is simply extracted again.)"""
    try:
        with Workbook(current) as book:
            months = set(book.month_sheets())
    except PipelineError:
        return False
    return months == {int(p.stem.split("-")[1]) for p in kept}


def _issues(con: duckdb.DuckDBPyConnection, entity: str, year: int, directory: Path) -> list:
    if not (directory / "programs.parquet").exists():
        return []
    broken = problem_months(directory, range(1, 13))
    files = (
        month_files(directory, None) if list(directory.glob("orders-*.parquet")) or broken else {}
    )
    months = sorted({*files, *broken})
    load_extracts(con, entity, year, files, directory, months)
    params = {"entity": entity, "year": year, "months": months or [0]}
    rows = con.execute(f"SELECT {', '.join(ISSUE_COLUMNS)} FROM ({ISSUES_SQL})", params)
    ordered = sorted(rows.fetchall(), key=issue_order)
    return [dict(zip(ISSUE_COLUMNS, row, strict=True)) for row in ordered]


def _row_invoices(con: duckdb.DuckDBPyConnection, files: list[str]) -> dict[tuple, str]:
    """(sheet, row) → upper-cased No Invoice of every extracted order row that has one."""
    if not files:
        return {}
    rows = con.execute(
        f"SELECT sheet, source_row, upper(invoice) FROM read_parquet({files},"
        " union_by_name = true) WHERE invoice IS NOT NULL"
    ).fetchall()
    return {(sheet, row): invoice for sheet, row, invoice in rows}


def _idents(issue: dict, invoices: dict[tuple, str]) -> set[tuple]:
    """Where an issue is: its cell and, on an order row with one, its invoice (rows move
    when staff insert one above, the invoice stays)."""
    sheet, _, ref = issue["cell"].rpartition("!")
    row = int("".join(ch for ch in ref if ch.isdigit()) or 0)
    found = {(issue["rule"], issue["message"], "cell", issue["cell"])}
    if invoice := invoices.get((sheet, row)):
        found.add((issue["rule"], issue["message"], "invoice", invoice))
    return found


def _known_issues(entity: str, year: int, old: list[str]) -> set[tuple] | None:
    """Every issue of the current workbook (same rule, cell or invoice, and message); None
    when there is no current workbook to compare with."""
    if not old:
        return None
    with duckdb.connect() as con:
        issues = _issues(con, entity, year, Path(old[0]).parent)
        invoices = _row_invoices(con, old)
    return set().union(*(_idents(i, invoices) for i in issues))


def _mark_new(con: duckdb.DuckDBPyConnection, issues: list[dict], new: list[str],
              known: set[tuple] | None) -> None:  # fmt: skip
    """Each issue's `new`: the current workbook does not have it."""
    invoices = _row_invoices(con, new) if known is not None else {}
    for issue in issues:
        issue["new"] = known is None or not (_idents(issue, invoices) & known)


def summarise(issues: list[dict], counts: dict[tuple[str, int], int], totals: tuple[dict, dict],
              orders: int) -> dict:  # fmt: skip
    """What the preview page, `intake --json` and the version row show."""
    errors = [i for i in issues if i["severity"] == "error"]
    months = sorted({month for _kind, month in counts} | {i["month"] for i in issues if i["month"]}
                    | set(totals[0]) | set(totals[1]))  # fmt: skip
    blocked = blocked_by(issues, months)
    return {
        "orders": orders,
        "errors": len(errors),
        "warnings": len(issues) - len(errors),
        **{kind: sum(n for (k, _m), n in counts.items() if k == kind) for kind in KINDS},
        "months": [_month(m, issues, counts, totals, m in blocked) for m in months],
        "issues": [_kept(i) for i in issues[:KEPT_ISSUES]],
        "new_issues": sum(1 for _ in _new(issues)),
        "issues_new": [_kept(i) for i in islice(_new(issues), KEPT_ISSUES)],
    }


def _new(issues: list[dict]) -> Iterator[dict]:
    return (i for i in issues if i.get("new", True))


def _kept(issue: dict) -> dict:
    shown = {k: printable(str(issue[k] or "")) for k in ISSUE_COLUMNS}
    return shown | {"month": issue["month"], "new": bool(issue.get("new", True))}


def _month(month: int, issues: list[dict], counts: dict, totals: tuple[dict, dict],
           blocked: bool) -> dict:  # fmt: skip
    mine = [i for i in issues if i["month"] == month]
    old, new = totals[0].get(month, (0, 0)), totals[1].get(month, (0, 0))
    return {
        "month": month,
        **{kind: counts.get((kind, month), 0) for kind in KINDS},
        "errors": sum(i["severity"] == "error" for i in mine),
        "warnings": sum(i["severity"] == "warning" for i in mine),
        "blocked": blocked,
        "revenue": [old[0], new[0]],
        "collected": [old[1], new[1]],
    }
