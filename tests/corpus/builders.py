"""Broken and odd source workbooks, each built in code (openpyxl, zip surgery or raw bytes).

Every builder takes the target path and writes one file there. Builders that change cells
return nothing: tests name cells through `LAYOUT` (the fixed layout of `base()`), so an
expected cell like `FEB!H4` is derived, not typed by hand.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl

from tests.workbooks import ORDER_HEADERS, Layout, build_workbook, order

# base(): a February sheet with a header in row 1 and orders from row 2.
LAYOUT = Layout({2: "FEB"}, 1, 1, list(ORDER_HEADERS))


def cell(index: int, header: str, month: int = 2) -> str:
    """Excel address of order `index`'s `header` cell in a base() workbook."""
    return LAYOUT.cell(month, index, header)


def orders(count: int = 3, month: int = 2, **values) -> list[dict]:
    return [
        order(**{"invoice": f"INV-{month:02d}{i:03d}", "date": dt.datetime(2026, month, 1 + i)}
              | values)
        for i in range(count)
    ]  # fmt: skip


def base(path: Path, rows: list | None = None, **kwargs) -> Layout:
    """A valid workbook: REFERENSI plus FEB with three orders unless told otherwise."""
    return build_workbook(path, months={2: orders() if rows is None else rows}, **kwargs)


def _edit(path: Path, sheet: str, change) -> None:
    wb = openpyxl.load_workbook(path)
    change(wb[sheet])
    wb.save(path)


def _xlsx_bytes(path: Path) -> bytes:
    base(path)
    return path.read_bytes()


# --- files that are not usable workbooks ---------------------------------------------


def broken_zip(path: Path) -> None:
    """A real workbook with its middle overwritten (damaged entries, intact signature)."""
    data = bytearray(_xlsx_bytes(path))
    middle = len(data) // 2
    data[middle : middle + 400] = b"\x00" * 400
    path.write_bytes(bytes(data))


