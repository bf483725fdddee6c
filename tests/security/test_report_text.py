"""Workbook text in the report XLSX stays text, and `present` writes its files all or none."""

from __future__ import annotations

import json
import os
from pathlib import Path

import openpyxl
import pytest

from pipeline_ops.pipeline.errors import PipelineError
from pipeline_ops.pipeline.period import MonthRange, resolve_period
from pipeline_ops.pipeline.reports.xlsx import write_xlsx
from pipeline_ops.pipeline.stages.present import present_files
from pipeline_ops.pipeline.stages.report import run_report
from pipeline_ops.pipeline.stages.sync import run_sync
from tests.test_report import warehouse_data  # noqa: F401  (fixture)
from tests.workbooks import ORGANIZATIONS, PROGRAMS, build_workbook, order

pytestmark = pytest.mark.django_db
LINK = '=HYPERLINK("http://evil.example/","click")'


def as_text(path: Path) -> None:
    """Type every `=…` cell of the source as text, as a user typing '=1+2 would."""
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"
    wb.save(path)


def hostile_names_workbook(data_dir: Path) -> Path:
    path = data_dir / "sources" / "IONS" / "IONS-2026.xlsx"
    programs = [{**PROGRAMS[0], "name": LINK}, {**PROGRAMS[1], "name": "Reguler_x001B_[31m SMA"}]
    organizations = [{**ORGANIZATIONS[0], "name": "=1+2"}]
    rows = [
        order(invoice=f"INV-{i}", organization="=1+2", program=PROGRAMS[i % 2]["code"],
              price=PROGRAMS[i % 2]["price"], paid=PROGRAMS[i % 2]["price"])
        for i in range(4)
    ]  # fmt: skip
    build_workbook(path, months={2: rows}, programs=programs, organizations=organizations)
    as_text(path)
    return path


@pytest.fixture
def monthly_json(warehouse_data) -> Path:  # noqa: F811
    """A real monthly report of the session warehouse; its JSON path."""
    run_report("IONS", 2026, MonthRange(2, 2), force=True)
    return resolve_period("IONS", 2026, MonthRange(2, 2), "monthly").path(".json")


def cells(path: Path) -> list[openpyxl.cell.Cell]:
    wb = openpyxl.load_workbook(path)
    return [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value]


def test_names_typed_as_formulas_stay_text_in_the_report_xlsx(entity, data_dir):
    hostile_names_workbook(data_dir)
    run_sync("IONS", 2026)

    run_report("IONS", 2026, MonthRange(2, 2), force=True)

    xlsx = resolve_period("IONS", 2026, MonthRange(2, 2), "monthly").path(".xlsx")
    written = cells(xlsx)
    assert not [c.coordinate for c in written if c.data_type == "f"], "no live formula"
    texts = {c.value: c.data_type for c in written if isinstance(c.value, str)}
    assert texts[LINK] == "s" and texts["=1+2"] == "s"
    assert "Reguler[31m SMA" in texts, "the ESC from _x001B_ was dropped at extract"


def test_control_characters_in_report_data_cannot_break_the_xlsx(monthly_json, tmp_path):
    report = json.loads(monthly_json.read_text())
    report["programs"][0]["name"] = "Reguler\x1b[2J\x07 SD"

    write_xlsx(report, tmp_path / "out.xlsx")

    names = [c.value for c in cells(tmp_path / "out.xlsx")]
    assert "Reguler[2J SD" in names


def test_present_writes_html_and_xlsx_together_or_neither(monthly_json):
    folder, json_path = monthly_json.parent, monthly_json
    (folder / "IONS-2026-02.html").write_text("earlier build")
    (folder / "IONS-2026-02.xlsx").unlink()
    # The XLSX cannot be written: its temporary file's name is taken by a folder.
    (folder / f".IONS-2026-02.xlsx.{os.getpid()}.tmp").mkdir()

    with pytest.raises((PipelineError, OSError)):
        present_files(json_path)

    assert (folder / "IONS-2026-02.html").read_text() == "earlier build"
    assert not (folder / "IONS-2026-02.xlsx").exists()
    assert not list(folder.glob(".IONS-2026-02.html*"))
