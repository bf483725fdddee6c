"""The evidence a report keeps adds up (docs/reports.md, "Where a number comes from"): for
every figure a report JSON lists, the orders its id selects sum to its value to the rupiah;
each order's part is worked out again here from the workbook's own rows; and each row's
sheet, row and cells hold that order when the workbook is opened independently (openpyxl).
Evidence that does not add up is refused by `format`, which then writes nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import duckdb
import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from pipeline_ops.models import ReportBuild
from pipeline_ops.pipeline.evidence import read
from pipeline_ops.pipeline.evidence.figures import KINDS, Figure, parse_id
from pipeline_ops.pipeline.evidence.store import evidence_path
from pipeline_ops.pipeline.period import MonthRange, resolve_period
from pipeline_ops.pipeline.stages.report import run_format
from pipeline_ops.pipeline.stages.sync import run_sync
from tests.workbooks import PROGRAMS, build_workbook, order

pytestmark = pytest.mark.django_db
REPORTS = [(MonthRange(2, 2), "monthly", None), (MonthRange(1, 3), "quarterly", None),
           (None, "yearly", None), (MonthRange(2, 2), "monthly", "TM"),
           (MonthRange(1, 3), "quarterly", "DR"), (None, "yearly", "DR")]  # fmt: skip
UNIT_OF = {p["code"]: p["unit"] for p in PROGRAMS}


def formatted(months: MonthRange | None, kind: str, unit: str | None) -> tuple[dict, Path]:
    run_format("IONS", 2026, months, report_type=kind, unit=unit, force=True)
    path = resolve_period("IONS", 2026, months, kind, unit).path(".json")
    return json.loads(path.read_text()), evidence_path(path)


def adds_up(report: dict, path: Path) -> list[dict]:
    """Every listed figure's evidence sums to its value; returns every order of the file."""
    assert {f["figure"] for f in report["figures"]} == set(KINDS)
    for shown in report["figures"]:
        found = read.evidence(path, parse_id(shown["id"]))
        amounts = [row["amount"] for row in found.rows]
        assert found.total == shown["value"] == sum(amounts), shown
        assert found.count == len(amounts) and amounts == sorted(amounts, reverse=True)
        if found.figure.kind == "revenue":
            assert "BATAL" not in {row["status"] for row in found.rows}, shown
    rows = read.evidence(path, Figure("orders")).rows
    assert len(rows) == report["orders"]["total"]
    for row in rows:
        assert row["outstanding"] == row["revenue"] - row["collected"], row["invoice"]
    return rows


def its_part(order: dict) -> dict:
    """An order's part of each figure and its unit, by the rules (docs/reports.md), from the
    workbook's own values: BATAL counts nothing; a blank Unit cell is its program's unit."""
    cancelled = order["status"] == "BATAL"
    revenue = 0 if cancelled else order["price"] - (order["discount"] or 0)
    collected = 0 if cancelled else order["paid"]
    unit = order["unit"] or UNIT_OF[order["program"]]
    return {"revenue": revenue, "collected": collected, "outstanding": revenue - collected,
            "unit": unit, "status": order["status"]}  # fmt: skip


def as_in_workbook(row: dict) -> dict:
    return {key: row[key] for key in ("revenue", "collected", "outstanding", "unit", "status")}


# ---- the demo year: every figure of monthly, quarterly, yearly and unit reports -------------


@pytest.mark.parametrize("months, kind, unit", REPORTS)
def test_every_figure_of_a_demo_report_is_the_sum_of_its_orders(
    warehouse, built_warehouse, months, kind, unit
):
    report, path = formatted(months, kind, unit)
    rows = adds_up(report, path)
    orders = {o["invoice"]: o for o in built_warehouse.orders if o["month"] in report["months"]}
    wanted = {i for i, o in orders.items() if unit in (None, o["unit"])}
    assert {row["invoice"] for row in rows} == wanted and len(wanted) == len(rows)
    for row in rows:
        assert as_in_workbook(row) == its_part(orders[row["invoice"]]), row["invoice"]


# ---- a hand-made workbook whose columns are not where the standard one has them -------------

# Invoice lands in H, the standard workbook's Harga column: default letters would be caught.
HEADERS = ["No", "Kode Program", "Harga", "Nama Siswa", "Dibayar", "Status", "No Invoice",
           "Unit", "Tanggal", "Diskon", "Organisasi", "Metode Bayar"]  # fmt: skip
SHEETS = {1: "Januari", 2: "Februari", 3: "Maret"}


def _hand_orders() -> dict[int, list]:
    """BATAL with and without a deposit, discounts, part payments, blank Diskon and Unit
    cells, TM programs taken online (Unit DR), a blank row between orders."""

    def day(month: int, d: int) -> dt.datetime:
        return dt.datetime(2026, month, d)

    tm_utbk, dr = (
        {"program": "TM-SMA-UTBK", "price": 2_500_000},
        {"program": "DR-SMP-INT", "price": 900_000, "unit": "DR"},
    )
    return {
        1: [order(date=day(1, 4), invoice="H-101"),
            order(date=day(1, 4), invoice="H-102", **dr, discount=None, paid=300_000,
                  status="CICIL"),
            order(date=day(1, 9), invoice="H-103", **tm_utbk, paid=500_000, status="BATAL")],
        2: [order(date=day(2, 2), invoice="H-201", discount=250_000, paid=1_250_000),
            None,
            order(date=day(2, 2), invoice="H-202", unit="DR", student="Siti"),
            order(date=day(2, 11), invoice="H-203", **dr, paid=0, status="BATAL"),
            order(date=day(2, 11), invoice="H-204", **tm_utbk, discount=500_000,
                  paid=1_000_000, status="CICIL"),
            order(date=day(2, 20), invoice="H-205", **dr, discount=None, paid=900_000),
            order(date=day(2, 27), invoice="H-206", unit=None, paid=100_000, status="CICIL")],
        3: [order(date=day(3, 3), invoice="H-301", **dr, paid=900_000),
            order(date=day(3, 3), invoice="H-302", **tm_utbk, discount=100_000,
                  paid=2_400_000),
            order(date=day(3, 30), invoice="H-303", unit="DR", paid=0, status="BATAL")],
    }  # fmt: skip