def truncated(path: Path) -> None:
    data = _xlsx_bytes(path)
    path.write_bytes(data[: len(data) // 2])


def zip_of_text(path: Path) -> None:
    """A valid zip that holds no workbook parts."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "not a spreadsheet")


def old_xls(path: Path) -> None:
    """An OLE2 compound file header: what Excel 97-2003 (BIFF) .xls files start with."""
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504)


ODS_CONTENT = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">
<office:body><office:spreadsheet><table:table table:name="FEB"><table:table-row>
<table:table-cell office:value-type="string"><text:p>Tanggal</text:p></table:table-cell>
</table:table-row></table:table></office:spreadsheet></office:body>
</office:document-content>"""


def ods(path: Path) -> None:
    """An OpenDocument spreadsheet saved with an .xlsx name."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet"
        )
        archive.writestr("content.xml", ODS_CONTENT)
        archive.writestr(
            "META-INF/manifest.xml",
            '<?xml version="1.0"?><manifest:manifest xmlns:manifest='
            '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>',
        )


def html_table(path: Path) -> None:
    """What some web exports save as .xlsx: an HTML table."""
    path.write_text("<html><body><table><tr><td>Tanggal</td></tr></table></body></html>")


# --- sheets ----------------------------------------------------------------------------


def no_reference(path: Path) -> None:
    base(path, reference=False)


def reference_only(path: Path) -> None:
    build_workbook(path, months={})


def unknown_sheets_only(path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.active.title = "Sheet1"
    wb.create_sheet("Rekap")["A1"] = "Total"
    wb.save(path)


def two_sheets_one_month(path: Path) -> None:
    base(path, extra_sheets={"Februari": [ORDER_HEADERS]})


def hidden_month_sheet(path: Path) -> None:
    build_workbook(path, months={2: orders(), 3: orders(2, month=3)}, hidden_sheets=("MAR",))


def hidden_other_sheet(path: Path) -> None:
    base(path, extra_sheets={"Catatan": [["rahasia", 1]]}, hidden_sheets=("Catatan",))


def empty_month_sheet(path: Path) -> None:
    base(path, extra_sheets={"MAR": []})


def header_only(path: Path) -> None:
    base(path, rows=[])


def total_only(path: Path) -> None:
    base(path, rows=[["TOTAL", None, None, None, None, None, None, 4_500_000]])


def month_sheet_names_with_spaces(path: Path) -> None:
    base(path, sheet_names={2: "  februari "})


# --- headers -----------------------------------------------------------------------------


def merged_title_cells(path: Path) -> None:
    """A merged banner across the header's width above the table (people love these)."""
    base(path, title_rows=[["PENJUALAN IONS 2026"], []])
    _edit(path, "FEB", lambda ws: ws.merge_cells("A1:L2"))


def merged_header_cells(path: Path) -> None:
    """`No` and `Tanggal` merged into one header cell: the Tanggal header is gone."""
    base(path)
    _edit(path, "FEB", lambda ws: ws.merge_cells("A1:B1"))


def duplicated_headers(path: Path) -> None:
    """Two `Harga` columns: the first one counts; the second (a note) is ignored."""
    base(path)

    def add_second_price(ws) -> None:
        ws.cell(row=1, column=len(ORDER_HEADERS) + 1, value="HARGA")
        for row in range(2, ws.max_row + 1):
            ws.cell(row=row, column=len(ORDER_HEADERS) + 1, value="catatan")

    _edit(path, "FEB", add_second_price)


def header_in_row_50(path: Path) -> None:
    base(path, title_rows=[["PENJUALAN"], *([[]] * 48)])


def header_too_deep(path: Path) -> None:
    base(path, title_rows=[["PENJUALAN"], *([[]] * 69)])


def very_wide_sheet(path: Path) -> None:
    extra = [f"Kolom {i}" for i in range(500)]
    rows = orders(extra=dict.fromkeys(extra, "x"))
    base(path, rows=rows, headers=[*ORDER_HEADERS, *extra])


def missing_programs_block(path: Path) -> None:
    """REFERENSI holds organizations and targets but no programs block."""
    reference = [["Nama Organisasi", "Kota", "Jenis"], ["SD Harapan", "Bandung", "Sekolah"]]
    base(path, reference=False, extra_sheets={"REFERENSI": reference})


def duplicate_program_codes(path: Path) -> None:
    from tests.workbooks import PROGRAMS

    base(path, programs=[*PROGRAMS, {**PROGRAMS[0], "price": 999}])


# --- values --------------------------------------------------------------------------------


def error_values(path: Path) -> None:
    """Formula results #REF!, #DIV/0! and #N/A cached in money and date cells."""
    rows = orders()
    rows[0]["price"] = "#REF!"
    rows[1]["paid"] = "#DIV/0!"
    rows[2]["date"] = "#N/A"
    base(path, rows=rows)


def dates_1900_and_2100(path: Path) -> None:
    rows = orders(2)
    rows[0]["date"] = dt.datetime(1900, 1, 1)
    rows[1]["date"] = dt.datetime(2100, 12, 31)
    base(path, rows=rows)


def huge_amounts(path: Path) -> None:
    """1e15 rupiah reads exactly; 1e20 does not fit a BIGINT and is not money."""
    rows = orders(2, price=10**15, paid=10**15)
    rows[1]["price"] = 1e20
    base(path, rows=rows)


def negative_amounts(path: Path) -> None:
    rows = orders(2)
    rows[0]["discount"] = -50_000
    rows[1]["paid"] = "-1.500.000"
    base(path, rows=rows)


LONG_TEXT = "A" * 100_000


def long_cells(path: Path) -> None:
    """100k characters in a name (kept) and in a program code (unknown, quoted briefly)."""
    rows = orders(2)
    rows[0]["student"] = LONG_TEXT
    rows[1]["program"] = LONG_TEXT
    base(path, rows=rows)


UNICODE_NAMES = ["Zoë Ñúñez", "محمد العربي", "李小龙 🐉", "שָׁלוֹם", "Ａｎｉ　Ｗｉｄｏｄｏ"]


def unicode_names(path: Path) -> None:
    rows = [
        order(invoice=f"U-{i}", student=name, organization="Sekolah 🌟 Ceria")
        for i, name in enumerate(UNICODE_NAMES)
    ]
    base(path, rows=rows)


def text_in_numeric_columns(path: Path) -> None:
    rows = orders(2)
    rows[0]["price"] = "satu juta"
    rows[1]["discount"] = "gratis"
    base(path, rows=rows)


def booleans_in_cells(path: Path) -> None:
    rows = orders(2)
    rows[0]["price"] = True
    rows[1]["status"] = False
    base(path, rows=rows)


def dates_as_numbers(path: Path) -> None:
    base(path, rows=orders(1, date=20260203))


def whitespace_only_cells(path: Path) -> None:
    rows = orders(2)
    rows[0]["student"] = "   "
    rows[1]["price"] = " \t "
    base(path, rows=rows)


def numeric_invoices(path: Path) -> None:
    """Invoice numbers typed as numbers: 1001 must read as '1001', not '1001.0'."""
    rows = [order(invoice=1001 + i, date=dt.datetime(2026, 2, 1 + i)) for i in range(2)]
    base(path, rows=rows)


def formulas_without_cached_values(path: Path) -> None:
    """Written by a script, never opened in Excel: formulas carry no values to read."""
    rows = orders(1)
    rows[0]["paid"] = "=H2-I2"
    base(path, rows=rows)


def blank_rows_and_stray_numbers(path: Path) -> None:
    """Blank rows between orders and rows where only `No` is filled are skipped."""
    rows = orders(3)
    base(path, rows=[rows[0], None, None, rows[1], [99], None, rows[2]])


def mixed_case_and_nbsp(path: Path) -> None:
    rows = orders(2, status=" lunas ", unit="tm")
    rows[0]["price"] = "Rp\xa01.500.000"
    rows[1]["paid"] = "1,500,000"
    base(path, rows=rows)
