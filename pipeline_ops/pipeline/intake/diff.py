"""The order diff between two extracts of one entity-year, in DuckDB (never row by row).

Orders are keyed by No Invoice, ignoring case as the duplicate rule does (unique per
entity-year; a duplicate is a validation error, and the diff keeps its first row). Rows
without an invoice cannot be matched and are left out (validation names them). Values
compared are the typed ones: `Rp 1.250.000` and `1250000` are the same price.
"""

from __future__ import annotations

import duckdb

# The fields a change lists, in the order staff read an order row.
FIELDS = (
    "month", "invoice", "order_date", "student_name", "organization", "program_code", "unit",
    "price", "discount", "paid", "payment_method", "status",
)  # fmt: skip

_ORDERS = """
SELECT *, upper(invoice) AS invoice_key FROM read_parquet({files}, union_by_name = true)
WHERE invoice IS NOT NULL
QUALIFY row_number() OVER (PARTITION BY upper(invoice) ORDER BY month, source_row) = 1
"""
_NO_ORDERS = (
    "SELECT NULL::VARCHAR AS invoice, NULL::VARCHAR AS invoice_key, NULL::INTEGER AS month"
    " WHERE false"
)


def _changed_fields() -> str:
    parts = [
        f"CASE WHEN o.{f} IS DISTINCT FROM n.{f} THEN [{f!r}, o.{f}::VARCHAR, n.{f}::VARCHAR] END"
        for f in FIELDS
    ]
    return f"list_filter([{', '.join(parts)}], lambda x: x IS NOT NULL)"


def _source(files: list[str]) -> str:
    return _ORDERS.format(files=files) if files else _NO_ORDERS


def diff_orders(
    con: duckdb.DuckDBPyConnection, old: list[str], new: list[str], keep: int
) -> tuple[list[tuple], dict[tuple[str, int], int], list[int]]:
    """The first `keep` differing orders as (kind, month, invoice, [[field, old, new], ...]),
    how many orders differ per (kind, month), all counted in DuckDB, and every month an
    order changed in or left (a sync of those months replaces all of it). Which fields
    changed is worked out only for the orders kept: a whole new year is cheap."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE o AS {_source(old)}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE n AS {_source(new)}")
    differs = (
        " OR ".join(f"o.{f} IS DISTINCT FROM n.{f}" for f in FIELDS) if old and new else "false"
    )
    con.execute(f"""
    CREATE OR REPLACE TEMP TABLE order_diff AS SELECT * FROM (
        SELECT CASE WHEN o.invoice IS NULL THEN 'added' WHEN n.invoice IS NULL THEN 'removed'
                    ELSE 'changed' END AS kind,
            coalesce(n.month, o.month) AS month, coalesce(n.invoice, o.invoice) AS invoice
            , o.month AS old_month, coalesce(n.invoice_key, o.invoice_key) AS invoice_key
        FROM o FULL OUTER JOIN n ON o.invoice_key = n.invoice_key
        WHERE o.invoice IS NULL OR n.invoice IS NULL OR {differs}
    )""")
    counts = con.execute("SELECT kind, month, count(*) FROM order_diff GROUP BY ALL").fetchall()
    left = con.execute(
        "SELECT DISTINCT old_month FROM order_diff WHERE old_month IS NOT NULL"
    ).fetchall()
    fields = _changed_fields() if old and new else "[]::VARCHAR[][]"
    kept = con.execute(f"""
        SELECT d.kind, d.month, d.invoice,
            CASE WHEN d.kind = 'changed' THEN {fields} ELSE [] END
        FROM (SELECT * FROM order_diff ORDER BY month, invoice LIMIT ?) AS d
        LEFT JOIN o ON o.invoice_key = d.invoice_key LEFT JOIN n ON n.invoice_key = d.invoice_key
        ORDER BY d.month, d.invoice""", [keep]).fetchall()  # fmt: skip
    touched = {month for _kind, month, _n in counts} | {month for (month,) in left}
    return kept, {(kind, month): n for kind, month, n in counts}, sorted(touched)


def month_totals(con: duckdb.DuckDBPyConnection, files: list[str]) -> dict[int, tuple[int, int]]:
    """month → (revenue, collected): Σ(price − discount) and Σ paid of non-BATAL orders, the
    definitions of mart_revenue_monthly (docs/warehouse.md), over the workbook's rows."""
    if not files:
        return {}
    kept = "CASE WHEN status = 'BATAL' THEN 0 ELSE"
    # HUGEINT: the offered rows are not validated yet, and a Harga and a negative Diskon
    # that each fit a BIGINT need not fit one together (nor do their sums).
    rows = con.execute(f"""
        SELECT month, sum({kept} coalesce(price, 0)::HUGEINT - coalesce(discount, 0) END),
            sum({kept} coalesce(paid, 0) END)
        FROM read_parquet({files}, union_by_name = true) GROUP BY month
    """).fetchall()
    return {month: (int(revenue or 0), int(collected or 0)) for month, revenue, collected in rows}
