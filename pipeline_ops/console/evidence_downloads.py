"""A figure's evidence as a CSV or XLSX download: every row of the figure (as narrowed on its
page), not only one page, with cell addresses as text (docs/reports.md, "Where a number comes
from").

Text stays text. In the XLSX a string starting with `=` is stored as a string, never a formula
(as pipeline/reports/xlsx.py does), and control characters openpyxl refuses are dropped. A
CSV has no types: a spreadsheet opening it would run `=HYPERLINK(…)` typed as a student's
name, so text cells that a spreadsheet would read as a formula get a leading `'`.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile

from django.http import FileResponse, HttpResponse
from django.http.response import HttpResponseBase

from pipeline_ops.console.evidence_page import KIND_WORDS, Asked, Source
from pipeline_ops.pipeline.evidence.figures import MONEY

# (row key, header, is money)
COLUMNS = (
    ("invoice", "Invoice", False), ("date", "Date", False), ("student", "Student", False),
    ("program", "Program", False), ("program_name", "Program name", False),
    ("unit", "Unit", False), ("status", "Status", False), ("price", "Harga", True),
    ("discount", "Diskon", True), ("paid", "Dibayar", True), ("amount", "{kind}", None),
    ("sheet", "Sheet", False), ("row", "Row", False), ("cell", "Cell", False),
    ("invoice_cell", "Invoice cell", False), ("price_cell", "Harga cell", False),
    ("discount_cell", "Diskon cell", False), ("paid_cell", "Dibayar cell", False),
    ("workbook_sha256", "Workbook sha256", False),
)  # fmt: skip
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# openpyxl writes cell by cell, ≈1 s a thousand rows on this machine (make bench): beyond
# this a request would outlast a proxy's timeout. Bigger figures: the CSV, or the report's
# own XLSX, whose Orders sheet holds every order of the report.
XLSX_ROWS = 10_000


def download(source: Source, request: Asked) -> HttpResponseBase:
    from pipeline_ops.pipeline.evidence.read import evidence  # duckdb: on use only

    if request.format == "xlsx":
        count = evidence(source.path, request.narrowed, limit=0).count
        if count > XLSX_ROWS:
            line = (f"{count:,} orders are too many for a spreadsheet download here (at most"
                    f" {XLSX_ROWS:,}): download the CSV, or the report's XLSX, whose Orders"
                    " sheet holds every order.")  # fmt: skip
            return HttpResponse(line, status=413, content_type="text/plain; charset=utf-8")
    rows = evidence(source.path, request.narrowed).rows
    headers = [h.format(kind=f"{KIND_WORDS[request.figure.kind]} (part of the figure)")
               for _, h, _ in COLUMNS]  # fmt: skip
    name = f"{source.report.stem}-{_slug(request)}.{request.format}"
    if request.format == "csv":
        response = HttpResponse(_csv(headers, rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    money = request.figure.kind in MONEY
    return FileResponse(_xlsx(headers, rows, money), as_attachment=True, filename=name,
                        content_type=XLSX_TYPE)  # fmt: skip


def _slug(request: Asked) -> str:
    """`revenue-unit-TM-status-LUNAS`: the figure and its narrowing, safe as a file name."""
    words = [request.narrowed.kind, *request.narrowed.query().split("&")]
    return re.sub(r"[^A-Za-z0-9]+", "-", "-".join(words)).strip("-")[:80]


def _csv(headers: list[str], rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    for row in rows:
        writer.writerow([_csv_text(row[key]) for key, _, _ in COLUMNS])
    return out.getvalue()


def _csv_text(value):
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return "" if value is None else value


def _xlsx(headers: list[str], rows: list[dict], money_figure: bool) -> io.BufferedIOBase:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Orders")
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    sheet.append([_cell(sheet, h, font=bold) for h in headers])
    for row in rows:
        cells = []
        for key, _, money in COLUMNS:
            value = row[key]
            if isinstance(value, str):
                value = ILLEGAL_CHARACTERS_RE.sub("", value)
            cell = _cell(sheet, value)
            if money or (money is None and money_figure):
                cell.number_format = '"Rp "#,##0'
            elif key == "date":
                cell.number_format = "yyyy-mm-dd"
            cells.append(cell)
        sheet.append(cells)
    # A 120k-order year is megabytes: on disk, not in memory; FileResponse closes it.
    handle = tempfile.TemporaryFile()  # noqa: SIM115
    book.save(handle)
    handle.seek(0)
    return handle


def _cell(sheet, value, font=None):
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # `=…` is text, never a formula
    if font is not None:
        cell.font = font
    return cell
