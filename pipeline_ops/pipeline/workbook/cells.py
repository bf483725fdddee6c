"""Typing workbook text in DuckDB SQL, vectorised (docs/workbooks.md).

Each located table is registered as an Arrow table of strings (`c0`, `c1`, … plus
`source_row`) and typed by one SELECT. Fully blank rows and TOTAL/JUMLAH rows are dropped
here; every other row is kept, with NULL in a typed column whose text could not be read
(its `*_raw` twin keeps the text so validation can quote it).
"""

from __future__ import annotations

import re

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from pipeline_ops.pipeline.text import CONTROL_CLASS
from pipeline_ops.pipeline.workbook.ranges import MONEY_SHAPES, money_text_sql
from pipeline_ops.pipeline.workbook.reader import MONTH_WORDS
from pipeline_ops.pipeline.workbook.tables import Located


def _money_branches() -> str:
    """money_num's body: each shape of money text and how it becomes a BIGINT."""
    return " ".join(
        f"WHEN regexp_full_match(t, '{shape}') THEN {cast}" for shape, cast in MONEY_SHAPES.items()
    )


_SPACES = " \t\r\n\xa0"  # real characters inside the SQL literal: trim() takes no escapes
# trim(s, chars) and regexp_replace cost several times a regexp_matches, and most cells need
# neither: each cleaner first asks a regex whether the value could change (for `clean` a
# superset: any non-word first or last character, which covers every Unicode space trim() drops).
_month_cases = " ".join(f"WHEN '{name}' THEN {n}" for name, n in MONTH_WORDS.items())

MACROS = rf"""
CREATE OR REPLACE MACRO trimmed(s) AS nullif(CASE
    WHEN regexp_matches(s, '^[{_SPACES}]|[{_SPACES}]$') THEN trim(s, '{_SPACES}') ELSE s END, '');
CREATE OR REPLACE MACRO clean(s) AS nullif(CASE
    WHEN regexp_matches(s, '[\s\x{{00A0}}]{{2}}|[\t\n\f\r\x{{00A0}}]|^\W|\W$')
        THEN trim(regexp_replace(s, '[\s\x{{00A0}}]+', ' ', 'g')) ELSE s END, '');
CREATE OR REPLACE MACRO money_text(s) AS {money_text_sql("s")};
CREATE OR REPLACE MACRO money_num(t) AS CASE {_money_branches()} END;
CREATE OR REPLACE MACRO parse_money(s) AS CASE
    WHEN regexp_full_match(s, '\d{{1,18}}') THEN CAST(s AS BIGINT)
    ELSE money_num(money_text(s)) END;
CREATE OR REPLACE MACRO parse_count(s) AS try_cast(parse_money(s) AS INTEGER);
CREATE OR REPLACE MACRO blank_zero(s) AS CASE WHEN s IS NULL THEN 0 ELSE parse_money(s) END;
CREATE OR REPLACE MACRO parse_date(s) AS CASE
    WHEN isfinite(try_cast(s AS TIMESTAMP)) THEN CAST(try_cast(s AS TIMESTAMP) AS DATE)
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
    "target_students": ("parse_count(r_target_students)", True),
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


def source_table(table: Located) -> tuple[pa.Table, frozenset[str]]:
    """The table's data rows: `r_<field>` text per field, the Excel row number and the first
    non-empty cell of the whole row (to spot TOTAL/JUMLAH rows). Pure Arrow, no row loop.

    Also the fields whose text holds control characters (calamine decodes `_x001B_`): their
    `r_` column is the text without them and `o_<field>` the text as typed. Honest sheets
    have none, and finding that out is one byte scan per column, not a regex per cell."""
    data = table.sheet.data.slice(table.header_index + 1, table.end_index - table.header_index - 1)
    rows = data.num_rows
    first_row = table.header_index + 2
    columns: dict[str, pa.Array] = {
        "source_row": pa.array(range(first_row, first_row + rows), pa.int32()),
        "first_cell": pc.coalesce(*data.columns) if data.num_columns else _nulls(rows),
    }
    dirty = set()
    for field in TYPES[table.spec.name]:
        index = table.columns.get(field)
        text = data.column(index) if index is not None else _nulls(rows)
        if has_controls(text):
            dirty.add(field)
            columns[f"o_{field}"] = text
            text = pc.replace_substring_regex(text, f"[{CONTROL_CLASS}]", "")
        columns[f"r_{field}"] = text
    return pa.table(columns), frozenset(dirty)


# Every byte but the C0 controls (tab and newline aside) and DEL: deleting these from a
# column's bytes leaves only control bytes. C1 controls are two bytes in UTF-8, \xc2\x80-\x9f.
_NOT_C0 = bytes(b for b in range(256) if not (b < 0x20 and b not in (9, 10)) and b != 0x7F)
_C1 = re.compile(rb"\xc2[\x80-\x9f]")


def has_controls(text: pa.Array) -> bool:
    if text.null_count == len(text) or not pa.types.is_string(text.type):
        return False
    values = text.buffers()[2]
    raw = values.to_pybytes() if values is not None else b""
    return bool(raw.translate(None, _NOT_C0)) or (b"\xc2" in raw and bool(_C1.search(raw)))


def cleaned_select(spec_name: str, dirty: frozenset[str] = frozenset()) -> str:
    """Step 1 over `src`: trimmed text per field, blank and TOTAL/JUMLAH rows dropped. Not
    materialised: DuckDB computes each cleaned column once for the typing step above it, and
    copying the strings into a temp table costs more than it saves. A `dirty` field's
    `*_raw` twin comes from the text as typed (`o_`), controls included."""
    types = TYPES[spec_name]
    cleaned = ", ".join(f"{_cleaner(f)}(r_{f}) AS r_{f}" for f in types)
    originals = "".join(f", trimmed(o_{f}) AS o_{f}" for f in types if f in dirty)
    not_blank = "coalesce(" + ", ".join(f"r_{f}" for f in types) + ") IS NOT NULL"
    return (
        f"SELECT * FROM (SELECT source_row, first_cell, {cleaned}{originals} FROM src)"
        f" WHERE {not_blank}"
        " AND NOT coalesce(regexp_matches(first_cell, '^\\s*(TOTAL|JUMLAH)\\b', 'i'), false)"
    )


def _nulls(rows: int) -> pa.Array:
    return pa.nulls(rows, pa.string())


def typed_select(
    spec_name: str, constants: dict[str, object], dirty: frozenset[str] = frozenset()
) -> str:
    """Step 2 over step 1: typed columns, `*_raw` twins; `constants` (entity, year, hash,
    then month and sheet of an orders sheet, or the sheet of a REFERENSI block) become
    literals, in that order. Reads the registered Arrow table `src`; `dirty` comes with it
    from `source_table`."""
    types = TYPES[spec_name]
    selected = [f"{_literal(v)} AS {k}" for k, v in constants.items()]
    selected.append("source_row")
    for field, (expr, keeps_raw) in types.items():
        selected.append(f"{expr} AS {field}")
        if keeps_raw:
            selected.append(f"{'o' if field in dirty else 'r'}_{field} AS {field}_raw")
    if spec_name == "orders":
        selected.append("lower(r_student_name) AS student_key")
    return f"SELECT {', '.join(selected)} FROM ({cleaned_select(spec_name, dirty)})"


# Names get inner whitespace collapsed; codes, invoices, dates and amounts are only trimmed.
COLLAPSED = {"student_name", "organization", "program_name", "city", "kind"}


def _cleaner(field: str) -> str:
    return "clean" if field in COLLAPSED else "trimmed"


def _literal(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"
