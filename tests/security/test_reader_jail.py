"""The reader's jail (workbook/jail.py): files that lie about themselves get past any
pre-check, so they are parsed in a limited child. Whatever the child meets, the product
says one line naming the file and what ran out, and nothing else is hurt."""

from __future__ import annotations

import os
import resource
import subprocess
from pathlib import Path

import pytest

from pipeline_ops.pipeline.errors import PipelineError
from pipeline_ops.pipeline.stages.extract import extract_workbook
from pipeline_ops.pipeline.workbook import jail
from pipeline_ops.pipeline.workbook.limits import DEFAULTS
from pipeline_ops.pipeline.workbook.reader import Workbook
from tests.corpus import hostile
from tests.corpus.builders import base
from tests.polling import wait_until
from tests.security.test_hostile_workbooks import _max_rows_sheet
from tests.warehouse_fixtures import manage, manage_command

MIB = 1 << 20


def extract(path: Path, tmp_path: Path):
    return extract_workbook(path, "IONS", 2026, None, tmp_path / "out")


def refusal(path: Path, tmp_path: Path) -> str:
    with pytest.raises(PipelineError) as failure:
        extract(path, tmp_path)
    assert "\n" not in str(failure.value)
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").glob("*.parquet"))
    return str(failure.value)


@pytest.fixture
def book(data_dir: Path) -> Path:
    return data_dir / "sources" / "IONS" / "IONS-2026.xlsx"


@pytest.fixture(autouse=True)
def folder(book: Path) -> None:
    book.parent.mkdir(parents=True, exist_ok=True)


def test_a_far_cell_in_single_quotes_is_seen_by_the_budget(book, tmp_path):
    hostile.far_cell_single_quoted(book)
    assert "FEB uses A1:XFD1048576" in refusal(book, tmp_path)


def test_a_far_cell_with_spaces_around_the_equals_sign_is_seen_by_the_budget(book, tmp_path):
    hostile.far_cell_spaced(book)
    assert "FEB uses A1:XFD1048576" in refusal(book, tmp_path)


def test_a_far_row_whose_cells_carry_no_reference_cannot_abort_the_reader(book, tmp_path):
    hostile.far_row_without_cell_references(book)
    assert "WORKBOOK_MAX_CELLS" in refusal(book, tmp_path)


def test_a_dimension_hidden_in_an_xml_comment_is_not_believed(book, tmp_path):
    hostile.dimension_in_a_comment(book)
    assert "FEB uses A1:XFD1048576" in refusal(book, tmp_path)


def test_a_sheet_part_named_in_another_letter_case_is_still_budgeted(book, tmp_path):
    hostile.sheet_part_in_other_case(book)
    assert "FEB uses A1:XFD1048576" in refusal(book, tmp_path)


def test_a_dimension_that_understates_the_sheet_meets_the_readers_memory_limit(book, tmp_path):
    """The budget believes A1:L4; calamine then asks for 512 GiB. In the jail that is the
    child's end, not ours: one line with the limit and the sheet."""
    hostile.understated_dimension(book)

    line = refusal(book, tmp_path)

    assert line.startswith(f"{book}: the reader ran out of its 2 GiB memory limit")
    assert line.endswith("(WORKBOOK_READER_MEMORY) on sheet FEB")


def test_a_part_that_inflates_past_its_declared_size_is_refused_before_the_reader_opens_it(
    book, tmp_path
):
    """A 1 MB file whose shared strings declare 200 bytes and inflate to 1 GiB: refused at
    once, having inflated 201 bytes of it."""
    hostile.shared_strings_size_lie(book)
    assert book.stat().st_size < 2 * MIB

    line = refusal(book, tmp_path)

    assert "xl/sharedStrings.xml inflates to more than the 200 bytes its zip declares" in line


def test_a_worksheet_declaring_less_than_its_own_compressed_size_is_refused(book, tmp_path):
    hostile.worksheet_size_lie(book)
    line = refusal(book, tmp_path)
    assert "xl/worksheets/sheet9.xml inflates to more than the 200 bytes its zip declares" in line


