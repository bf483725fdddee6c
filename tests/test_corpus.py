"""The bad-input corpus (tests/corpus): every broken or odd workbook is either processed
correctly or refused with one clear line, a failed run record and nothing half-written.

Most cases stop at validate (dbt is slow); a few run the whole `sync`, in process and in a
real `manage.py sync` subprocess.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from pipeline_ops.models import PipelineRun
from pipeline_ops.pipeline.errors import PipelineError
from pipeline_ops.pipeline.runs.locking import pipeline_lock
from pipeline_ops.pipeline.runs.warehouse import connect
from pipeline_ops.pipeline.stages.extract import run_extract
from pipeline_ops.pipeline.stages.load import run_load
from pipeline_ops.pipeline.stages.sync import run_sync
from pipeline_ops.pipeline.stages.validate import run_validate
from tests.corpus import BY_NAME, CASES, Case, Issues, Ok, Rejected
from tests.warehouse_fixtures import manage
from tests.workbooks import standard_workbook

pytestmark = pytest.mark.django_db
CHECKED_TABLES = (
    "raw_orders", "raw_programs", "raw_organizations", "raw_targets", "_raw_columns",
    "_validation_issues",
)  # fmt: skip


def source(data_dir: Path) -> Path:
    path = data_dir / "sources" / "IONS" / "IONS-2026.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def snapshot(data_dir: Path) -> dict[str, str]:
    """A checksum of every raw table and every extract file."""
    sums: dict[str, str] = {}
    with pipeline_lock(), connect() as con:
        for table in CHECKED_TABLES:
            (sums[table],) = con.execute(
                f"SELECT md5(coalesce(string_agg(CAST(t AS VARCHAR), '|'"
                f" ORDER BY CAST(t AS VARCHAR)), '')) FROM {table} t"
            ).fetchone()
    for path in sorted((data_dir / "extracts").rglob("*")):
        if path.is_file():
            sums[str(path.relative_to(data_dir))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return sums


def prepare_earlier_sync(data_dir: Path) -> dict[str, str]:
    """A good workbook extracted, loaded and validated before the bad one arrives."""
    standard_workbook(source(data_dir))
    for stage in (run_extract, run_load, run_validate):
        stage("IONS", 2026)
    return snapshot(data_dir)


def issues() -> tuple[dict, dict]:
    with pipeline_lock(), connect() as con:
        rows = con.execute(
            "SELECT cell, rule, severity, message FROM _validation_issues"
            " WHERE entity = 'IONS' AND year = 2026"
        ).fetchall()
    errors = {c: (r, m) for c, r, s, m in rows if s == "error"}
    return errors, {c: r for c, r, s, _m in rows if s == "warning"}


def orders_per_month(months) -> dict[int, int]:
    with pipeline_lock(), connect() as con:
        counted = dict(con.execute("SELECT month, count(*) FROM raw_orders GROUP BY 1").fetchall())
    return {m: counted.get(m, 0) for m in months}


def column(name: str) -> list:
    with pipeline_lock(), connect() as con:
        return [
            r[0]
            for r in con.execute(f"SELECT {name} FROM raw_orders ORDER BY source_row").fetchall()
        ]


def assert_one_clear_line(message: str, *, says: str) -> None:
    assert "\n" not in message and "Traceback" not in message
    assert says in message
    assert len(message) < 400


def assert_rejected(case: Case, data_dir: Path) -> None:
    before = prepare_earlier_sync(data_dir)
    case.build(source(data_dir))

    with pytest.raises(PipelineError) as failure:
        run_extract("IONS", 2026)

    message = str(failure.value)
    assert_one_clear_line(message, says=case.outcome.says)
    assert message.startswith(str(source(data_dir)))
    run = PipelineRun.objects.filter(stage="extract").latest("id")
    assert (run.status, run.error_message) == ("failed", message)
    assert snapshot(data_dir) == before


def assert_loaded(case: Case, data_dir: Path) -> None:
    case.build(source(data_dir))
    extracted = run_extract("IONS", 2026)
    loaded = run_load("IONS", 2026)
    outcome = case.outcome
    expected_total = sum(outcome.orders.values()) if isinstance(outcome, Ok) else None
    assert extracted.status == loaded.status == "success"
    if isinstance(outcome, Ok):
        assert loaded.row_count == expected_total
        assert orders_per_month(outcome.orders) == outcome.orders
        assert run_validate("IONS", 2026).status == "success"
        errors, warnings = issues()
        assert (errors, warnings) == ({}, outcome.warnings)
        for name, values in outcome.values.items():
            assert column(name) == values
        return
    with pytest.raises(PipelineError) as failure:
        run_validate("IONS", 2026)
    errors, warnings = issues()
    assert {c: r for c, (r, _m) in errors.items()} == {
        c: r for c, (r, _f) in outcome.errors.items()
    }
    for where, (_rule, fragment) in outcome.errors.items():
        assert fragment in errors[where][1], errors[where]
    assert warnings == outcome.warnings
    assert_one_clear_line(str(failure.value), says=f"Validation found {len(errors)} error(s)")
    assert any(f"first: {c} " in str(failure.value) for c in errors)
    assert PipelineRun.objects.get(stage="validate").status == "failed"


@pytest.mark.parametrize("case", CASES, ids=str)
def test_each_corpus_workbook_is_processed_or_refused_cleanly(case, entity, data_dir, request):
    if case.bug:
        request.applymarker(pytest.mark.xfail(reason=case.bug, strict=True))
    if isinstance(case.outcome, Rejected):
        assert_rejected(case, data_dir)
    else:
        assert isinstance(case.outcome, Ok | Issues)
        assert_loaded(case, data_dir)


def test_the_corpus_has_at_least_25_kinds_of_workbook_with_unique_names():
    assert len(CASES) >= 25 and len(BY_NAME) == len(CASES)
    kinds = {type(c.outcome) for c in CASES}
    assert kinds == {Ok, Issues, Rejected}


@pytest.mark.parametrize("name", ["broken_zip", "two_sheets_one_month", "missing_programs_block"])
def test_sync_of_a_refused_workbook_stops_at_extract_and_writes_nothing(name, entity, data_dir):
    before = prepare_earlier_sync(data_dir)
    BY_NAME[name].build(source(data_dir))

    with pytest.raises(PipelineError) as failure:
        run_sync("IONS", 2026)

    assert str(failure.value).startswith("sync stopped at extract: ")
    assert_one_clear_line(str(failure.value), says=BY_NAME[name].outcome.says)
    assert PipelineRun.objects.filter(stage="sync").latest("id").status == "failed"
    assert snapshot(data_dir) == before


def test_full_sync_of_unicode_names_builds_marts_with_the_workbook_totals(entity, data_dir):
    from tests.corpus import builders

    builders.unicode_names(source(data_dir))
    rows = [{"price": 1_500_000, "discount": 0, "paid": 1_500_000}] * len(builders.UNICODE_NAMES)

    run = run_sync("IONS", 2026)

    assert run.status == "success"
    with pipeline_lock(), connect() as con:
        mart = con.execute(
            "SELECT revenue, collected, orders, cancelled FROM mart_revenue_monthly"
            " WHERE entity = 'IONS' AND year = 2026 AND month = 2 AND unit = 'TM'"
        ).fetchall()
        names = [
            r[0] for r in con.execute("SELECT student_name FROM stg_orders ORDER BY 1").fetchall()
        ]
    revenue = sum(r["price"] - r["discount"] for r in rows)
    assert mart == [(revenue, sum(r["paid"] for r in rows), len(rows), 0)]
    assert names == sorted(builders.UNICODE_NAMES)


@pytest.fixture
def registered(entity, data_dir: Path) -> Path:
    """This test's data dir, for `manage.py` subprocesses on the test database (IONS comes
    from `entity`; the tests are transactional so that the subprocess sees it)."""
    return data_dir


@pytest.mark.parametrize(
    "name, says",
    [
        ("truncated", "sync stopped at extract: "),
        ("error_values", "sync stopped at validate: Validation found 3 error(s)"),
        ("merged_header_cells", "missing required column 'Tanggal'"),
        ("understated_dimension", "the reader ran out of its 2 GiB memory limit"),
        ("far_cell_single_quoted", "FEB uses A1:XFD1048576"),
    ],
)
@pytest.mark.django_db(transaction=True)
def test_manage_py_sync_of_a_bad_workbook_exits_1_with_one_line(name, says, registered):
    BY_NAME[name].build(source(registered))

    proc = manage(registered, "sync", "--entity", "IONS", "--year", "2026", check=False)

    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and says in lines[0], proc.stderr
