"""Numbers too large for their column (issue 21, item 3): a REFERENSI Target Siswa of
3,000,000,000, a Harga of 10^30, a Diskon of -10^30, amounts that each fit but add up past a
BIGINT. Each is a validation error naming its sheet and cell, never a DuckDB
ConversionException: through a real sync (dbt included), `sync --all`, the intake preview
and `manage.py sync` in its own process; the rest of the workbook is still processed."""

from __future__ import annotations

import json
import subprocess
from io import StringIO
from pathlib import Path

import pytest
from django.core.files import File
from django.core.management import CommandError, call_command

from pipeline_ops.models import Entity, PipelineRun, ValidationIssue, WorkbookVersion
from pipeline_ops.pipeline.intake.versions import Status, run_preview, store
from pipeline_ops.pipeline.runs.locking import pipeline_lock
from pipeline_ops.pipeline.runs.warehouse import connect
from tests.corpus import hostile
from tests.corpus.builders import cell, orders
from tests.warehouse_fixtures import manage, manage_command
from tests.workbooks import PROGRAMS, build_workbook, standard_workbook

pytestmark = pytest.mark.django_db
ENTITY, YEAR = "IONS", 2026
TARGET_CELL = "REFERENSI!E2"  # Target Siswa of the first program (header row 1)
TOO_LARGE_FOR_MONEY = "is too large (at most 9,223,372,036,854,775,807)"


def source(data_dir: Path, entity: str = ENTITY) -> Path:
    path = data_dir / "sources" / entity / f"{entity}-{YEAR}.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def sync_fails(*flags: str) -> CommandError:
    with pytest.raises(CommandError) as failure:
        call_command("sync", *flags, stdout=StringIO(), stderr=StringIO())
    assert failure.value.returncode == 1
    return failure.value


def issues() -> dict[str, tuple[str, str]]:
    """cell → (rule, message) of every stored error."""
    rows = ValidationIssue.objects.filter(severity="error")
    return {i.cell: (i.rule, i.message) for i in rows}


def warehouse_rows(sql: str) -> list[tuple]:
    with pipeline_lock(), connect(read_only=True) as con:
        return con.execute(sql).fetchall()


def preview(entity: Entity, path: Path) -> dict[str, tuple[str, str]]:
    """The worker's preview of an upload; cell → (rule, message) of its errors."""
    with open(path, "rb") as handle:
        version = run_preview(store(entity, YEAR, File(handle), path.name).pk)
    assert version.status == Status.PREVIEWED, version.error  # never left `previewing`
    listed = version.summary["issues"]
    return {i["cell"]: (i["rule"], i["message"]) for i in listed if i["severity"] == "error"}


def test_a_target_of_three_billion_is_a_data_error_with_its_cell(entity, data_dir):
    hostile.target_of_three_billion(source(data_dir))

    failure = sync_fails("--entity", ENTITY, "--year", str(YEAR))

    message = "Target Siswa 3000000000 is too large (at most 2,147,483,647)"
    assert issues() == {TARGET_CELL: ("invalid_reference", message)}
    assert str(failure).startswith("sync stopped at validate: Validation found 1 error")
    assert f"{TARGET_CELL} invalid_reference: {message}" in str(failure)
    # The rest was read, typed and loaded: both months and the other programs.
    targets = warehouse_rows("SELECT program_code, target_students FROM raw_programs ORDER BY 1")
    assert targets == [("DR-SMP-INT", 3), ("TM-SD-REG", None), ("TM-SMA-UTBK", 2)]
    assert warehouse_rows("SELECT month, count(*) FROM raw_orders GROUP BY 1 ORDER BY 1") == [
        (1, 3),
        (2, 3),
    ]


def test_a_preview_of_a_target_of_three_billion_ends_previewed_with_its_cell(entity, tmp_path):
    path = tmp_path / "inbox" / "IONS-2026.xlsx"
    path.parent.mkdir()
    hostile.target_of_three_billion(path)

    errors = preview(entity, path)

    assert errors == {
        TARGET_CELL: (
            "invalid_reference",
            "Target Siswa 3000000000 is too large (at most 2,147,483,647)",
        )
    }


