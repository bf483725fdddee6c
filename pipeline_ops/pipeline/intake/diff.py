"""The order diff between two extracts of one entity-year, in DuckDB (never row by row).

Orders are keyed by No Invoice, ignoring case as the duplicate rule does (unique per
entity-year; a duplicate is a validation error, and the diff keeps its first row). Values
compared are the typed ones: `Rp 1.250.000` and `1250000` are the same price.

Rows without an invoice cannot be keyed: they are paired by month, student and program
(in sheet order) with the old rows without one and with the orders that lost theirs. An
order whose invoice was blanked is so a change (`invoice: INV-7 → ∅`) of a "row without
invoice" named by its cell, not a removal while its row is still there; an unpaired one
is a row added or removed.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # callers open DuckDB; the admin imports this for its words
    import duckdb

# The fields a change lists, in the order staff read an order row.
FIELDS = (
    "month", "invoice", "order_date", "student_name", "organization", "program_code", "unit",
    "price", "discount", "paid", "payment_method", "status",
)  # fmt: skip
MONEY = ("price", "discount", "paid")

_ROWS = """
SELECT r.*, upper(r.invoice) AS invoice_key,
    r.sheet || '!' || coalesce(c.col, '?') || r.source_row AS cell
FROM read_parquet({files}, union_by_name = true) AS r
LEFT JOIN ({columns}) AS c ON c.month = r.month
"""
_INVOICE_COLUMN = "SELECT month, col FROM read_parquet({files}) WHERE field = 'invoice'"
_NO_COLUMN = "SELECT NULL::INTEGER AS month, NULL::VARCHAR AS col WHERE false"
_NO_ROWS = (
    "SELECT NULL::INTEGER AS month, NULL::VARCHAR AS invoice, NULL::DATE AS order_date,"
    " NULL::VARCHAR AS student_name, NULL::VARCHAR AS organization,"
    " NULL::VARCHAR AS program_code, NULL::VARCHAR AS unit, NULL::BIGINT AS price,"
    " NULL::BIGINT AS discount, NULL::BIGINT AS paid, NULL::VARCHAR AS payment_method,"
    " NULL::VARCHAR AS status, NULL::VARCHAR AS sheet, NULL::INTEGER AS source_row,"
    " NULL::VARCHAR AS invoice_key, NULL::VARCHAR AS cell WHERE false"
)
_KEYED = """
SELECT o.month AS o_month, o.source_row AS o_row, n.month AS n_month, n.source_row AS n_row
FROM (SELECT * FROM oa WHERE invoice IS NOT NULL QUALIFY row_number() OVER
    (PARTITION BY invoice_key ORDER BY month, source_row) = 1) AS o
FULL OUTER JOIN (SELECT * FROM na WHERE invoice IS NOT NULL QUALIFY row_number() OVER
    (PARTITION BY invoice_key ORDER BY month, source_row) = 1) AS n
    ON o.invoice_key = n.invoice_key
"""
# Old rows without an invoice, and removed orders, against new rows without an invoice.
_PAIRS = """
WITH po AS (SELECT a.month, a.source_row, a.student_name, a.program_code, a.invoice IS NOT NULL
        AS keyed FROM oa AS a LEFT JOIN keyed AS k ON k.o_month = a.month AND k.o_row = a.source_row
        WHERE a.invoice IS NULL OR (k.o_row IS NOT NULL AND k.n_row IS NULL)),
    pn AS (SELECT month, source_row, student_name, program_code FROM na WHERE invoice IS NULL),
    ro AS (SELECT *, row_number() OVER (PARTITION BY month, student_name, program_code
        ORDER BY keyed, source_row) AS rn FROM po),
    rn AS (SELECT *, row_number() OVER (PARTITION BY month, student_name, program_code
        ORDER BY source_row) AS rn FROM pn)
SELECT ro.month AS o_month, ro.source_row AS o_row, rn.month AS n_month, rn.source_row AS n_row,
    coalesce(ro.keyed, false) AS keyed
FROM ro FULL OUTER JOIN rn ON ro.month = rn.month AND ro.rn = rn.rn
    AND ro.student_name IS NOT DISTINCT FROM rn.student_name
    AND ro.program_code IS NOT DISTINCT FROM rn.program_code
