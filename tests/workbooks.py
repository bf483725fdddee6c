"""Shared fixture module: builds small source workbooks in code (owned by the extract work).

    layout = build_workbook(path, months={2: [order(invoice="A-1"), ...]})
    layout.cell(2, 0, "Harga")  # -> "FEB!H5": the Excel cell of order 0's Harga on FEB

Rows in a month's list: a dict (an order, see `order()`), None (a fully blank row) or a
list (written as-is from the table's first column, e.g. a TOTAL row).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.utils import get_column_letter

ORDER_HEADERS = [
    "No", "Tanggal", "No Invoice", "Nama Siswa", "Organisasi", "Kode Program", "Unit",
    "Harga", "Diskon", "Dibayar", "Metode Bayar", "Status",
]  # fmt: skip
# order dict key → header
ORDER_KEYS = {
    "date": "Tanggal", "invoice": "No Invoice", "student": "Nama Siswa",
    "organization": "Organisasi", "program": "Kode Program", "unit": "Unit",
    "price": "Harga", "discount": "Diskon", "paid": "Dibayar", "method": "Metode Bayar",
    "status": "Status",
}  # fmt: skip
MONTH_SHEETS = ["JAN", "FEB", "MAR", "APR", "MEI", "JUN", "JUL", "AGU", "SEP", "OKT", "NOV", "DES"]

PROGRAMS = [
    {"code": "TM-SD-REG", "name": "Reguler SD", "unit": "TM", "price": 1_500_000, "target": 4},
    {"code": "TM-SMA-UTBK", "name": "UTBK SMA", "unit": "TM", "price": 2_500_000, "target": 2},
    {"code": "DR-SMP-INT", "name": "Intensif SMP", "unit": "DR", "price": 900_000, "target": 3},
]
ORGANIZATIONS = [
    {"name": "SD Harapan", "city": "Bandung", "kind": "Sekolah"},
    {"name": "SMP Nusantara", "city": "Jakarta", "kind": "Sekolah"},
    {"name": "Bimbel Cerdas", "city": "Bogor", "kind": "Mitra"},
]
PROGRAM_HEADERS = ["Kode Program", "Nama Program", "Unit", "Harga", "Target Siswa"]
ORGANIZATION_HEADERS = ["Nama Organisasi", "Kota", "Jenis"]
TARGET_HEADERS = ["Bulan", "Unit", "Target Pendapatan"]


def default_targets(months=range(1, 13)) -> list[dict]:
    return [
        {"month": m, "unit": u, "target": t}
        for m in months
        for u, t in (("TM", 10_000_000), ("DR", 3_000_000))
    ]


def order(**values: Any) -> dict:
    """A valid LUNAS order for TM-SD-REG in February 2026 unless told otherwise."""
    base = {
        "date": dt.datetime(2026, 2, 3), "invoice": "INV-0001", "student": "Budi Santoso",
        "organization": "SD Harapan", "program": "TM-SD-REG", "unit": "TM",
        "price": 1_500_000, "discount": 0, "paid": 1_500_000, "method": "Transfer",
        "status": "LUNAS",
    }  # fmt: skip
    return base | values


@dataclass
class Layout:
    """Where the builder put things, so tests can name cells."""

    sheet_names: dict[int, str]
    header_row: int
    first_col: int
    headers: list[str]
    reference_rows: dict[str, int] = field(default_factory=dict)

    def column(self, header: str) -> str:
        return get_column_letter(self.first_col + self.headers.index(header))

    def row(self, index: int) -> int:
        return self.header_row + 1 + index

    def cell(self, month: int, index: int, header: str) -> str:
        return f"{self.sheet_names[month]}!{self.column(header)}{self.row(index)}"


def _write_rows(ws, top: int, left: int, rows: list) -> None:
    for r, values in enumerate(rows):
        for c, value in enumerate(values or []):
            if value is not None:
                ws.cell(row=top + r, column=left + c, value=value)


def _order_row(headers: list[str], number: int, item: Any) -> list | None:
    if item is None or isinstance(item, list):
        return item
    by_header = {_norm(ORDER_KEYS[k]): v for k, v in item.items() if k in ORDER_KEYS}
    by_header.update({_norm(k): v for k, v in item.get("extra", {}).items()})
    return [number if _norm(h) == "no" else by_header.get(_norm(h)) for h in headers]


def _norm(header: str) -> str:
    """Headers match however they are spelled in case and spacing (like the extractor)."""
    return " ".join(str(header).lower().split()).rstrip(".:")


def write_reference(ws, *, programs, organizations, targets, title_rows=(), gap=1) -> dict:
    """Stacked blocks separated by `gap` blank rows; returns each block's header row."""
    _write_rows(ws, 1, 1, list(title_rows))
    row = len(title_rows) + 1
    blocks = [
        ("programs", PROGRAM_HEADERS, [[p["code"], p["name"], p["unit"], p["price"], p["target"]]
                                       for p in programs]),
        ("organizations", ORGANIZATION_HEADERS, [[o["name"], o["city"], o["kind"]]
                                                 for o in organizations]),
        ("targets", TARGET_HEADERS, [[t["month"], t["unit"], t["target"]] for t in targets]),
    ]  # fmt: skip
    where = {}
    for name, headers, rows in blocks:
        if rows is None:
            continue
        where[name] = row
        _write_rows(ws, row, 1, [headers, *rows])
        row += len(rows) + 1 + gap
    return where