def test_a_harga_of_ten_to_the_thirty_blocks_only_its_month_and_the_other_month_syncs(
    entity, data_dir
):
    hostile.huge_price(source(data_dir))

    failure = sync_fails("--entity", ENTITY, "--year", str(YEAR))

    ((where, (rule, message)),) = issues().items()
    assert (where, rule) == (cell(1, "Harga"), "invalid_money")
    # 10^30 as Excel stores it: the nearest double, 1000000000000000019884624838656.
    assert message.startswith("Harga 10000000000000000198") and message.endswith(
        TOO_LARGE_FOR_MONEY
    )
    assert "FEB" in str(failure) and "Traceback" not in str(failure)
    months = warehouse_rows("SELECT DISTINCT month FROM mart_revenue_monthly ORDER BY 1")
    assert months == [(1,)], "JAN went through dbt; FEB is blocked"
    transform = PipelineRun.objects.get(stage="transform")
    assert transform.status == "success"


def test_a_huge_negative_diskon_is_too_small_with_its_cell(entity, tmp_path):
    path = tmp_path / "inbox" / "IONS-2026.xlsx"
    path.parent.mkdir()
    hostile.huge_negative_discount(path)

    errors = preview(entity, path)

    rule, message = errors[cell(1, "Diskon")]
    assert rule == "invalid_money"
    assert message.startswith("Diskon -10000000000000000198")
    assert message.endswith("is too small (at least -9,223,372,036,854,775,808)")
    assert set(errors) == {cell(1, "Diskon")}


def test_amounts_that_each_fit_but_overflow_a_months_total_are_an_error_where_it_tips(
    entity, data_dir
):
    hostile.amounts_adding_past_bigint(source(data_dir))

    sync_fails("--entity", ENTITY, "--year", str(YEAR))

    rule, message = issues()[cell(1, "Harga")]
    assert rule == "total_too_large"
    assert message == (
        "Harga 5000000000000000000 brings the total Harga of FEB to 10000000000000000000,"
        " more than a month can hold (at most 9,223,372,036,854,775,807)"
    )
    assert PipelineRun.objects.get(stage="transform").status == "success"
    assert warehouse_rows("SELECT DISTINCT month FROM mart_revenue_monthly") == [(1,)]


def test_a_preview_of_amounts_adding_past_a_bigint_shows_the_months_revenue_whole(entity, tmp_path):
    path = tmp_path / "inbox" / "IONS-2026.xlsx"
    path.parent.mkdir()
    hostile.amounts_adding_past_bigint(path)

    errors = preview(entity, path)

    assert errors[cell(1, "Harga")][0] == "total_too_large"
    version = WorkbookVersion.objects.latest("id")
    (february,) = [m for m in version.summary["months"] if m["month"] == 2]
    assert february["revenue"] == [0, 10 * 10**18] and february["blocked"]


def test_harga_minus_a_huge_negative_diskon_is_previewed_not_an_overflow(entity, tmp_path):
    path = tmp_path / "inbox" / "IONS-2026.xlsx"
    path.parent.mkdir()
    hostile.harga_minus_diskon_past_bigint(path)

    errors = preview(entity, path)

    assert errors[cell(1, "Diskon")] == (
        "negative_money",
        "Diskon -9000000000000000000 is negative",
    )
    version = WorkbookVersion.objects.latest("id")
    (february,) = [m for m in version.summary["months"] if m["month"] == 2]
    assert february["revenue"][1] == 18 * 10**18 + 2 * 1_500_000


