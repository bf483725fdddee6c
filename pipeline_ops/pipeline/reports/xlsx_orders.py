"""The report workbook's "Orders" sheet: every order of the report's evidence file
(pipeline/evidence/store.py), one row each, so a manager can filter and pivot offline.

A yearly report holds up to 120k orders, 2.5 million cells: openpyxl (write-only mode too,
and without lxml) needs a minute or more. So openpyxl writes the sheet's frame (header,
widths, frozen row, autofilter) and one template row that fixes each column's style
(xlsx.py); the rows themselves are made as XML by an in-memory DuckDB over the evidence
file and streamed into the saved workbook in place of the template row (≈1.2 s of CPU,
an 8 MB file, for 120k).

Text goes in as inline strings, so a value is never a formula (a student named
`=HYPERLINK(…)` stays text), without the control characters XML cannot hold (the same
guard, openpyxl's ILLEGAL_CHARACTERS_RE, as xlsx._append) and cut to Excel's 32,767
characters a cell. Dates are Excel serial days; numbers are numbers.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import duckdb
import pyarrow as pa
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

TEMPLATE_ROW = re.compile(r'<row r="2"[^>]*?(?:/>|>.*?</row>)', re.S)
TEMPLATE_CELL = re.compile(r'<c r="([A-Z]+)2"(?: s="(\d+)")?')
DIMENSION = re.compile(r'<dimension ref="[^"]*"\s*/>')
ILLEGAL = ILLEGAL_CHARACTERS_RE.pattern  # RE2 reads its octal escapes as Python does
SPECIAL = f"[&<>]|{ILLEGAL}"  # what XML text must escape or drop
EXCEL_CELL_CHARS = 32_767
NUMBERS = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "DOUBLE", "FLOAT", "DECIMAL")
BATCH = 8_192  # rows made, compressed and written at a time: memory stays flat
# Deflate's fastest level: 120k orders are ≈100 MB of sheet XML; level 6 (zipfile's
# default) halves the speed for a file ≈30 % smaller.
LEVEL = 1


def save(wb: Workbook, ws: Worksheet, path: Path, evidence: Path, columns: list[str]) -> None:
    """Save `wb` to `path` with `ws` (header row + template row 2) holding every evidence
    row in the file's (workbook) order, its `columns` (evidence column names) left to right."""
    with duckdb.connect() as con:  # in memory; the file is only read
        con.read_parquet(str(evidence), file_row_number=True).create_view("evidence")
        (count,) = con.execute("SELECT count(*) FROM evidence").fetchone()
        ref = f"A1:{get_column_letter(len(columns))}{count + 1}"
        ws.auto_filter.ref = ref
        frame = io.BytesIO()
        wb.save(frame)
        sheet_xml = ws.path.lstrip("/")  # known once saved: `xl/worksheets/sheet7.xml`
        with (
            zipfile.ZipFile(frame) as source,
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=LEVEL) as target,
        ):
            for info in source.infolist():
                if info.filename != sheet_xml:
                    target.writestr(info, source.read(info))
                    continue
                head, template, tail = _split(source.read(info).decode(), ref)
                rows = con.sql(_rows_sql(con, columns, _styles(template, len(columns))))
                _stream(target, info.filename, head, rows.to_arrow_reader(BATCH), tail)


def _split(xml: str, ref: str) -> tuple[str, str, str]:
    """The sheet's XML before its template row, the row, and after it; the dimension set
    to the rows that will be there."""
    xml = DIMENSION.sub(f'<dimension ref="{ref}"/>', xml, count=1)
    found = TEMPLATE_ROW.search(xml)
    if found is None:  # xlsx.py always writes one: a change there must not lose orders
        raise ValueError("the Orders sheet has no template row")
    return xml[: found.start()], found.group(0), xml[found.end() :]


def _styles(template: str, count: int) -> list[int]:
    """Each column's style index as openpyxl saved it (0, the default, goes unsaid)."""
    saved = {letter: int(style or 0) for letter, style in TEMPLATE_CELL.findall(template)}
    return [saved.get(get_column_letter(i), 0) for i in range(1, count + 1)]


def _stream(target: zipfile.ZipFile, name: str, head: str, batches: pa.RecordBatchReader,
            tail: str) -> None:  # fmt: skip
    """Each batch's rows straight from Arrow's string buffer: one string column's values
    lie end to end in it, so the bytes between its first and last offset are the rows."""
    with target.open(name, "w") as out:
        out.write(head.encode())
        for batch in batches:
            rows = batch.column(0).cast(pa.large_string())
            _validity, offsets, data = rows.buffers()
            ends = pa.Array.from_buffers(pa.int64(), len(rows) + 1, [None, offsets], 0,
                                         rows.offset)  # fmt: skip
            out.write(memoryview(data)[ends[0].as_py() : ends[-1].as_py()])
        out.write(tail.encode())


def _rows_sql(con: duckdb.DuckDBPyConnection, columns: list[str], styles: list[int]) -> str:
    """One `<row>` per order, numbered from 2 (under the header) by its place in the file;
    without ORDER BY DuckDB keeps the file's order (preserve_insertion_order). One concat()
    per row: a chain of `||` copies the growing row once per piece, twice the work. Most
    rows hold nothing to escape or cut: one test of the row's text spares them the four
    string passes of every text cell (half the sheet's SQL time on 120k orders)."""
    types = dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE evidence)").fetchall())
    cells = list(zip(columns, [types[c] for c in columns], styles, strict=True))
    texts = [c for c, kind, _ in cells if not _is_value(kind)]
    escaped, plain = (", ".join(_cell(*cell, escape) for cell in cells) for escape in (True, False))
    return f"""SELECT concat('<row r="', file_row_number + 2, '">', CASE
            WHEN length(_text) > {EXCEL_CELL_CHARS} OR regexp_matches(_text, '{SPECIAL}')
            THEN concat({escaped}) ELSE concat({plain}) END, '</row>')
        FROM (SELECT *, concat({", ".join(texts)}) AS _text FROM evidence)"""


def _is_value(kind: str) -> bool:
    return kind == "DATE" or kind.startswith(NUMBERS)


def _cell(column: str, kind: str, style: int, escape: bool) -> str:
    """SQL for one cell's XML; an empty (styled) cell for NULL, so columns stay in place.
    No `xml:space="preserve"`: extract trims every text cell (workbook/cells.py)."""
    c = f'<c s="{style}"' if style else "<c"
    if kind == "DATE":
        filled = f"concat('{c}><v>', date_diff('day', DATE '1899-12-30', {column}), '</v></c>')"
    elif kind.startswith(NUMBERS):
        filled = f"concat('{c}><v>', {column}, '</v></c>')"
    else:
        text = _text(column) if escape else f"CAST({column} AS VARCHAR)"
        filled = f"""concat('{c} t="inlineStr"><is><t>', {text}, '</t></is></c>')"""
    return f"CASE WHEN {column} IS NULL THEN '{c}/>' ELSE {filled} END"


def _text(column: str) -> str:
    """The value as XML text: printable, at most one Excel cell's worth, escaped."""
    legal = f"regexp_replace(CAST({column} AS VARCHAR), '{ILLEGAL}', '', 'g')"
    cut = f"left({legal}, {EXCEL_CELL_CHARS})"
    return f"replace(replace(replace({cut}, '&', '&amp;'), '<', '&lt;'), '>', '&gt;')"