"""
_JOINED = (
    " FROM pairs AS p LEFT JOIN oa AS o ON o.month = p.o_month AND o.source_row = p.o_row"
    " LEFT JOIN na AS n ON n.month = p.n_month AND n.source_row = p.n_row"
)
_DIFF = """
CREATE OR REPLACE TEMP TABLE order_diff AS SELECT
    CASE WHEN o.month IS NULL THEN 'added' WHEN n.month IS NULL THEN 'removed'
        ELSE 'changed' END AS kind,
    coalesce(n.month, o.month) AS month, coalesce(n.invoice, o.invoice, '') AS invoice,
    o.month AS old_month, p.o_month, p.o_row, p.n_month, p.n_row,
    coalesce(n.source_row, o.source_row) AS source_row
{joined} WHERE o.month IS NULL OR n.month IS NULL OR {differs}
"""
_KEPT = """
SELECT d.kind, d.month, d.invoice, CASE WHEN d.kind = 'changed' THEN {fields} ELSE [] END,
    coalesce(n.student_name, o.student_name), coalesce(n.program_code, o.program_code),
    coalesce(n.price, o.price)::HUGEINT - coalesce(n.discount, o.discount, 0),
    coalesce(n.status, o.status), CASE WHEN n.month IS NOT NULL THEN
        CASE WHEN n.invoice IS NULL THEN n.cell END WHEN o.invoice IS NULL THEN o.cell END
FROM (SELECT * FROM order_diff ORDER BY month, invoice, source_row LIMIT ?) AS d
LEFT JOIN oa AS o ON o.month = d.o_month AND o.source_row = d.o_row
LEFT JOIN na AS n ON n.month = d.n_month AND n.source_row = d.n_row
ORDER BY d.month, d.invoice, d.source_row
"""


def _changed_fields() -> str:
    parts = [
        f"CASE WHEN o.{f} IS DISTINCT FROM n.{f} THEN [{f!r}, o.{f}::VARCHAR, n.{f}::VARCHAR] END"
        for f in FIELDS
    ]
    return f"list_filter([{', '.join(parts)}], lambda x: x IS NOT NULL)"


def _rows(files: list[str]) -> str:
    """Every extracted row, with its upper-cased invoice and its invoice cell (`MAR!C41`)."""
    if not files:
        return _NO_ROWS
    names = [Path(f).with_name(Path(f).name.replace("orders-", "columns-")) for f in files]
    columns = [str(p) for p in names if p.exists()]
    invoice = _INVOICE_COLUMN.format(files=columns) if columns else _NO_COLUMN
    return _ROWS.format(files=files, columns=invoice)


def _pair(con: duckdb.DuckDBPyConnection, old: list[str], new: list[str]) -> None:
    """`pairs`: (old row, new row) by invoice, then rows without one (module docstring)."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE oa AS {_rows(old)}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE na AS {_rows(new)}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE keyed AS {_KEYED}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE unkeyed AS {_PAIRS}")
    con.execute("""CREATE OR REPLACE TEMP TABLE pairs AS
        SELECT k.* FROM keyed AS k ANTI JOIN (SELECT * FROM unkeyed WHERE keyed
            AND n_row IS NOT NULL) AS u ON u.o_month = k.o_month AND u.o_row = k.o_row
        UNION ALL SELECT o_month, o_row, n_month, n_row FROM unkeyed
            WHERE NOT (keyed AND n_row IS NULL)""")


def _order(row: tuple) -> dict:
    """Who and how much: the order's student, program, amount (Harga − Diskon) and status;
    `cell` names a row without invoice."""
    student, program, amount, status, cell = row
    order = {"student": student, "program": program, "status": status,
             "amount": None if amount is None else int(amount)}  # fmt: skip
    return order | ({"cell": cell} if cell else {})


def diff_orders(
    con: duckdb.DuckDBPyConnection, old: list[str], new: list[str], keep: int
) -> tuple[list[tuple], dict[tuple[str, int], int], list[int]]:
    """The first `keep` differing orders as (kind, month, invoice, {"order": who and how
    much, "fields": [[field, old, new], ...]}), how many orders differ per (kind, month),
    all counted in DuckDB, and every month an order changed in or left (a sync of those
    months replaces all of it). Which fields changed is worked out only for the orders
    kept: a whole new year is cheap."""
    _pair(con, old, new)
    differs = " OR ".join(f"o.{f} IS DISTINCT FROM n.{f}" for f in FIELDS)
    con.execute(_DIFF.format(joined=_JOINED, differs=differs))
    counts = con.execute("SELECT kind, month, count(*) FROM order_diff GROUP BY ALL").fetchall()
    left = con.execute(
        "SELECT DISTINCT old_month FROM order_diff WHERE old_month IS NOT NULL"
    ).fetchall()
    rows = con.execute(_KEPT.format(fields=_changed_fields()), [keep]).fetchall()
    kept = [(*r[:3], {"order": _order(r[4:]), "fields": r[3]}) for r in rows]
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
