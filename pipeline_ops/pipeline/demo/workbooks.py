"""Deterministic demo workbooks for `manage.py seed --demo` (docs/demo-data.md).

The workbook looks typed by people (titles above headers, text money and dates, mixed case,
stray spaces, blank rows, a TOTAL row, an extra column, a hidden helper sheet) yet breaks no
validation rule; only warnings (unlisted organizations, odd prices, unit mismatches) occur.
Same entity + year + rows_per_month gives a byte-identical file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter

from pipeline_ops.pipeline.demo.data import (
    DEMO_ORGANIZATIONS,
    DEMO_PROGRAMS,
    INDONESIAN_MONTHS,
    MONTH_SHEET_FORMS,
    SEASON,
    DemoProgram,
)
from pipeline_ops.pipeline.demo.orders import OrderMaker, student_pool
from pipeline_ops.pipeline.demo.xlsx_zip import _save

__all__ = ["DEMO_ORGANIZATIONS", "DEMO_PROGRAMS", "HEADERS", "month_counts", "write_demo_workbook"]

HEADERS = [
    *("No", "Tanggal", "No Invoice", "Nama Siswa", "Organisasi", "Kode Program", "Unit"),
    *("Harga", "Diskon", "Dibayar", "Metode Bayar", "Status", "Catatan"),
]
MONEY_FORMAT = "#,##0"
HELPER_SHEET = "bantu"


def write_demo_workbook(path: Path, *, entity: str, year: int, rows_per_month: int = 1500) -> Path:
    """Write `path` atomically: a REFERENSI sheet, 12 month sheets and a hidden helper."""
    rng = random.Random(_seed(entity, year))
    wb = Workbook(write_only=True)
    counts = month_counts(rows_per_month)
    with _SizedSheet(wb, "REFERENSI") as ws:
        _write_referensi(ws, entity, year, rows_per_month, counts, rng)
    maker = OrderMaker(rng, entity, year, student_pool(rng, rows_per_month))
    for month, name in enumerate(_sheet_names(rng), start=1):
        with _SizedSheet(wb, name) as ws:
            _write_month(ws, maker, month, counts[month - 1])
    with _SizedSheet(wb, HELPER_SHEET) as ws:
        _write_helper(ws)
    _save(wb, Path(path), dt.datetime(year, 1, 2, 8, 0, 0))
    return Path(path)


class _SizedSheet:
    """A write-only sheet that, like Excel, declares its used range (`<dimension>`): the
    workbook budget reads it instead of scanning the sheet. Write-only openpyxl cannot know
    the range before the first row, so rows are kept until the sheet is complete."""

    def __init__(self, wb: Workbook, title: str):
        self.ws = wb.create_sheet(title)
        self.rows: list[list] = []

    def append(self, row) -> None:
        self.rows.append(list(row))

    def __getattr__(self, name: str):
        return getattr(self.ws, name)

    def __setattr__(self, name: str, value) -> None:
        if name in ("ws", "rows"):
            super().__setattr__(name, value)
        else:  # sheet_state and the like belong to the sheet
            setattr(self.ws, name, value)

    def __enter__(self) -> _SizedSheet:
        return self

    def __exit__(self, *exc) -> None:
        width = max((len(row) for row in self.rows), default=0) or 1
        ref = f"A1:{get_column_letter(width)}{max(len(self.rows), 1)}"
        self.ws.calculate_dimension = lambda: ref
        for row in self.rows:
            self.ws.append(row)


def month_counts(rows_per_month: int) -> list[int]:
    """Orders per month sheet: rows_per_month shaped by the season (averages out over a year)."""
    return [max(1, round(rows_per_month * share)) for share in SEASON]


def _seed(entity: str, year: int) -> int:
    # hash() is salted per process; a digest keeps every run identical.
    return int.from_bytes(hashlib.sha256(f"{entity}:{year}".encode()).digest()[:8], "big")


def _sheet_names(rng: random.Random) -> list[str]:
    return [rng.choice(MONTH_SHEET_FORMS[month]) for month in range(1, 13)]


# --- REFERENSI -----------------------------------------------------------------------


def _write_referensi(ws, entity, year, rows_per_month, counts, rng) -> None:
    ws.append([f"DATA REFERENSI {entity} {year}"])
    ws.append(["Diperbarui oleh Admin Keuangan", None, None, "(jangan ubah kode program)"])
    ws.append([])
    ws.append(["Daftar Program"])
    ws.append(["Kode Program", "Nama Program", "Unit", "Harga", "Target Siswa"])
    for program in DEMO_PROGRAMS:
        ws.append(_program_row(ws, program, rows_per_month))
    ws.append([])
    ws.append(["Daftar Organisasi Mitra"])
    ws.append(["Nama Organisasi", "Kota", "Jenis"])
    for org in DEMO_ORGANIZATIONS:
        ws.append([org.name, org.city, org.kind])
    ws.append([])
    ws.append([])
    ws.append(["Target Pendapatan per Bulan"])
    ws.append(["Bulan", "Unit", "Target Pendapatan"])
    for month in range(1, 13):
        for unit in ("TM", "DR"):
            target = _revenue_target(unit, counts[month - 1], rng)
            ws.append([_month_label(rng, month), _typed_unit_label(rng, unit), _money(ws, target)])


def _program_row(ws, program: DemoProgram, rows_per_month: int) -> list:
    # One reference price typed as text, as people do; the contract accepts it.
    price = "Rp 2.500.000" if program.code == "TM-SMA-INT" else _money(ws, program.price)
    return [
        program.code,
        program.name,
        program.unit,
        price,
        target_students(program, rows_per_month),
    ]


def target_students(program: DemoProgram, rows_per_month: int) -> int:
    """Monthly enrollment target: the program's expected share of orders, a little above."""
    share = program.weight / sum(p.weight for p in DEMO_PROGRAMS)
    return max(1, round(rows_per_month * share * 0.97))


