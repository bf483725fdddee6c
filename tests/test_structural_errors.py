"""A month sheet without its header row or a required column blocks that month only: the
other months load, transform and report; a preview lists every sheet's problems at once.
REFERENSI problems still stop the year."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import duckdb
import openpyxl
import pytest
from django.core.management import CommandError, call_command

from pipeline_ops.models import MonthState, PipelineRun, ValidationIssue
from pipeline_ops.pipeline.runs.locking import pipeline_lock
from pipeline_ops.pipeline.runs.warehouse import connect
from tests.workbooks import build_workbook, order, standard_orders

pytestmark = pytest.mark.django_db


def _blank_students(rows: list[dict], count: int) -> list[dict]:
    return [{**row, "student": None} if i < count else row for i, row in enumerate(rows)]


def broken_workbook(path: Path, *, drop: str = "Kode Program", sheet: str = "MAR") -> Path:
    """JAN clean, FEB with three blank students (cell errors), MAR without `drop`."""
    months = standard_orders()
    months[2] = _blank_students(months[2], 3)
    build_workbook(path, months=months)
    book = openpyxl.load_workbook(path)
    ws = book[sheet]
    for cell in ws[1]:
        if cell.value == drop:
            cell.value = None
    book.save(path)
    return path


def sync(*flags: str) -> CommandError:
    with pytest.raises(CommandError) as failure:
        call_command("sync", "--entity", "IONS", "--year", "2026", *flags, stdout=StringIO())
    return failure.value


def preview(path: Path) -> dict:
    """`manage.py intake --json`, which fails (exit 1: errors): its summary."""
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("intake", "--entity", "IONS", "--year", "2026", str(path), "--json",
                     stdout=out, stderr=StringIO())  # fmt: skip
    return json.loads(out.getvalue())


def mart_months() -> list[int]:
    with pipeline_lock(), connect() as con:
        rows = con.execute("SELECT DISTINCT month FROM mart_orders ORDER BY 1").fetchall()
    return [month for (month,) in rows]


def test_a_sheet_missing_a_required_column_blocks_only_its_month(entity, data_dir):
    broken_workbook(data_dir / "sources" / "IONS" / "IONS-2026.xlsx")

    failure = sync()

    assert failure.returncode == 1
    text = str(failure)
    assert "Feb (3 error(s)" in text and "Mar (1 error(s); first: MAR!1:1 missing_column" in text
    assert "'Kode Program'" in text
    assert mart_months() == [1]  # January is loaded and transformed
    states = {s.month: s for s in MonthState.objects.filter(year=2026)}
    assert (states[1].level, states[1].blocked_errors) == ("transform", 0)
    assert (states[2].blocked_errors, states[2].blocked_cell[:4]) == (3, "FEB!")
    assert (states[3].blocked_errors, states[3].blocked_cell) == (1, "MAR!1:1")
    issue = ValidationIssue.objects.get(month=3)
    assert (issue.sheet, issue.cell, issue.rule) == ("MAR", "MAR!1:1", "missing_column")
    assert PipelineRun.objects.get(stage="transform").status == "success"


def test_a_sheet_without_any_header_row_blocks_only_its_month(entity, data_dir):
    path = data_dir / "sources" / "IONS" / "IONS-2026.xlsx"
    build_workbook(path, months=standard_orders())
    book = openpyxl.load_workbook(path)
    for cell in book["FEB"][1]:
        cell.value = None  # the header row is gone; the orders stay
    book.save(path)

    failure = sync()

    assert "Feb (1 error(s); first: FEB!1:1 missing_header" in str(failure)
    assert mart_months() == [1, 3]


def test_fixing_the_sheet_lifts_the_block_and_brings_the_month_in(entity, data_dir):
    path = broken_workbook(data_dir / "sources" / "IONS" / "IONS-2026.xlsx")
    sync()
    build_workbook(path, months=standard_orders())

    call_command("sync", "--entity", "IONS", "--year", "2026", stdout=StringIO())

    assert mart_months() == [1, 2, 3]
    assert not MonthState.objects.filter(blocked_errors__gt=0).exists()


def test_a_month_scoped_sync_of_a_broken_sheet_blocks_it_and_keeps_no_old_orders(entity, data_dir):
    path = data_dir / "sources" / "IONS" / "IONS-2026.xlsx"
    build_workbook(path, months=standard_orders())
    call_command("sync", "--entity", "IONS", "--year", "2026", stdout=StringIO())
    broken_workbook(path)

    failure = sync("--month", "3")

    assert "MAR!1:1 missing_column" in str(failure)
    assert MonthState.objects.get(month=3).blocked_cell == "MAR!1:1"
    with pipeline_lock(), connect() as con:
        left = con.execute("SELECT count(*) FROM raw_orders WHERE month = 3").fetchone()[0]
    assert left == 0  # March's old orders do not linger beside its block


def test_a_preview_lists_every_sheets_problems_in_one_pass(entity, data_dir, tmp_path):
    summary = preview(broken_workbook(tmp_path / "inbox" / "IONS-2026.xlsx"))
    by_month = {m["month"]: m for m in summary["months"]}
    assert (by_month[1]["errors"], by_month[1]["blocked"]) == (0, False)
    assert (by_month[2]["errors"], by_month[2]["blocked"]) == (3, True)
    assert (by_month[3]["errors"], by_month[3]["blocked"]) == (1, True)
    cells = [i["cell"] for i in summary["issues"] if i["severity"] == "error"]
    assert "MAR!1:1" in cells and sum(c.startswith("FEB!") for c in cells) == 3


def test_a_referensi_without_its_programs_block_still_stops_the_year(entity, data_dir):
    path = data_dir / "sources" / "IONS" / "IONS-2026.xlsx"
    build_workbook(path, months={1: [order(date=order()["date"].replace(month=1))]})
    book = openpyxl.load_workbook(path)
    for cell in book["REFERENSI"][1]:
        if cell.value == "Nama Program":
            cell.value = None
    book.save(path)

    failure = sync()

    assert "sync stopped at extract" in str(failure) and "REFERENSI" in str(failure)
    with pytest.raises(duckdb.CatalogException):
        mart_months()  # nothing was built


def test_a_preview_does_not_count_a_blocked_sheets_orders_as_removed(entity, data_dir, tmp_path):
    build_workbook(data_dir / "sources" / "IONS" / "IONS-2026.xlsx", months=standard_orders())
    summary = preview(broken_workbook(tmp_path / "inbox" / "IONS-2026.xlsx"))
    march = next(m for m in summary["months"] if m["month"] == 3)
    assert (march["blocked"], march["removed"]) == (True, 0)  # unknown, not gone
    assert summary["removed"] == 0
