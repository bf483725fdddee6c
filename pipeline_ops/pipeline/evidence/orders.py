"""One order across evidence files (store.py): which of them hold it, and its row in each;
the orders typed on one workbook row. What "the reports that counted an order" reads
(console/order_reports.py), in one in-memory DuckDB over only the files it is given (found
through Report and ReportBuild rows, never from a URL); missing files hold nothing.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

ROW = (
    "invoice", "status", "is_cancelled", "unit", "program_code", "month", "order_date",
    "revenue", "collected", "outstanding", "sheet", "source_row", "invoice_cell",
)  # fmt: skip


def order_rows(paths: list[str], entity: str, year: int, invoice: str) -> dict[str, dict]:
    """file → the order's row in it, for each file holding `invoice` of entity-year. Invoices
    compare as validation's duplicate rule does (upper-cased: `inv-1` is `INV-1`); the exact
    spelling is asked first, as Parquet's row-group statistics can skip most of a file for it
    (a third of the time on a 120k-order year) and links spell invoices as the workbook does."""
    sql = f"SELECT filename, {', '.join(ROW)} FROM files WHERE entity = ? AND year = ? AND "
    rows = _query(paths, sql + "invoice = ?", [entity, year, invoice])
    if not rows:
        rows = _query(paths, sql + "upper(invoice) = upper(?)", [entity, year, invoice])
    return {str(Path(name)): dict(zip(ROW, values, strict=True)) for name, *values in rows}


def invoices_at(paths: list[str], entity: str, year: int, sheet: str, row: int) -> list[str]:
    """The invoices typed on `sheet` row `row` in those files, the most often found first (a
    row holds another order once staff insert a row above it)."""
    rows = _query(
        paths,
        "SELECT invoice FROM files WHERE entity = ? AND year = ? AND sheet = ?"
        " AND source_row = ? AND invoice IS NOT NULL GROUP BY invoice"
        " ORDER BY count(*) DESC, invoice",
        [entity, year, sheet, row],
    )
    return [invoice for (invoice,) in rows]


def _query(paths: list[str], sql: str, params: list) -> list[tuple]:
    present = sorted({str(Path(p)) for p in paths if p and Path(p).is_file()})
    if not present:
        return []
    with duckdb.connect() as con:  # in memory; the files are only read
        con.read_parquet(present, filename=True, union_by_name=True).create_view("files")
        return con.execute(sql, params).fetchall()