def _revenue_target(unit: str, count: int, rng: random.Random) -> int:
    total_weight = sum(p.weight for p in DEMO_PROGRAMS)
    expected = sum(
        count * p.weight / total_weight * p.price * 0.87 for p in DEMO_PROGRAMS if p.unit == unit
    )
    return max(100_000, int(round(expected * rng.uniform(0.92, 1.12), -5)))


def _month_label(rng: random.Random, month: int):
    pick = rng.random()
    if pick < 0.6:
        return month
    return INDONESIAN_MONTHS[month - 1] if pick < 0.85 else MONTH_SHEET_FORMS[month][0]


def _typed_unit_label(rng: random.Random, unit: str) -> str:
    return unit.lower() if rng.random() < 0.15 else unit


def _money(ws, value: int) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=value)
    cell.number_format = MONEY_FORMAT
    return cell


# --- month sheets --------------------------------------------------------------------


@dataclass(frozen=True)
class _Layout:
    order: list[int]  # canonical column index for each written column
    headers: list[str]


def _layout(rng: random.Random) -> _Layout:
    order = list(range(len(HEADERS)))
    shape = rng.randrange(3)
    if shape == 1:  # Catatan typed right after Nama Siswa
        order = [*order[:4], 12, *order[4:12]]
    elif shape == 2:  # Organisasi and Kode Program swapped
        order[4], order[5] = 5, 4
    return _Layout(order, [_typed_header(rng, HEADERS[i]) for i in order])


def _typed_header(rng: random.Random, header: str) -> str:
    pick = rng.random()
    if pick < 0.15:
        return header.upper()
    if pick < 0.25:
        return header.replace(" ", "  ") + " "
    return header.lower() if pick < 0.3 else header


def _write_month(ws, maker: OrderMaker, month: int, count: int) -> None:
    rng = maker.rng
    layout = _layout(rng)
    _write_titles(ws, maker, month, rng)
    ws.append(layout.headers)
    sums = [0, 0, 0]
    for row, money in maker.orders(ws, month, count):
        ws.append([row[i] for i in layout.order])
        sums = [s + m for s, m in zip(sums, money, strict=True)]
        if rng.random() < 0.004:
            ws.append([])
    if rng.random() < 0.5:
        ws.append([])
    ws.append(_total_row(ws, layout, sums, rng))


def _write_titles(ws, maker: OrderMaker, month: int, rng: random.Random) -> None:
    ws.append([f"LAPORAN PENJUALAN {maker.entity}"])
    if rng.random() < 0.7:
        ws.append([f"Bulan: {INDONESIAN_MONTHS[month - 1]} {maker.year}"])
    if rng.random() < 0.5:
        ws.append([])


def _total_row(ws, layout: _Layout, sums: list[int], rng: random.Random) -> list:
    row: list = [None] * len(layout.order)
    label_at = rng.choice([0, 0, 3])  # under No, or under Nama Siswa with blanks before
    row[layout.order.index(label_at)] = rng.choice(["TOTAL", "JUMLAH", "Total"])
    for canonical, total in zip((7, 8, 9), sums, strict=True):
        row[layout.order.index(canonical)] = _money(ws, total)
    return row


def _write_helper(ws) -> None:
    ws.sheet_state = "hidden"
    ws.append(["Metode", "Status", "Unit"])
    for method, status, unit in zip(
        ["Transfer", "QRIS", "Tunai"], ["LUNAS", "CICIL", "BATAL"], ["TM", "DR", ""], strict=True
    ):
        ws.append([method, status, unit or None])