@pytest.mark.django_db(transaction=True)
def test_the_one_gib_size_lie_through_manage_py_stays_within_the_readers_memory(
    entity, book, data_dir
):
    hostile.shared_strings_size_lie(book)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss

    proc = subprocess.run(
        **manage_command(data_dir, "extract", "--entity", "IONS", "--year", "2026"),
        capture_output=True, timeout=60, check=False,
    )  # fmt: skip

    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "sharedStrings.xml inflates to more than" in proc.stderr
    peak = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) * 1024
    assert peak < DEFAULTS["WORKBOOK_READER_MEMORY"] + 300 * MIB


def test_a_reader_over_its_time_limit_is_stopped_in_one_line(book, tmp_path, settings):
    settings.WORKBOOK_READER_SECONDS = 1
    base(book)
    hostile._rezip(
        book, lambda name, data: _max_rows_sheet(300_000) if name.endswith("sheet2.xml") else data
    )

    line = refusal(book, tmp_path)

    assert "the reader ran out of its 1" in line and "(WORKBOOK_READER_SECONDS)" in line


def test_the_reader_runs_with_no_secret_of_ours_in_its_environment(book, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "do-not-leak")
    monkeypatch.setenv("DATABASE_URL", "postgres://user:password@db/atlas")
    base(book)

    with Workbook(book) as opened:  # the child waits for requests: look at it now
        environ = Path(f"/proc/{opened.jail.proc.pid}/environ").read_bytes()

    names = {entry.split(b"=", 1)[0] for entry in environ.split(b"\0") if entry}
    assert names <= {b"PATH", b"LC_ALL", b"HOME", b"TMPDIR"}
    assert b"do-not-leak" not in environ and b"password" not in environ


def test_the_readers_scratch_folders_are_removed_whatever_the_outcome(book, tmp_path):
    base(book)
    extract(book, tmp_path / "whole")
    hostile.understated_dimension(book)
    refusal(book, tmp_path)

    assert list(jail.scratch_root().iterdir()) == []


def test_a_reader_child_never_outlives_its_parent(book, data_dir):
    """A worker killed (-9) takes its reader with it (its pipe closes; while it reads, the
    kernel kills it: PR_SET_PDEATHSIG)."""
    base(book)
    code = (
        "from pathlib import Path; import sys, time;"
        " from pipeline_ops.pipeline.workbook.reader import Workbook;"
        f" b = Workbook(Path({str(book)!r})); print(b.jail.proc.pid, flush=True); time.sleep(600)"
    )
    command = manage_command(data_dir, "shell", "--no-imports", "-c", code, private_db=True)
    parent = subprocess.Popen(command["args"], cwd=command["cwd"], env=command["env"],
                              stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        child = int(parent.stdout.readline())
        assert _alive(child)
    finally:
        parent.kill()
        parent.wait()
    wait_until(lambda: not _alive(child), 30, "the reader to die with its parent")


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


@pytest.mark.django_db(transaction=True)
def test_one_crashing_workbook_fails_only_itself_in_sync_all(data_dir, entity):
    """`sync --all --changed`: the reader's crash on IONS fails IONS 2026; BETA syncs."""
    from pipeline_ops.models import Entity

    Entity.objects.create(code="BETA", name="Beta")
    hostile.understated_dimension(data_dir / "sources" / "IONS" / "IONS-2026.xlsx")
    beta = data_dir / "sources" / "BETA" / "BETA-2026.xlsx"
    beta.parent.mkdir(parents=True)
    base(beta)

    proc = manage(data_dir, "sync", "--all", "--changed", check=False)

    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "1 of 2 workbook-year(s) did not sync cleanly: IONS 2026 failed" in proc.stderr
    assert "BETA 2026: synced" in proc.stdout
    assert os.listdir(data_dir / "extracts" / "BETA" / "2026")


def test_the_reader_is_started_afresh_when_no_zygote_can_be_had(book, tmp_path, monkeypatch):
    """The zygote only saves start-up time: without it the same jail reads the same way."""
    from pipeline_ops.pipeline.workbook import jail as jail_module

    def unavailable(_env):
        raise OSError("no zygote here")

    monkeypatch.setattr(jail_module, "zygote", unavailable)
    base(book)
    assert extract(book, tmp_path).orders == {2: 3}
    hostile.understated_dimension(book)
    assert "memory limit (WORKBOOK_READER_MEMORY) on sheet FEB" in refusal(book, tmp_path / "b")