@pytest.fixture
def hand_made(entity, data_dir):
    path = data_dir / "sources/IONS/IONS-2026.xlsx"
    months = _hand_orders()
    layout = build_workbook(path, months=months, headers=HEADERS, first_col=2,
                            sheet_names=SHEETS, title_rows=[["Penjualan IONS 2026"],
                                                            ["per bulan"], []])  # fmt: skip
    assert run_sync("IONS", 2026).status == "success"
    orders = {o["invoice"]: (m, o) for m, rows in months.items() for o in rows if o}
    return path, layout, orders


def _cell(workbook, address: str):
    sheet, cell = address.rsplit("!", 1)
    return workbook[sheet][cell].value


def test_a_hand_made_workbooks_reports_add_up_and_each_order_points_at_its_cells(hand_made):
    """One sync, every kind of report (a sync takes long; each report names itself)."""
    path, layout, orders = hand_made
    february = formatted(MonthRange(2, 2), "monthly", None)[0]
    revenue = february["revenue"]
    # 1,250,000 + 1,500,000 + 2,000,000 + 900,000 + 1,500,000 (H-203 is BATAL)
    assert (revenue["actual"], revenue["collected"]) == (7_150_000, 4_750_000)
    assert {row["unit"]: row["actual"] for row in revenue["by_unit"]} == {
        "TM": 1_250_000 + 2_000_000 + 1_500_000, "DR": 1_500_000 + 900_000}  # fmt: skip
    assert february["orders"] == {"total": 6, "cancelled": 1}
    for months, kind, unit in REPORTS:
        report, evidence = formatted(months, kind, unit)
        rows = adds_up(report, evidence)
        wanted = {i for i, (m, o) in orders.items()
                  if m in report["months"] and unit in (None, its_part(o)["unit"])}  # fmt: skip
        assert sorted(row["invoice"] for row in rows) == sorted(wanted), (kind, unit)
        _point_at_their_cells(rows, path, layout, orders)


def _point_at_their_cells(rows: list[dict], path: Path, layout, orders: dict) -> None:
    """Each row is its order, typed in the sheet, row and cells it names (read with openpyxl,
    not by the product's reader), from this very workbook file."""
    workbook, sha256 = load_workbook(path), hashlib.sha256(path.read_bytes()).hexdigest()
    invoice = layout.column("No Invoice")
    for row in rows:
        month, typed = orders[row["invoice"]]
        assert as_in_workbook(row) == its_part(typed), row["invoice"]
        assert (row["sheet"], row["workbook_sha256"]) == (SHEETS[month], sha256)
        assert (row["date"], row["student"], row["program"]) == (
            typed["date"].date(), typed["student"], typed["program"])  # fmt: skip
        assert workbook[row["sheet"]][f"{invoice}{row['row']}"].value == row["invoice"]
        assert row["invoice_cell"] == f"{row['sheet']}!{invoice}{row['row']}"
        assert row["price_cell"] == f"{row['sheet']}!{layout.column('Harga')}{row['row']}"
        for cell, key in (("price_cell", "price"), ("discount_cell", "discount"),
                          ("paid_cell", "paid")):  # fmt: skip
            assert _cell(workbook, row[cell]) == typed[key], row[cell]
            assert row[key] == (typed[key] or 0), row[cell]  # a blank Diskon is no discount


# ---- format refuses evidence that does not add up -------------------------------------------

FEB = ("--entity", "IONS", "--year", "2026", "--month", "2", "--force")
ONE = "WHERE invoice = 'INV-2026-02000'"


@pytest.mark.parametrize(
    "tamper",
    [f"UPDATE mart_order_evidence SET revenue = revenue + 1 {ONE}",
     f"UPDATE mart_order_evidence SET collected = collected - 1000 {ONE}",
     f"UPDATE mart_order_evidence SET outstanding = outstanding + 1000 {ONE}",
     f"UPDATE mart_order_evidence SET enrollments = 0 {ONE}",
     f"DELETE FROM mart_order_evidence {ONE}"],
)  # fmt: skip
def test_report_refuses_evidence_that_does_not_add_up_and_keeps_the_old_files(
    warehouse, entity, data_dir, tamper
):
    call_command("report", *FEB)
    folder = data_dir / "reports/IONS"
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert folder / "IONS-2026-02.evidence.parquet" in before
    with duckdb.connect(str(warehouse)) as con:
        con.execute(tamper)
    with pytest.raises(CommandError) as info:
        call_command("report", *FEB)
    assert info.value.returncode == 1 and len(str(info.value).splitlines()) == 1
    assert "`manage.py transform --entity IONS --year 2026`" in str(info.value)
    assert {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before
    assert ReportBuild.objects.count() == 1
