"""`extract`: source workbook → typed Parquet files under extracts/<E>/<Y>/ (docs/workbooks.md).

Files written (all-or-nothing: built in a temp folder, then moved into place):
`orders-MM.parquet` per month sheet, `problems-MM.parquet` instead for a month sheet whose
table cannot be found or typed (it blocks that month only: validate turns it into an
error; the other sheets go on), `programs|organizations|targets.parquet` from REFERENSI,
and `columns-MM.parquet` / `columns-ref.parquet` mapping each field to its Excel column
letter so validation can name cells. A full extract drops month files of sheets that are gone;
`--month` rewrites only the months asked for (plus REFERENSI).
"""

from __future__ import annotations

import queue
import shutil
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipeline_ops.pipeline.errors import PipelineError, first_line
from pipeline_ops.pipeline.paths import extracts_dir, source_workbook
from pipeline_ops.pipeline.period import MonthRange
from pipeline_ops.pipeline.runs.calls import StageCall, recorded, tell
from pipeline_ops.pipeline.runs.records import get_entity
from pipeline_ops.pipeline.runs.stage_run import StageContext
from pipeline_ops.pipeline.stages.extract_files import (
    month_file,
    move_into_place,
    write_block,
    write_columns,
    write_problem,
    write_table,
)
from pipeline_ops.pipeline.workbook.cells import install_macros
from pipeline_ops.pipeline.workbook.reader import SHORT_NAMES, Workbook
from pipeline_ops.pipeline.workbook.sources import file_sha256
from pipeline_ops.pipeline.workbook.tables import (
    SheetProblem,
    locate_month_table,
    locate_reference,
)

REFERENCE_FILES = ("programs", "organizations", "targets")
WORKERS = 2  # sheets read and typed at once; more than the cores only adds contention


@dataclass
class ExtractResult:
    path: Path
    sha256: str
    orders: dict[int, int] = field(default_factory=dict)
    reference: dict[str, int] = field(default_factory=dict)
    blank: list[int] = field(default_factory=list)  # month sheets with nothing in them
    problems: dict[int, SheetProblem] = field(default_factory=dict)  # month → why unread

    @property
    def row_count(self) -> int:
        return sum(self.orders.values())


@recorded("extract")
def run_extract(call: StageCall, ctx: StageContext) -> None:
    path = source_workbook(call.entity, call.year, get_entity(call.entity).source_dir)
    target = extracts_dir(call.entity, call.year)
    result = extract_workbook(path, call.entity, call.year, call.months, target)
    ctx.source_file_hash = result.sha256
    ctx.row_count = result.row_count
    ctx.verdict["months"] = sorted({*result.orders, *result.problems})
    tell(call, ctx, *summary_lines(result))


def summary_lines(result: ExtractResult) -> list[str]:
    months = ", ".join(f"{SHORT_NAMES[m - 1]} {n:,}" for m, n in sorted(result.orders.items()))
    ref = ", ".join(f"{n:,} {name}" for name, n in result.reference.items())
    lines = [
        f"Extracted {result.row_count:,} orders from {result.path.name} ({months})",
        f"REFERENSI: {ref}",
        f"sha256 {result.sha256}",
    ]
    if result.blank:
        skipped = ", ".join(SHORT_NAMES[m - 1] for m in result.blank)
        lines.append(f"Skipped empty month sheet(s): {skipped}")
    for problem in result.problems.values():
        lines.append(f"Blocked: {problem.cell} {problem.rule}: {problem.problem}")
    return lines


def extract_workbook(
    path: Path, entity: str, year: int, months: MonthRange | None, target: Path
) -> ExtractResult:
    """Read, type and write everything, or raise PipelineError leaving `target` untouched."""
    with Workbook(path) as book:
        sheets = _selected_months(book, months)
        # The jailed reader reads ahead, in the order the lanes below will ask.
        book.prefetch([book.reference_sheet(), *(sheets[m] for m in sorted(sheets))])
        result = ExtractResult(path, file_sha256(path))
        base = {"entity": entity, "year": year, "source_file_hash": result.sha256}
        _extract_into(book, sheets, base, result, months, target)
    return result