def build_workbook(
    path: Path,
    *,
    months: dict[int, list] | None = None,
    programs: list[dict] = PROGRAMS,
    organizations: list[dict] = ORGANIZATIONS,
    targets: list[dict] | None = None,
    headers: list[str] = ORDER_HEADERS,
    title_rows: list[list] = (),
    first_col: int = 1,
    sheet_names: dict[int, str] | None = None,
    reference: bool = True,
    reference_title_rows: list[list] = (),
    extra_sheets: dict[str, list[list]] | None = None,
    hidden_sheets: tuple[str, ...] = (),
) -> Layout:
    """Write a workbook; `headers` may be reordered, renamed in case, or missing some."""
    months = {2: [order()]} if months is None else months
    names = {m: (sheet_names or {}).get(m, MONTH_SHEETS[m - 1]) for m in months}
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    layout = Layout(names, len(title_rows) + 1, first_col, list(headers))
    if reference:
        layout.reference_rows = write_reference(
            wb.create_sheet("REFERENSI"),
            programs=programs,
            organizations=organizations,
            targets=default_targets(sorted(months)) if targets is None else targets,
            title_rows=reference_title_rows,
        )
    for month, rows in months.items():
        ws = wb.create_sheet(names[month])
        _write_rows(ws, 1, 1, list(title_rows))
        body = [_order_row(headers, i + 1, item) for i, item in enumerate(rows)]
        _write_rows(ws, layout.header_row, first_col, [headers, *body])
    for name, rows in (extra_sheets or {}).items():
        _write_rows(wb.create_sheet(name), 1, 1, rows)
    for name in hidden_sheets:
        wb[name].sheet_state = "hidden"
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return layout


def standard_orders(year: int = 2026) -> dict[int, list[dict]]:
    """3 months × 10 valid orders over 3 programs and 2 units; every order paid correctly.

    Each month has two cancelled (BATAL) orders: one kept a deposit (Dibayar > 0, which
    must not count as collected) and one paid nothing.
    """
    months: dict[int, list[dict]] = {}
    students = ["Budi Santoso", "Siti Aminah", "Andi Wijaya", "Dewi Lestari", "Rudi Hartono"]
    statuses = ["LUNAS", "CICIL", "LUNAS", "BATAL", "LUNAS"]
    for month in (1, 2, 3):
        rows = []
        for i in range(10):
            program = PROGRAMS[i % 3]
            discount = 100_000 if i % 4 == 1 else 0
            status = statuses[i % 5]
            net = program["price"] - discount
            deposit = net // 5 if i == 3 else 0  # the month's first BATAL kept a deposit
            paid = {"LUNAS": net, "CICIL": net // 2, "BATAL": deposit}[status]
            rows.append(
                order(
                    date=dt.datetime(year, month, 1 + i * 2),
                    invoice=f"INV-{year}-{month:02d}{i:03d}",
                    student=students[i % 5],
                    organization=ORGANIZATIONS[i % 3]["name"],
                    program=program["code"],
                    unit=program["unit"],
                    price=program["price"],
                    discount=discount,
                    paid=paid,
                    method="Transfer" if i % 2 else "Tunai",
                    status=status,
                )
            )
        months[month] = rows
    return months


def standard_workbook(path: Path, entity: str = "IONS", year: int = 2026) -> Layout:
    """A small hand-built, fully valid workbook: JAN-MAR, 10 orders each, with a title row."""
    return build_workbook(
        path,
        months=standard_orders(year),
        title_rows=[[f"Penjualan {entity} {year}"], []],
    )


@pytest.fixture
def workbook_factory(data_dir: Path) -> Callable[..., Layout]:
    """build_workbook() at the source path of (entity, year): `workbook_factory(months=...)`."""

    def make(entity: str = "IONS", year: int = 2026, **kwargs: Any) -> Layout:
        path = data_dir / "sources" / entity / f"{entity}-{year}.xlsx"
        return build_workbook(path, **kwargs)

    return make


@pytest.fixture
def standard_source(entity, data_dir: Path) -> Layout:
    """IONS 2026 standard workbook at its source path (entity registered)."""
    return standard_workbook(data_dir / "sources" / "IONS" / "IONS-2026.xlsx")
