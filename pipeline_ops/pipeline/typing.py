"""Typing workbook text in DuckDB SQL, vectorised (DESIGN §4 "Values").

Each located table is registered as an Arrow table of strings (`c0`, `c1`, … plus
`source_row`) and typed by one SELECT. Fully blank rows and TOTAL/JUMLAH rows are dropped
here; every other row is kept, with NULL in a typed column whose text could not be read
(its `*_raw` twin keeps the text so validation can quote it).
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from .workbook import MONTH_NAMES, Located

_month_cases = " ".join(f"WHEN '{name}' THEN {n}" for name, n in MONTH_NAMES.items())

MACROS = rf"""
CREATE OR REPLACE MACRO clean(s) AS
    nullif(trim(regexp_replace(s, '[\s\x{{00A0}}]+', ' ', 'g')), '');
CREATE OR REPLACE MACRO money_text(s) AS regexp_replace(regexp_replace(
    upper(regexp_replace(s, '[\s\x{{00A0}}]+', '', 'g')), '^(-?)(RP|IDR)\.?', '\1'),
    '[,.]-$', '');
CREATE OR REPLACE MACRO money_num(t) AS CASE
    WHEN regexp_full_match(t, '-?\d+') THEN try_cast(t AS BIGINT)
    WHEN regexp_full_match(t, '-?\d{{1,3}}(\.\d{{3}})+(,\d{{1,2}})?')
        THEN try_cast(replace(regexp_replace(t, ',\d+$', ''), '.', '') AS BIGINT)
    WHEN regexp_full_match(t, '-?\d{{1,3}}(,\d{{3}})+(\.\d+)?')
        THEN try_cast(round(try_cast(replace(t, ',', '') AS DOUBLE)) AS BIGINT)
    WHEN regexp_full_match(t, '-?\d+\.\d+') THEN try_cast(round(try_cast(t AS DOUBLE)) AS BIGINT)
    WHEN regexp_full_match(t, '-?\d+,\d{{1,2}}')
        THEN try_cast(round(try_cast(replace(t, ',', '.') AS DOUBLE)) AS BIGINT)
END;
CREATE OR REPLACE MACRO parse_money(s) AS money_num(money_text(s));
CREATE OR REPLACE MACRO blank_zero(s) AS CASE WHEN s IS NULL THEN 0 ELSE parse_money(s) END;
CREATE OR REPLACE MACRO parse_date(s) AS CASE
    WHEN regexp_full_match(s, '\d{{4}}-\d{{1,2}}-\d{{1,2}}([ T][\d:.]+)?')
        THEN try_strptime(split_part(replace(s, 'T', ' '), ' ', 1), '%Y-%m-%d')::DATE
    WHEN regexp_full_match(s, '\d{{1,2}}/\d{{1,2}}/\d{{4}}') THEN try_strptime(s, '%d/%m/%Y')::DATE
    WHEN regexp_full_match(s, '\d{{1,2}}-\d{{1,2}}-\d{{4}}') THEN try_strptime(s, '%d-%m-%Y')::DATE
    WHEN regexp_full_match(s, '\d{{1,7}}(\.\d+)?') AND try_cast(s AS DOUBLE) BETWEEN 1 AND 2958465
        THEN DATE '1899-12-30' + CAST(floor(try_cast(s AS DOUBLE)) AS INTEGER)
END;
CREATE OR REPLACE MACRO parse_unit(s) AS CASE upper(s)
    WHEN 'TM' THEN 'TM' WHEN 'DR' THEN 'DR'
    WHEN 'TATAP MUKA' THEN 'TM' WHEN 'DARING' THEN 'DR' WHEN 'ONLINE' THEN 'DR' END;
CREATE OR REPLACE MACRO parse_status(s) AS
    CASE WHEN upper(s) IN ('LUNAS', 'CICIL', 'BATAL') THEN upper(s) END;
