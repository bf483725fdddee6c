"""The workbook budget (pipeline/workbook/budget.py) at its edges, through extract: the limits
are settings, and a sheet exactly at a limit is within it."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from pipeline_ops.pipeline.errors import PipelineError
from pipeline_ops.pipeline.stages.extract import extract_workbook
from tests.workbooks import standard_workbook


def largest_sheet_cells(path: Path) -> int:
    """The largest used range (rows × columns) of the workbook's sheets, as openpyxl sees the
    cells the file holds (independent of how the budget reads them)."""
    book = openpyxl.load_workbook(path)
    return max(
        (sheet.max_row - sheet.min_row + 1) * (sheet.max_column - sheet.min_column + 1)
        for sheet in book.worksheets
    )


def test_it_accepts_a_sheet_of_exactly_the_cell_limit_and_refuses_one_cell_more(tmp_path, settings):
    path = tmp_path / "IONS-2026.xlsx"
    standard_workbook(path)  # JAN-MAR with a title row: each month sheet is A1:L13
    cells = largest_sheet_cells(path)
    assert cells > 100, "the boundary is a month sheet of orders, not an empty one"

    settings.WORKBOOK_MAX_CELLS = cells  # the largest sheet uses exactly the limit
    result = extract_workbook(path, "IONS", 2026, None, tmp_path / "at-limit")
    assert sorted(result.orders) == [1, 2, 3]

    settings.WORKBOOK_MAX_CELLS = cells - 1  # the same sheet is now one cell over
    with pytest.raises(PipelineError) as refused:
        extract_workbook(path, "IONS", 2026, None, tmp_path / "over-limit")
    message = str(refused.value)
    assert "WORKBOOK_MAX_CELLS" in message and f"{cells:,} cells" in message, message
    over = tmp_path / "over-limit"
    assert not over.exists() or not any(over.iterdir()), "a refused workbook writes nothing"