def _extract_into(
    book: Workbook, sheets: dict[int, str], base: dict, result: ExtractResult,
    months: MonthRange | None, target: Path,
) -> None:  # fmt: skip
    target.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".extract-", dir=target))
    try:
        # One DuckDB thread per query: the parallelism is the WORKERS sheets at once.
        con = duckdb.connect(config={"threads": 1})
        install_macros(con)
        result.reference, written = _write_sheets(con, book, sheets, base, staging)
        con.close()
        result.orders = {m: n for m, n in written.items() if isinstance(n, int)}
        result.blank = sorted(m for m, n in written.items() if n is None)
        result.problems = {m: n for m, n in written.items() if isinstance(n, SheetProblem)}
        if months is not None and result.blank:
            names = ", ".join(sheets[m] for m in result.blank)
            raise PipelineError(f"{book.path}: sheet {names} is empty (asked for --month {months})")
        move_into_place(staging, target, replace_all_months=months is None)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _selected_months(book: Workbook, months: MonthRange | None) -> dict[int, str]:
    found = book.month_sheets()
    if not found:
        raise PipelineError(
            f"{book.path}: no month sheets (expected names like JAN, Februari, March or 03;"
            f" found {', '.join(book.sheet_names) or 'none'})"
        )
    if months is None:
        return found
    missing = [m for m in months.months if m not in found]
    if missing:
        names = ", ".join(SHORT_NAMES[m - 1] for m in missing)
        raise PipelineError(f"{book.path}: no sheet for month {names} (asked for --month {months})")
    return {m: found[m] for m in months.months}


class _Lanes:
    """A DuckDB cursor per worker thread (one may not be used by two threads at once; it
    releases the GIL while it works, so the workers overlap). The book is shared: its
    jailed child reads sheets while the lanes type the ones already read."""

    def __init__(self, con, book: Workbook, count: int):
        self.cursors = [con.cursor() for _ in range(count)]
        self.free: queue.SimpleQueue = queue.SimpleQueue()
        for cursor in self.cursors:
            self.free.put((book, cursor))

    def run(self, fn: Callable, *args):
        lane = self.free.get()
        try:
            return fn(*lane, *args)
        finally:
            self.free.put(lane)

    def close(self) -> None:
        for cursor in self.cursors:
            cursor.close()


def _write_sheets(
    con, book: Workbook, sheets: dict[int, str], base: dict, staging: Path
) -> tuple[dict[str, int], dict[int, int | SheetProblem | None]]:
    """REFERENSI and every month sheet, each read, typed and written by one of WORKERS
    threads. Results are taken in sheet order, so the error raised is the one a sequential
    pass would have met first."""
    lanes = _Lanes(con, book, min(WORKERS, len(sheets) + 1))
    try:
        with ThreadPoolExecutor(WORKERS) as pool:
            ref = pool.submit(lanes.run, _write_reference, base, staging)
            jobs = {
                month: pool.submit(lanes.run, _write_month, month, name, base, staging)
                for month, name in sorted(sheets.items())
            }
            try:
                return ref.result(), {month: job.result() for month, job in jobs.items()}
            except BaseException:
                pool.shutdown(cancel_futures=True)
                raise
    finally:
        lanes.close()


def _write_reference(book: Workbook, con, base: dict, staging: Path) -> dict[str, int]:
    blocks = locate_reference(book.reference(), book.path)
    counts = {
        name: write_block(con, blocks.get(name), name, base, staging) for name in REFERENCE_FILES
    }
    write_columns(con, list(blocks.values()), None, staging / "columns-ref.parquet", base)
    return counts


def _write_month(
    book: Workbook, con, month: int, name: str, base: dict, staging: Path
) -> int | SheetProblem | None:
    """None for a completely blank sheet: a tab made in advance is no month of orders. A
    sheet without its table, or whose cells cannot be typed, is that month's problem."""
    sheet = book.sheet(name)
    if all(column.null_count == len(column) for column in sheet.data.columns):
        return None
    try:
        table = locate_month_table(sheet, book.path)
        write_columns(con, [table], month, staging / f"columns-{month:02d}.parquet", base)
        constants = {**base, "month": month, "sheet": name}
        return write_table(con, table, constants, staging / month_file(month))
    except SheetProblem as problem:
        return write_problem(con, problem, {**base, "month": month}, staging)
    except duckdb.Error as exc:
        row = table.header_index + 1
        text = f"its cells could not be typed ({first_line(exc)})"
        problem = SheetProblem(book.path, name, row, "untyped_sheet", text)
        return write_problem(con, problem, {**base, "month": month}, staging)