CREATE OR REPLACE MACRO parse_month(s) AS CASE
    WHEN regexp_full_match(s, '\d{{1,2}}(\.0+)?') AND try_cast(s AS DOUBLE) BETWEEN 1 AND 12
        THEN CAST(try_cast(s AS DOUBLE) AS INTEGER)
    ELSE CASE lower(s) {_month_cases} END
END;
"""

# field → (typed expression over the cleaned text `r_<field>`, keeps a *_raw twin)
ORDER_TYPES = {
    "order_date": ("parse_date(r_order_date)", True),
    "invoice": ("r_invoice", False),
    "student_name": ("r_student_name", False),
    "organization": ("r_organization", False),
    "program_code": ("upper(r_program_code)", False),
    "unit": ("parse_unit(r_unit)", True),
    "price": ("parse_money(r_price)", True),
    "discount": ("blank_zero(r_discount)", True),
    "paid": ("blank_zero(r_paid)", True),
    "payment_method": ("r_payment_method", False),
    "status": ("parse_status(r_status)", True),
}
PROGRAM_TYPES = {
    "program_code": ("upper(r_program_code)", False),
    "program_name": ("r_program_name", False),
    "unit": ("parse_unit(r_unit)", False),
    "price": ("parse_money(r_price)", True),
    "target_students": ("CAST(parse_money(r_target_students) AS INTEGER)", True),
}
ORGANIZATION_TYPES = {
    "organization": ("r_organization", False),
    "city": ("r_city", False),
    "kind": ("r_kind", False),
}
TARGET_TYPES = {
    "month": ("parse_month(r_month)", True),
    "unit": ("parse_unit(r_unit)", False),
    "revenue_target": ("parse_money(r_revenue_target)", True),
}
TYPES = {
    "orders": ORDER_TYPES,
    "programs": PROGRAM_TYPES,
    "organizations": ORGANIZATION_TYPES,
    "targets": TARGET_TYPES,
}
EXTRA_COLUMNS = {"orders": ["student_key"]}


def install_macros(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(MACROS).fetchall()


def source_table(table: Located) -> pa.Table:
    """The table's data rows as c0…cN strings plus the Excel row number."""
    data = table.sheet.data.slice(table.header_index + 1, table.end_index - table.header_index - 1)
    first_row = table.header_index + 2
    names = [f"c{i}" for i in range(data.num_columns)]
    rows = pa.array(range(first_row, first_row + data.num_rows), pa.int32())
    arrays = [*data.columns, rows]
    return pa.Table.from_arrays(arrays, names=[*names, "source_row"])


def typed_select(table: Located, width: int, constants: dict[str, object]) -> str:
    """One SELECT typing the registered `src` view; `constants` become literal columns."""
    types = TYPES[table.spec.name]
    raws = ", ".join(
        f"clean(c{table.columns[f]}) AS r_{f}" if f in table.columns else f"NULL::VARCHAR AS r_{f}"
        for f in types
    )
    first_cell = "coalesce(" + ", ".join(f"clean(c{i})" for i in range(width)) + ")"
    selected = [f"{_literal(v)} AS {k}" for k, v in constants.items()] + ["source_row"]
    for field, (expr, keeps_raw) in types.items():
        selected.append(f"{expr} AS {field}")
        if keeps_raw:
            selected.append(f"r_{field} AS {field}_raw")
    if table.spec.name == "orders":
        selected.append("lower(r_student_name) AS student_key")
    not_blank = "coalesce(" + ", ".join(f"r_{f}" for f in types) + ") IS NOT NULL"
    return (
        f"SELECT {', '.join(selected)} FROM ("
        f"SELECT source_row, {first_cell} AS first_cell, {raws} FROM src)"
        f" WHERE {not_blank}"
        " AND NOT coalesce(regexp_matches(first_cell, '^(TOTAL|JUMLAH)\\b', 'i'), false)"
        " ORDER BY source_row"
    )


def _literal(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"
