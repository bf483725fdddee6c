"""The evidence a report keeps: its period's orders from mart_order_evidence, each with its
part of every figure and the cells it was typed in, as one Parquet file beside the report's
JSON (`<stem>.evidence.parquet`, kept with each build like the other files).

Written by `format` from the same marts, in the same transaction-free read, as the numbers;
before it is kept it is summed and compared with the report (revenue, collected,
outstanding, enrollments, orders): evidence that does not add up is never written.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline_ops.pipeline.errors import PipelineError

SUFFIX = ".evidence.parquet"
COLUMNS = (
    "entity", "year", "month", "invoice", "order_date", "student_name", "organization",
    "program_code", "program_name", "unit", "status", "is_cancelled", "price", "discount",
    "paid", "revenue", "collected", "outstanding", "enrollments", "sheet", "source_row",
    "invoice_cell", "price_cell", "discount_cell", "paid_cell", "workbook_sha256",
)  # fmt: skip


def evidence_table(con: duckdb.DuckDBPyConnection, report: dict) -> pa.Table:
    """The orders of the report's months (and unit), in workbook order; checked against
    the report's own totals."""
    unit = report.get("unit")
    sql = (
        f"SELECT {', '.join(COLUMNS)} FROM mart_order_evidence"
        " WHERE entity = ? AND year = ? AND list_contains(?, month)"
        + (" AND unit = ?" if unit else "")
        + " ORDER BY month, sheet, source_row"
    )
    params = [report["entity"], report["year"], report["months"], *([unit] if unit else [])]
    try:
        table = con.sql(sql, params=params).to_arrow_table()
    except duckdb.CatalogException:
        raise PipelineError(_rebuild(report, "has no order evidence yet")) from None
    _check(table, report)
    return table


def _check(table: pa.Table, report: dict) -> None:
    columns = ("revenue", "collected", "outstanding", "enrollments")
    # Python's own integers: Arrow's int64 sum wraps past 9.2e18, which a year of the largest
    # amounts a workbook may hold reaches (tests/test_huge_numbers.py).
    sums = tuple(sum(v or 0 for v in table[c].to_pylist()) for c in columns)
    revenue, orders = report["revenue"], report["orders"]
    expected = (revenue["actual"], revenue["collected"], revenue["outstanding"],
                orders["total"] - orders["cancelled"], orders["total"])  # fmt: skip
    if (*sums, table.num_rows) != expected:
        raise PipelineError(_rebuild(report, "order evidence does not add up to its marts"))


def _rebuild(report: dict, what: str) -> str:
    entity, year = report["entity"], report["year"]
    return (
        f"The warehouse's {what} for {entity} {year}: run"
        f" `manage.py transform --entity {entity} --year {year}`, then report again."
    )


def write(table: pa.Table, path: Path) -> None:
    pq.write_table(table, path, compression="zstd")


def evidence_path(json_path: str | Path) -> Path:
    """`…/IONS-2026-03.json` → `…/IONS-2026-03.evidence.parquet`."""
    path = Path(json_path)
    return path.with_name(path.name.removesuffix(".json") + SUFFIX)
