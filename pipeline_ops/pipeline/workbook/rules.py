"""The validation rules (docs/workbooks.md) as one SQL query over the raw tables.

Each rule is a row filter plus a message over one source CTE; `ISSUES_SQL` unions them and
joins `_raw_columns` to turn (sheet, field, source_row) into an Excel cell like `FEB!H12`.
Parameters: $entity, $year, $months (the months being validated).
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline_ops.pipeline.workbook.ranges import (
    BIGINT_MAX,
    INTEGER_MAX,
    crossing,
    out_of_range,
    running_total,
)


@dataclass(frozen=True)
class Rule:
    code: str
    severity: str
    source: str  # a CTE below
    field: str  # raw column whose Excel column names the cell
    where: str
    message: str
    value: str = "NULL"


QUOTED_CHARS = 60


def q(expr: str) -> str:
    """SQL for the text of `expr` in single quotes (blank when NULL), cut to QUOTED_CHARS so a
    pasted essay keeps the message one readable line (the issue's value keeps it whole)."""
    text = f"coalesce(CAST({expr} AS VARCHAR), '')"
    cut = f"CASE WHEN length({text}) > {QUOTED_CHARS} THEN left({text}, {QUOTED_CHARS - 1})"
    return f"'''' || {cut} || '…' ELSE {text} END || ''''"


def _blank_or(field: str, header: str, otherwise: str) -> str:
    return f"CASE WHEN {field}_raw IS NULL THEN '{header} is blank' ELSE {otherwise} END"


def _range_or(field: str, header: str, most: int, otherwise: str) -> str:
    """`_blank_or`, and a number too large for the column says so (ranges.py)."""
    too_big, message = out_of_range(field, header, most, QUOTED_CHARS)
    return _blank_or(field, header, f"CASE WHEN {too_big} THEN {message} ELSE {otherwise} END")


def _not_money(field: str, header: str) -> str:
    otherwise = f"'{header} ' || {q(field + '_raw')} || ' is not an amount of money'"
    return _range_or(field, header, BIGINT_MAX, otherwise)


MONEY = {"price": "Harga", "discount": "Diskon", "paid": "Dibayar"}
TOO_MUCH = f"more than a month can hold (at most {BIGINT_MAX:,})"
# HUGEINT: Harga minus a Diskon each within BIGINT may not fit one (validation sees them all).
NET = "(price::HUGEINT - discount)"

ORDER_RULES = [
    Rule("missing_invoice", "error", "op", "invoice", "invoice IS NULL", "'No Invoice is blank'"),
    Rule(
        "invalid_date", "error", "op", "order_date", "order_date IS NULL",
        _blank_or("order_date", "Tanggal", f"'Tanggal ' || {q('order_date_raw')}"
                  " || ' is not a date (use dd/mm/yyyy, dd-mm-yyyy or yyyy-mm-dd)'"),
        "order_date_raw",
    ),
    Rule(
        "date_outside_month", "error", "op", "order_date",
        "year(order_date) <> year OR month(order_date) <> month",
        "'Tanggal ' || strftime(order_date, '%d/%m/%Y') || ' is outside ' || sheet || ' '"
        " || year",
        "order_date_raw",
    ),
    Rule(
        "unknown_program", "error", "op", "program_code", "ref_code IS NULL",
        "CASE WHEN program_code IS NULL THEN 'Kode Program is blank' ELSE 'Kode Program ' || "
        f"{q('program_code')} || ' is not in REFERENSI' END",
        "program_code",
    ),
    *[
        Rule("invalid_money", "error", "op", f, f"{f} IS NULL", _not_money(f, h), f"{f}_raw")
        for f, h in MONEY.items()
    ],
    *[
        Rule("negative_money", "error", "op", f, f"{f} < 0", f"'{h} ' || {f} || ' is negative'",
             f"{f}_raw")
        for f, h in MONEY.items()
    ],
    Rule(
        "discount_exceeds_price", "error", "op", "discount", "discount > price",
        "'Diskon ' || discount || ' is more than Harga ' || price", "discount_raw",
    ),
    Rule(
        "paid_exceeds_net", "error", "op", "paid", f"discount <= price AND paid > {NET}",
        f"'Dibayar ' || paid || ' is more than Harga - Diskon = ' || {NET}", "paid_raw",
    ),
    Rule("blank_student", "error", "op", "student_name", "student_name IS NULL",
         "'Nama Siswa is blank'"),
    Rule(
        "unknown_status", "error", "op", "status", "status IS NULL",
        _blank_or("status", "Status", f"'Status ' || {q('status_raw')}"
                  " || ' is not LUNAS, CICIL or BATAL'"),
        "status_raw",
    ),
    Rule(
        "lunas_underpaid", "error", "op", "paid",
        f"status = 'LUNAS' AND discount <= price AND paid >= 0 AND paid < {NET}",
        f"'Status LUNAS but Dibayar ' || paid || ' is less than Harga - Diskon = ' || {NET}",
        "paid_raw",
    ),
    Rule(
        "duplicate_invoice", "error", "dup", "invoice", "n > 1",
        f"'No Invoice ' || {q('invoice')} || ' is already used on ' || first_sheet"
        " || ' row ' || first_row",
        "invoice",
    ),
    Rule(
        "total_too_large", "error", "op_total", "price", crossing("price"),
        "'Harga ' || price || ' brings the total Harga of ' || sheet || ' to ' || running"
        f" || ', {TOO_MUCH}'",
        "price_raw",
    ),
    Rule(
        "unit_mismatch", "warning", "op", "unit",
        "unit_raw IS NOT NULL AND ref_unit IS NOT NULL AND unit IS DISTINCT FROM ref_unit",
        f"CASE WHEN unit IS NULL THEN 'Unit ' || {q('unit_raw')} || ' is not TM or DR; program '"
        " || program_code || ' is ' || ref_unit ELSE 'Unit ' || unit || ' differs from program '"
        " || program_code || '''s unit ' || ref_unit END",
        "unit_raw",
    ),
    Rule(
        "price_mismatch", "warning", "op", "price", "price <> ref_price",
        "'Harga ' || price || ' differs from program ' || program_code || '''s price '"
        " || ref_price",
        "price_raw",
    ),
    Rule(
        "unknown_organization", "warning", "org_first", "organization", "true",
        f"'Organisasi ' || {q('organization')} || ' is not in REFERENSI (' || n"
        " || ' order(s) this month; it is created on publish)'",
        "organization",
    ),
]  # fmt: skip

REFERENCE_RULES = [
    Rule("invalid_reference", "error", "progs", "program_code", "program_code IS NULL",
         "'Kode Program is blank'"),
    Rule(
        "invalid_reference", "error", "progs", "program_code", "n > 1",
        f"'Kode Program ' || {q('program_code')} || ' is listed twice (first on row '"
        " || first_row || ')'",
        "program_code",
    ),
    Rule("invalid_reference", "error", "progs", "unit", "unit IS NULL",
         "'Unit of program ' || coalesce(program_code, '?') || ' is blank or not TM/DR'"),
    Rule("invalid_money", "error", "progs", "price", "price IS NULL",
         _not_money("price", "Harga"), "price_raw"),
    Rule("negative_money", "error", "progs", "price", "price < 0",
         "'Harga ' || price || ' is negative'", "price_raw"),
    Rule(
        "invalid_reference", "error", "progs", "target_students",
        "target_students IS NULL OR target_students < 0",
        _range_or("target_students", "Target Siswa", INTEGER_MAX, f"'Target Siswa ' || "
                  f"{q('target_students_raw')} || ' is not a whole number'"),
        "target_students_raw",
    ),
    Rule("invalid_reference", "error", "orgs", "organization", "organization IS NULL",
         "'Nama Organisasi is blank'"),
    Rule("invalid_reference", "error", "tgts", "month", "month IS NULL",
         _blank_or("month", "Bulan", f"'Bulan ' || {q('month_raw')} || ' is not a month'"),
         "month_raw"),
    Rule("invalid_reference", "error", "tgts", "unit", "unit IS NULL",
         "'Unit of a revenue target is blank or not TM/DR'"),
    Rule("invalid_money", "error", "tgts", "revenue_target",
         "revenue_target IS NULL OR revenue_target < 0",
         _not_money("revenue_target", "Target Pendapatan"),
         "revenue_target_raw"),
    Rule("total_too_large", "error", "tgt_total", "revenue_target", crossing("revenue_target"),
         "'Target Pendapatan ' || revenue_target || ' brings the total target of month '"
         f" || month || ' to ' || running || ', {TOO_MUCH}'",
         "revenue_target_raw"),
]  # fmt: skip

SCOPE = "entity = $entity AND year = $year"
CTES = f"""
o AS (SELECT * FROM raw_orders WHERE {SCOPE} AND month IN $months),
progs AS (
    SELECT *, 'programs' AS tbl, NULL::INTEGER AS rule_month,
        row_number() OVER w AS n, first_value(source_row) OVER w AS first_row
    FROM raw_programs WHERE {SCOPE}
    WINDOW w AS (PARTITION BY program_code ORDER BY source_row)),
orgs AS (SELECT *, 'organizations' AS tbl, NULL::INTEGER AS rule_month
    FROM raw_organizations WHERE {SCOPE}),
tgts AS (SELECT *, 'targets' AS tbl, NULL::INTEGER AS rule_month FROM raw_targets WHERE {SCOPE}),
op AS (
    SELECT o.*, 'orders' AS tbl, o.month AS rule_month, p.program_code AS ref_code,
        p.unit AS ref_unit, p.price AS ref_price
    FROM o LEFT JOIN (SELECT * FROM progs WHERE n = 1 AND program_code IS NOT NULL) p
        ON p.program_code = o.program_code),
dup AS (
    SELECT * FROM (
        SELECT month, sheet, source_row, invoice, 'orders' AS tbl, month AS rule_month,
            row_number() OVER w AS n, first_value(sheet) OVER w AS first_sheet,
            first_value(source_row) OVER w AS first_row
        FROM raw_orders WHERE {SCOPE} AND invoice IS NOT NULL
        WINDOW w AS (PARTITION BY upper(invoice) ORDER BY month, source_row))
    WHERE month IN $months),
op_total AS ({running_total("o", "price", "'orders' AS tbl, month AS rule_month, ")}),
tgt_total AS ({running_total("tgts", "revenue_target")}),
org_first AS (
    SELECT month AS rule_month, sheet, 'orders' AS tbl, min(source_row) AS source_row,
        any_value(organization) AS organization, count(*) AS n
    FROM o
    WHERE organization IS NOT NULL AND lower(organization) NOT IN (
        SELECT lower(organization) FROM orgs WHERE organization IS NOT NULL)
    GROUP BY month, sheet, lower(organization))
"""


def rule_select(rule: Rule) -> str:
    return (
        f"SELECT rule_month AS month, sheet, tbl, '{rule.field}' AS field, source_row,"
        f" '{rule.code}' AS rule, '{rule.severity}' AS severity,"
        f" {rule.message} AS message, CAST({rule.value} AS VARCHAR) AS value"
        f" FROM {rule.source} WHERE {rule.where}"
    )


ALL_RULES = ORDER_RULES + REFERENCE_RULES
ISSUES_SQL = (
    f"WITH {CTES}, issues AS ({' UNION ALL '.join(rule_select(r) for r in ALL_RULES)})"
    " SELECT i.month, i.sheet, i.sheet || '!' || coalesce(c.col, '?') || i.source_row AS cell,"
    " i.rule, i.severity, coalesce(i.message, i.rule) AS message, i.value"
    " FROM issues i LEFT JOIN _raw_columns c ON c.entity = $entity AND c.year = $year"
    " AND c.sheet = i.sheet AND c.tbl = i.tbl AND c.field = i.field"
    " AND c.month IS NOT DISTINCT FROM i.month"
    # Month sheets extract could not read (no header row, a missing column): each blocks
    # its month, addressed by sheet and header row (stages/extract.py).
    " UNION ALL SELECT month, sheet, cell, rule, 'error', message, NULL FROM _raw_problems"
    " WHERE entity = $entity AND year = $year AND month IN $months"
)
