"""Reading a report's evidence file (store.py) with an in-memory DuckDB: the orders that make
one figure, largest part first, and their total; the values a page can filter by; the files
that hold an order. Only the file given is read: callers find it through its Report or
ReportBuild row and the reports folder's guard (views/reports.py), never from a URL.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipeline_ops.pipeline.evidence.figures import Figure

ROW_SQL = (
    "SELECT invoice, {amount} AS amount, order_date, student_name, program_code, program_name,"
    " unit, status, price, discount, paid, revenue, collected, outstanding, month, sheet,"
    " source_row, {cell} AS cell, invoice_cell, price_cell, discount_cell, paid_cell,"
    " workbook_sha256 FROM evidence WHERE {where}"
)
NAMES = (
    "invoice", "amount", "date", "student", "program", "program_name", "unit", "status",
    "price", "discount", "paid", "revenue", "collected", "outstanding", "month", "sheet", "row",
    "cell", "invoice_cell", "price_cell", "discount_cell", "paid_cell", "workbook_sha256",
)  # fmt: skip


@dataclass
class Evidence:
    figure: Figure
    total: int  # Σ amount over every row of the figure, not only those returned
    count: int
    rows: list[dict]


@contextmanager
def opened(path: str | Path, con: duckdb.DuckDBPyConnection | None = None
           ) -> Iterator[duckdb.DuckDBPyConnection]:  # fmt: skip
    """An in-memory DuckDB with the file as the view `evidence`; `con`, one already opened
    so (a page asking several questions of one file pays for one connection), is kept open."""
    if con is not None:
        yield con
        return
    con = duckdb.connect()  # in memory; the file is only read
    try:
        con.read_parquet(str(path)).create_view("evidence")
        yield con
    finally:
        con.close()


def evidence(path: str | Path, figure: Figure, *, limit: int | None = None, offset: int = 0,
             con: duckdb.DuckDBPyConnection | None = None) -> Evidence:  # fmt: skip
    """The figure's orders by amount (largest first, then workbook order); `limit` rows from
    `offset`, or all of them."""
    where, params = figure.where()
    sql = ROW_SQL.format(amount=figure.amount, cell=figure.cell, where=where)
    with opened(path, con) as con:
        total, count = con.execute(
            f"SELECT coalesce(sum(amount), 0), count(*) FROM ({sql})", params
        ).fetchone()
        page = f"{sql} ORDER BY amount DESC, month, sheet, source_row"
        if limit is not None:
            page += f" LIMIT {int(limit)} OFFSET {int(offset)}"
        rows = [dict(zip(NAMES, r, strict=True)) for r in con.execute(page, params).fetchall()]
    return Evidence(figure, int(total), int(count), rows)


def choices(path: str | Path, con: duckdb.DuckDBPyConnection | None = None
            ) -> dict[str, list[str]]:  # fmt: skip
    """The statuses, programs and units present in the file: what a page can filter by."""
    found = {}
    with opened(path, con) as con:
        for name, column in (("status", "status"), ("program", "program_code"),
                             ("unit", "unit")):  # fmt: skip
            values = con.execute(
                f"SELECT DISTINCT {column} FROM evidence WHERE {column} IS NOT NULL ORDER BY 1"
            ).fetchall()
            found[name] = [v for (v,) in values]
    return found


def holding(paths: list[str], entity: str, year: int, invoice: str) -> set[str]:
    """Which of the evidence files hold the order `invoice` of entity-year (missing files,
    from before evidence was kept, hold nothing)."""
    present = [p for p in paths if Path(p).is_file()]
    if not present:
        return set()
    with duckdb.connect() as con:
        found = con.execute(
            "SELECT DISTINCT filename FROM read_parquet(?, filename = true)"
            " WHERE entity = ? AND year = ? AND invoice = ?",
            [present, entity, year, invoice],
        ).fetchall()
    return {f for (f,) in found}
