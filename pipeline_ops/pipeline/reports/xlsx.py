"""The report as a workbook: one sheet per section, real numbers with number formats,
native charts beside the tables they draw (xlsx_charts.py).

Money cells hold integer rupiah (so finance can sum them) formatted `Rp #,##0`;
percentages hold the JSON's value (12.5 means 12.5%) formatted `0.0"%"`. The last sheet,
"Orders", lists the orders of the report's evidence file (xlsx_orders.py): a report from
before evidence was kept has none.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from pipeline_ops.pipeline.period import MONTH_ABBREVIATIONS
from pipeline_ops.pipeline.reports import xlsx_charts, xlsx_orders
from pipeline_ops.pipeline.reports.labels import local_time, period_title
from pipeline_ops.pipeline.reports.notes import withheld_notices

MONEY = '"Rp "#,##0'
PCT = '0.0"%"'
COUNT = "#,##0"
HEADER_FILL = PatternFill("solid", fgColor="1F3A5F")
HEADER_FONT = Font(bold=True, color="FFFFFF")

# (header, key, number format, width)
UNIT_COLUMNS = [
    ("Unit", "unit", None, 10),
    ("Actual", "actual", MONEY, 20),
    ("Target", "target", MONEY, 20),
    ("Achievement", "achievement_pct", PCT, 14),
    ("Previous", "previous", MONEY, 20),
    ("Change", "change_pct", PCT, 12),
]
MONTH_COLUMNS = [
    ("Month", "month", "0", 8),
    ("Name", "name", None, 8),
    ("Actual", "actual", MONEY, 20),
    ("Target", "target", MONEY, 20),
    ("Collected", "collected", MONEY, 20),
    ("Outstanding", "outstanding", MONEY, 20),
]
DAY_COLUMNS = [
    ("Date", "date", "dd mmm yyyy", 14),
    ("Day", "day", "0", 6),
    ("Revenue", "actual", MONEY, 20),
]
PROGRAM_COLUMNS = [
    ("Code", "code", None, 16),
    ("Program", "name", None, 36),
    ("Unit", "unit", None, 8),
    ("Enrollments", "enrollments", COUNT, 13),
    ("Target", "target", COUNT, 10),
    ("Achievement", "achievement_pct", PCT, 14),
    ("Revenue", "revenue", MONEY, 20),
]
ORGANIZATION_COLUMNS = [
    ("Organization", "name", None, 40),
    ("Students", "students", COUNT, 11),
    ("Revenue", "revenue", MONEY, 20),
]

# The evidence file's columns (pipeline/evidence/store.py), in the order a manager reads an
# order: who and what, the money, where it was typed. Cell addresses are text.
ORDER_COLUMNS = [
    ("Invoice", "invoice", None, 18),
    ("Date", "order_date", "dd mmm yyyy", 12),
    ("Student", "student_name", None, 24),
    ("Organization", "organization", None, 26),
    ("Program", "program_code", None, 13),
    ("Program name", "program_name", None, 24),
    ("Unit", "unit", None, 6),
    ("Status", "status", None, 8),
    ("Harga", "price", MONEY, 15),
    ("Diskon", "discount", MONEY, 15),
    ("Dibayar", "paid", MONEY, 15),
    ("Revenue", "revenue", MONEY, 15),
    ("Collected", "collected", MONEY, 15),
    ("Outstanding", "outstanding", MONEY, 15),
    ("Sheet", "sheet", None, 10),
    ("Row", "source_row", "0", 7),
    ("Invoice cell", "invoice_cell", None, 12),
    ("Harga cell", "price_cell", None, 11),
    ("Diskon cell", "discount_cell", None, 11),
    ("Dibayar cell", "paid_cell", None, 12),
    # Whole: the file leaves us, and only the full hash names one workbook version for sure.
    ("Workbook sha256", "workbook_sha256", None, 16),
]


def _summary_rows(report: dict) -> list[tuple[str, object, str | None]]:
    revenue = report["revenue"]
    return [
        ("Entity", report["entity"], None),
        ("Unit", report.get("unit") or "All units", None),
        ("Period", period_title(report), None),
        ("Months", ", ".join(str(m) for m in report["months"]), None),
        ("Revenue (actual)", revenue["actual"], MONEY),
        ("Revenue target", revenue["target"], MONEY),
        ("Achievement", revenue["achievement_pct"], PCT),
        ("Previous period", revenue["previous"], MONEY),
        ("Change", revenue["change_pct"], PCT),
        ("Collected", revenue["collected"], MONEY),
        ("Outstanding", revenue["outstanding"], MONEY),
        ("Orders", report["orders"]["total"], COUNT),
        ("Cancelled orders", report["orders"]["cancelled"], COUNT),
        ("Generated at", local_time(report["generated_at"]), None),
    ]


def _append(ws, values: list) -> None:
    """Text stays text: openpyxl stores a string starting with `=` as a live formula (a
    program named `=HYPERLINK(…)` would become a link in finance's copy) and refuses
    control characters, which workbooks can smuggle in as `_x001B_` escapes."""
    ws.append([ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in values])
    for cell in ws[ws.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"


def _header(ws, titles: list[str], widths: list[int]) -> None:
    _append(ws, titles)
    for index, width in enumerate(widths, start=1):
        cell = ws.cell(row=1, column=index)
        cell.fill, cell.font = HEADER_FILL, HEADER_FONT
        cell.alignment = Alignment(vertical="center")
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = "A2"


def _table(wb: Workbook, title: str, columns: list[tuple], rows: list[dict]):
    ws = wb.create_sheet(title)
    _header(ws, [c[0] for c in columns], [c[3] for c in columns])
    for row in rows:
        # .get: a JSON written before a column existed still renders (the cell stays empty).
        _append(ws, [row.get(c[1]) for c in columns])
        for index, (_, _, fmt, _) in enumerate(columns, start=1):
            if fmt:
                ws.cell(row=ws.max_row, column=index).number_format = fmt
    return ws


def _summary(wb: Workbook, report: dict) -> None:
    ws = wb.active
    ws.title = "Summary"
    _header(ws, ["Measure", "Value"], [24, 26])
    for notice in withheld_notices(report):  # first: the totals below leave these out
        _append(ws, ["Withheld", notice])
        ws.cell(row=ws.max_row, column=1).font = Font(bold=True, color="A3111F")
    for label, value, fmt in _summary_rows(report):
        _append(ws, [label, value])
        if fmt:
            ws.cell(row=ws.max_row, column=2).number_format = fmt
    for warning in report["warnings"]:
        _append(ws, ["Warning", warning])
        ws.cell(row=ws.max_row, column=1).font = Font(bold=True, color="9C2A00")


def write_xlsx(report: dict, path: Path, evidence: Path | None = None) -> None:
    """The report as `path`; with an "Orders" sheet when its `evidence` file exists."""
    wb = Workbook()
    _summary(wb, report)
    revenue = report["revenue"]
    _table(wb, "By unit", UNIT_COLUMNS, revenue["by_unit"])
    if revenue.get("by_day"):
        days = [dict(d, date=date.fromisoformat(d["date"]), day=int(d["date"][8:]))
                for d in revenue["by_day"]]  # fmt: skip
        xlsx_charts.by_day_chart(_table(wb, "By day", DAY_COLUMNS, days), report)
    months = [dict(m, name=MONTH_ABBREVIATIONS[m["month"] - 1]) for m in revenue["by_month"]]
    by_month = _table(wb, "By month", MONTH_COLUMNS, months)
    if report["type"] != "monthly":  # a one-month report has one row: nothing to chart
        xlsx_charts.by_month_charts(by_month, report)
    programs = _table(wb, "Programs", PROGRAM_COLUMNS, report["programs"])
    xlsx_charts.programs_chart(programs, report)
    _table(wb, "Top organizations", ORGANIZATION_COLUMNS, report["top_organizations"])
    if evidence is None or not Path(evidence).is_file():  # an old report re-presented
        wb.save(path)
        return
    orders = _table(wb, "Orders", ORDER_COLUMNS, [{}])  # row 2: the template of every row
    xlsx_orders.save(wb, orders, path, Path(evidence), [c[1] for c in ORDER_COLUMNS])