def test_a_tanggal_of_infinity_is_not_a_date(entity, tmp_path):
    path = tmp_path / "inbox" / "IONS-2026.xlsx"
    path.parent.mkdir()
    hostile.infinite_date(path)

    errors = preview(entity, path)

    assert errors == {
        cell(1, "Tanggal"): (
            "invalid_date",
            "Tanggal 'infinity' is not a date (use dd/mm/yyyy, dd-mm-yyyy or yyyy-mm-dd)",
        )
    }


def test_the_largest_amounts_a_year_can_hold_sync_publish_and_report(entity, data_dir):
    """4 × 10^18 a month fits every monthly sum; the year's 1.2 × 10^19 does not fit a
    BIGINT, and the yearly report still adds it up."""
    big = 4 * 10**18
    programs = [dict(PROGRAMS[0], price=big), *PROGRAMS[1:]]
    months = {m: orders(1, month=m, price=big, paid=big) for m in (1, 2, 3)}
    build_workbook(source(data_dir), months=months, programs=programs)

    call_command("sync", "--entity", ENTITY, "--year", str(YEAR), stdout=StringIO())
    call_command("publish", "--entity", ENTITY, "--year", str(YEAR), "--month", "1-3",
                 stdout=StringIO())  # fmt: skip
    call_command("report", "--entity", ENTITY, "--year", str(YEAR), "--type", "yearly",
                 stdout=StringIO(), stderr=StringIO())  # fmt: skip

    (report,) = (data_dir / "reports").rglob(f"{ENTITY}-{YEAR}.json")
    assert str(3 * big) in report.read_text()
    assert not ValidationIssue.objects.filter(severity="error").exists()


def test_a_target_of_three_billion_fails_only_its_own_entity_year_in_sync_all(entity, data_dir):
    Entity.objects.create(code="ACME", name="Acme")
    standard_workbook(source(data_dir, "ACME"), entity="ACME")
    hostile.target_of_three_billion(source(data_dir))

    failure = sync_fails("--all")

    assert "IONS 2026" in str(failure) and "ACME" not in str(failure).split(":", 1)[1]
    assert PipelineRun.objects.get(stage="sync", entity__code="ACME").status == "success"
    assert {r[0] for r in warehouse_rows("SELECT entity FROM mart_revenue_monthly")} == {"ACME"}
    assert TARGET_CELL in issues()


@pytest.mark.django_db(transaction=True)
def test_huge_numbers_through_manage_py_sync_exit_1_in_one_line_without_a_traceback(tmp_path):
    root = tmp_path / "proc"
    root.mkdir()
    manage(root, "migrate", "--noinput", "-v", "0", private_db=True)
    manage(root, "seed", "--entity", ENTITY, private_db=True)
    hostile.huge_numbers(source(root))

    command = manage_command(root, "sync", "--entity", ENTITY, "--year", str(YEAR),
                             private_db=True)  # fmt: skip
    proc = subprocess.run(**command, capture_output=True, timeout=180, check=False)

    assert proc.returncode == 1, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "Validation found 3 error(s)" in lines[0]
    assert f"{TARGET_CELL} invalid_reference: Target Siswa 3000000000 is too large" in lines[0]
    assert "ConversionException" not in proc.stdout + proc.stderr


def test_huge_numbers_in_an_upload_are_listed_by_manage_py_intake_json(entity, tmp_path):
    path = tmp_path / "inbox" / "huge.xlsx"
    path.parent.mkdir()
    hostile.huge_numbers(path)
    out = StringIO()

    with pytest.raises(CommandError) as failure:
        call_command("intake", "--entity", ENTITY, "--year", str(YEAR), str(path), "--json",
                     stdout=out, stderr=StringIO())  # fmt: skip

    assert failure.value.returncode == 1 and "3 validation error(s)" in str(failure.value)
    summary = json.loads(out.getvalue())
    cells = {i["cell"]: i["message"] for i in summary["issues"] if i["severity"] == "error"}
    assert set(cells) == {TARGET_CELL, cell(0, "Harga"), cell(1, "Diskon")}
    assert cells[cell(0, "Harga")].endswith(TOO_LARGE_FOR_MONEY)
