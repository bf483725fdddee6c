"""The order diff between two extracts of one entity-year, in DuckDB (never row by row).

Orders are keyed by No Invoice (unique per entity-year; a duplicate is a validation error,
and the diff keeps its first row). Rows without an invoice cannot be matched and are left
out (validation names them). Values compared are the typed ones: `Rp 1.250.000` and
`1250000` are the same price.
"""

from __future__ import annotations

import duckdb

# The fields a change lists, in the order staff read an order row.
FIELDS = (
    "month", "order_date", "student_name", "organization", "program_code", "unit", "price",
    "discount", "paid", "payment_method", "status",
)  # fmt: skip

_ORDERS = """
SELECT * FROM read_parquet({files}, union_by_name = true)
WHERE invoice IS NOT NULL
QUALIFY row_number() OVER (PARTITION BY invoice ORDER BY month, source_row) = 1
"""
_NO_ORDERS = "SELECT NULL::VARCHAR AS invoice, NULL::INTEGER AS month WHERE false"


def _changed_fields() -> str:
    parts = [
        f"CASE WHEN o.{f} IS DISTINCT FROM n.{f} THEN [{f!r}, o.{f}::VARCHAR, n.{f}::VARCHAR] END"
        for f in FIELDS
    ]
    return f"list_filter([{', '.join(parts)}], lambda x: x IS NOT NULL)"


def _source(files: list[str]) -> str:
    return _ORDERS.format(files=files) if files else _NO_ORDERS


def diff_orders(con: duckdb.DuckDBPyConnection, old: list[str], new: list[str]) -> list[tuple]:
    """(kind, month, invoice, [[field, old, new], ...]) for every order that differs."""
    sql = f"""
    WITH o AS ({_source(old)}), n AS ({_source(new)}),
    j AS (
        SELECT coalesce(n.invoice, o.invoice) AS invoice,
            CASE WHEN o.invoice IS NULL THEN 'added' WHEN n.invoice IS NULL THEN 'removed'
                 ELSE 'changed' END AS kind,
            coalesce(n.month, o.month) AS month,
            CASE WHEN o.invoice IS NULL OR n.invoice IS NULL THEN []
                 ELSE {_changed_fields()} END AS fields
        FROM o FULL OUTER JOIN n ON o.invoice = n.invoice
    )
    SELECT kind, month, invoice, fields FROM j
    WHERE kind <> 'changed' OR len(fields) > 0
    ORDER BY month, invoice
    """
    if not old or not new:  # one side empty: its columns are not there to compare
        sql = sql.replace(_changed_fields(), "[]::VARCHAR[][]")
    return con.execute(sql).fetchall()


def month_totals(con: duckdb.DuckDBPyConnection, files: list[str]) -> dict[int, tuple[int, int]]:
    """month → (revenue, collected): Σ(price − discount) and Σ paid of non-BATAL orders, the
    definitions of mart_revenue_monthly (docs/warehouse.md), over the workbook's rows."""
    if not files:
        return {}
    kept = "CASE WHEN status = 'BATAL' THEN 0 ELSE"
    rows = con.execute(f"""
        SELECT month, sum({kept} coalesce(price, 0) - coalesce(discount, 0) END),
            sum({kept} coalesce(paid, 0) END)
        FROM read_parquet({files}, union_by_name = true) GROUP BY month
    """).fetchall()
    return {month: (int(revenue or 0), int(collected or 0)) for month, revenue, collected in rows}
