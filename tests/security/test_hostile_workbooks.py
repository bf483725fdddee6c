"""Hostile workbooks through a real `manage.py sync`: a clear refusal, never a signal, a hang
or an escape sequence on the operator's terminal."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from pipeline_ops.pipeline.errors import PipelineError
from pipeline_ops.pipeline.stages.extract import run_extract
from pipeline_ops.pipeline.workbook.budget import WorkbookBudget
from pipeline_ops.pipeline.workbook.limits import DEFAULTS
from tests.corpus import hostile
from tests.corpus.builders import base, orders
from tests.warehouse_fixtures import manage, manage_command

pytestmark = pytest.mark.django_db


@pytest.fixture
def migrated(tmp_path: Path) -> Path:
    root = tmp_path / "proc"
    root.mkdir()
    manage(root, "migrate", "--noinput", "-v", "0", private_db=True)
    manage(root, "seed", "--entity", "IONS", private_db=True)
    return root


def source(root: Path) -> Path:
    path = root / "sources" / "IONS" / "IONS-2026.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def sync(root: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    command = manage_command(root, "sync", "--entity", "IONS", "--year", "2026", private_db=True)
    return subprocess.run(**command, capture_output=True, timeout=timeout, check=False)


def one_line(proc: subprocess.CompletedProcess) -> str:
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    return lines[0]


def test_a_six_kilobyte_workbook_with_a_far_cell_cannot_abort_sync(migrated):
    hostile.far_cell(source(migrated))
    assert source(migrated).stat().st_size < 10_000

    proc = sync(migrated)

    assert proc.returncode == 1, "exit 1, not -6 (SIGABRT from a 512 GiB allocation)"
    assert "FEB uses A1:XFD1048576" in one_line(proc)
    assert "WORKBOOK_MAX_CELLS" in one_line(proc)


def test_a_fifo_named_like_the_workbook_cannot_hang_sync(migrated):
    hostile.fifo(source(migrated))

    proc = sync(migrated, timeout=60)  # before the fix this never returned

    assert proc.returncode == 1
    assert "is a named pipe (FIFO), not a workbook file" in one_line(proc)


def test_control_characters_from_a_workbook_never_reach_the_terminal(migrated):
    base(source(migrated), orders(price="satu_x001B_[2J_x001B_]0;pwned_x0007_ juta"))

    proc = sync(migrated)

    assert proc.returncode == 1
    output = proc.stdout + proc.stderr
    assert "\x1b" not in output and "\x07" not in output
    assert "satu\\x1b[2J\\x1b]0;pwned\\x07 juta" in output, "shown escaped, not obeyed"


def test_a_reference_sheet_longer_than_its_budget_is_refused_before_it_is_read(
    entity, data_dir, settings
):
    settings.WORKBOOK_MAX_REFERENCE_ROWS = 5
    base(source(data_dir))

    with pytest.raises(PipelineError) as failure:
        run_extract("IONS", 2026)

    assert "sheet REFERENSI uses A1:" in str(failure.value)
    assert "the limit is 5 rows (WORKBOOK_MAX_REFERENCE_ROWS)" in str(failure.value)


def test_a_workbook_over_the_file_size_budget_is_refused_by_its_size(entity, data_dir, settings):
    settings.WORKBOOK_MAX_BYTES = 1_000
    base(source(data_dir))

    with pytest.raises(PipelineError, match=r"the file is [\d,]+ bytes; the limit is 1,000 bytes"):
        run_extract("IONS", 2026)


def test_a_zip_entry_inflating_past_its_budget_is_refused_without_inflating_it(data_dir, settings):
    settings.WORKBOOK_MAX_ENTRY_BYTES = 1 << 20
    path = data_dir / "bomb.xlsx"
    hostile.zip_bomb(path)

    with pytest.raises(PipelineError, match=r"xl/worksheets/sheet2.xml inflates to 40 MiB"):
        WorkbookBudget(path)


def test_a_real_max_rows_sheet_declares_a_range_inside_the_budget(data_dir, settings):
    settings.WORKBOOK_MAX_CELLS = 13_000_000  # the default is set by the reader's memory
    path = data_dir / "tall.xlsx"
    _tall_workbook(path, rows=1_048_575)

    used = WorkbookBudget(path).check_sheet("FEB")

    assert (used.rows, used.columns) == (1_048_575, 12)


def _tall_workbook(path: Path, rows: int) -> None:
    """The declared range of a maximal sheet, as Excel writes it, with only its last row of
    cells (the budget reads declarations, not cells)."""
    base(path)
    hostile._rezip(
        path,
        lambda name, data: (
            data.replace(
                data[data.find(b"<dimension") : data.find(b"/>", data.find(b"<dimension")) + 2],
                f'<dimension ref="A1:L{rows}"/>'.encode(),
            )
            if name.endswith("sheet2.xml")
            else data
        ),
    )


@pytest.mark.slow
def test_a_real_workbook_as_large_as_the_cell_budget_still_extracts_in_the_readers_memory(
    entity, data_dir
):
    """The limits agree: a full sheet at WORKBOOK_MAX_CELLS (500,000 rows of 12 columns) is
    read within the reader's default memory (WORKBOOK_READER_MEMORY)."""
    path = source(data_dir)
    base(path)
    rows = DEFAULTS["WORKBOOK_MAX_CELLS"] // 12
    hostile._rezip(
        path, lambda name, data: _max_rows_sheet(rows) if name.endswith("sheet2.xml") else data
    )

    run = run_extract("IONS", 2026)

    assert run.status == "success" and run.row_count == rows - 1


def _max_rows_sheet(rows: int = 1_048_575) -> bytes:
    """FEB as Excel would store it: a header row and `rows - 1` valid orders (A1:L<rows>)."""
    from tests.workbooks import ORDER_HEADERS

    def text(ref: str, value: str) -> str:
        return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'

    header = "".join(text(f"{chr(65 + i)}1", h) for i, h in enumerate(ORDER_HEADERS))
    parts = [
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<dimension ref="A1:L{rows}"/><sheetData><row r="1">{header}</row>'
    ]
    for n in range(2, rows + 1):
        parts.append(
            f'<row r="{n}"><c r="A{n}"><v>{n - 1}</v></c>{text(f"B{n}", "03/02/2026")}'
            f"{text(f'C{n}', f'INV-{n}')}{text(f'D{n}', 'Budi Santoso')}"
            f"{text(f'E{n}', 'SD Harapan')}{text(f'F{n}', 'TM-SD-REG')}{text(f'G{n}', 'TM')}"
            f'<c r="H{n}"><v>1500000</v></c><c r="I{n}"><v>0</v></c><c r="J{n}"><v>1500000</v></c>'
            f"{text(f'K{n}', 'Transfer')}{text(f'L{n}', 'LUNAS')}</row>"
        )
    parts.append("</sheetData></worksheet>")
    return "".join(parts).encode()
