"""Isolation: one entity's errors, or the order entities sync in, never change another's data.

Scoped builds (`_build_scope`, analytics/macros/build_scope.sql) and month-scoped errors
(`_blocked_months`, pipeline_ops/pipeline/blocks.py), end to end: workbooks built in code,
real DuckDB files, real dbt, the real commands. IONS is entity A, KIDS entity B.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from io import StringIO
from pathlib import Path

import duckdb
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from pipeline_ops.models import Entity, PipelineRun, ValidationIssue
from tests.ops_fixtures import ops_rows
from tests.warehouse_fixtures import BuiltWarehouse, manage_command
from tests.workbooks import Layout, build_workbook, standard_orders

pytestmark = pytest.mark.django_db

A, B, YEAR = "IONS", "KIDS", 2026
MARTS = ("mart_orders", "mart_enrollments", "mart_revenue_monthly", "mart_program_progress")
BAD_ROW = 4  # February's fifth order gets a blank student name


# --- workbooks -------------------------------------------------------------------------


def a_orders(*, bad_february: bool = False) -> dict[int, list[dict]]:
    """A: the standard JAN-MAR, 10 orders each; optionally one blank student in FEB."""
    months = standard_orders(YEAR)
    if bad_february:
        months[2][BAD_ROW] = months[2][BAD_ROW] | {"student": "  "}
    return months


def b_orders() -> dict[int, list[dict]]:
    """B differs from A on purpose: other months (JAN, FEB, APR), other counts, and the same
    invoice numbers as A for some orders (the key is entity, year, invoice)."""
    standard = standard_orders(YEAR)
    april = [
        o | {"date": o["date"].replace(month=4), "invoice": f"KIDS-04-{i:03d}"}
        for i, o in enumerate(standard[3][:7])
    ]
    return {1: standard[1][:6], 2: standard[2], 4: april}


def write_workbook(data_dir: Path, entity: str, months: dict[int, list[dict]]) -> Layout:
    path = data_dir / "sources" / entity / f"{entity}-{YEAR}.xlsx"
    return build_workbook(path, months=months, title_rows=[[f"Penjualan {entity} {YEAR}"], []])


def register(*codes: str) -> None:
    for code in codes:
        Entity.objects.get_or_create(code=code, defaults={"name": code})


# --- commands ----------------------------------------------------------------------------


def command(*args: str) -> str:
    """`manage.py <args>` in this process (the test database); returns stdout."""
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def refused(*args: str) -> CommandError:
    with pytest.raises(CommandError) as failure:
        command(*args)
    return failure.value


def sync(entity: str) -> str:
    return command("sync", "--entity", entity, "--year", str(YEAR))


def publish(entity: str, months: str, *flags: str) -> str:
    return command("publish", "--entity", entity, "--year", str(YEAR), "--month", months, *flags)


def sync_a_with_bad_february(data_dir: Path) -> tuple[CommandError, str]:
    """A's workbook with one error in FEB, synced: the failure and FEB's bad cell."""
    layout = write_workbook(data_dir, A, a_orders(bad_february=True))
    failure = refused("sync", "--entity", A, "--year", str(YEAR))
    return failure, layout.cell(2, BAD_ROW, "Nama Siswa")


# --- reading the stores ------------------------------------------------------------------


def warehouse_rows(data_dir: Path, sql: str, params: list | None = None) -> list[tuple]:
    """Read the warehouse directly (no stage runs while a test reads it)."""
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def mart_months(data_dir: Path, entity: str) -> list[int]:
    rows = warehouse_rows(
        data_dir, "SELECT DISTINCT month FROM mart_orders WHERE entity = ? ORDER BY 1", [entity]
    )
    return [month for (month,) in rows]


def dump_marts(warehouse: Path) -> dict[str, list[tuple]]:
    """Every row of every mart, sorted, with column names (so a column change shows too)."""
    dumped = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for mart in MARTS:
            result = con.execute(f"SELECT * FROM {mart} ORDER BY ALL")
            columns = tuple(column[0] for column in result.description)
            dumped[mart] = [columns, *result.fetchall()]
    return dumped


def published(entity: str) -> list[tuple]:
    """(month, orders) in the ops DB for the entity."""
    return ops_rows(
        "SELECT o.month, count(*) FROM commerce_order o JOIN db_entity e ON e.id = o.entity_id"
        " WHERE e.code = ? GROUP BY o.month ORDER BY o.month",
        [entity],
    )


# --- one entity's errors stay its own ----------------------------------------------------


@dataclass
class Blocked:
    """A data dir where A was synced once with one error in FEB (B registered, its workbook
    written but not synced), the sync's failure and FEB's bad cell."""

    data_dir: Path
    failure: CommandError
    bad_cell: str


@pytest.fixture(scope="class")
def a_blocked(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[Blocked]:
    """One real sync for the tests of a class: its Django rows (entities, runs, validation
    issues) are committed before each test's transaction, so every test sees them and rolls
    back only its own changes; they are deleted when the class is done."""
    root = tmp_path_factory.mktemp("a-blocked")
    where = {"PIPELINE_DATA_DIR": root, "WAREHOUSE_PATH": None, "OPS_DB_URL": None}
    with django_db_blocker.unblock(), override_settings(**where):
        register(A, B)
        write_workbook(root, B, b_orders())
        failure, bad_cell = sync_a_with_bad_february(root)
    yield Blocked(root, failure, bad_cell)
    with django_db_blocker.unblock():
        PipelineRun.objects.filter(entity__code__in=(A, B)).delete()
        Entity.objects.filter(code__in=(A, B)).delete()


@pytest.fixture
def blocked(a_blocked: Blocked, data_dir: Path) -> Blocked:
    """This test's own copy of the blocked data dir (warehouse, sources, extracts)."""
    skip = shutil.ignore_patterns("dbt", "pipeline.lock")
    shutil.copytree(a_blocked.data_dir, data_dir, ignore=skip, dirs_exist_ok=True)
    return a_blocked


class TestWhileEntityAHasAnErrorInFebruary:
    def test_entity_b_syncs_publishes_and_reports_while_entity_a_has_errors(
        self, blocked, data_dir
    ):
        assert blocked.failure.returncode == 1
        message = str(blocked.failure)
        assert message.startswith("sync finished without the blocked months: Validation found")
        assert f"Feb (1 error(s); first: {blocked.bad_cell} blank_student" in message
        assert blocked.bad_cell.startswith("FEB!")
        assert mart_months(data_dir, A) == [1, 3]  # A's clean months were transformed anyway

        output = sync(B)
        assert f"sync {B} {YEAR}: success" in output
        assert mart_months(data_dir, B) == [1, 2, 4]
        assert mart_months(data_dir, A) == [1, 3]  # B's build left A's rows alone

        publish(B, "1-2")
        assert published(B) == [(1, 6), (2, 10)]
        assert published(A) == []

        output = command("report", "--entity", B, "--year", str(YEAR), "--month", "2")
        assert f"{B}-{YEAR}-02.json" in output
        report = PipelineRun.objects.get(stage="report", entity__code=B)
        assert report.status == "success"
        assert (data_dir / "reports" / B / f"{B}-{YEAR}-02.html").exists()

    def test_a_clean_month_publishes_and_the_blocked_month_is_refused(self, blocked, data_dir):
        issues = ValidationIssue.objects.filter(entity__code=A, year=YEAR, severity="error")
        assert [(i.month, i.cell, i.rule) for i in issues] == [
            (2, blocked.bad_cell, "blank_student")
        ]

        publish(A, "1")
        assert published(A) == [(1, 10)]

        for flags in ((), ("--force",)):
            refusal = refused("publish", "--entity", A, "--year", str(YEAR), "--month", "2", *flags)
            assert refusal.returncode == 1
            assert str(refusal).startswith(
                f"Refusing to publish: validation blocks {A} {YEAR} Feb (1 error(s); first:"
                f" {blocked.bad_cell} blank_student"
            )
        assert published(A) == [(1, 10)]  # the refusals wrote nothing

        january = command("report", "--entity", A, "--year", str(YEAR), "--month", "1")
        assert f"{A}-{YEAR}-01.json" in january
        quarter = ("--month", "1-3", "--type", "quarterly")
        assert f"{A}-{YEAR}-Q1.json" in command(
            "report", "--entity", A, "--year", str(YEAR), *quarter
        )
        withheld = json.loads((data_dir / "reports" / A / f"{A}-{YEAR}-Q1.json").read_text())
        assert [w["month"] for w in withheld["withheld_months"]] == [2]  # not refused: withheld
        strict = refused("report", "--entity", A, "--year", str(YEAR), *quarter, "--strict")
        assert strict.returncode == 1
        assert str(strict).startswith(f"Refusing to report {A}-{YEAR}-Q1: validation blocks")

    def test_fixing_the_blocked_month_lifts_the_block(self, blocked, data_dir):
        assert warehouse_rows(data_dir, "SELECT entity, month FROM _blocked_months") == [(A, 2)]

        write_workbook(data_dir, A, a_orders())
        sync(A)

        assert warehouse_rows(data_dir, "SELECT * FROM _blocked_months") == []
        assert mart_months(data_dir, A) == [1, 2, 3]
        assert not ValidationIssue.objects.filter(entity__code=A, severity="error").exists()
        publish(A, "2")
        assert published(A) == [(2, 10)]


# --- the order entities build in does not matter ----------------------------------------


def test_marts_are_the_same_whichever_order_entities_sync_in_and_equal_a_full_build(
    built_warehouse: BuiltWarehouse, data_dir
):
    register(A, B)
    warehouse = data_dir / "warehouse.duckdb"
    # A, then B: the session's warehouse already holds A's sync (the standard workbook).
    skip = shutil.ignore_patterns("dbt", "pipeline.lock", "extracts", "django.sqlite3*")
    shutil.copytree(built_warehouse.data_dir, data_dir, ignore=skip, dirs_exist_ok=True)
    write_workbook(data_dir, B, b_orders())
    sync(B)
    a_then_b = dump_marts(warehouse)

    # B, then A: A synced again after B, its rows replaced in marts that already hold B's.
    sync(A)
    b_then_a = dump_marts(warehouse)

    # From scratch: a new warehouse, both workbooks, one dbt build.
    output = command("rebuild_warehouse")
    assert "one dbt build for 2 entity-year(s)" in output
    full_build = dump_marts(warehouse)

    for mart in MARTS:
        assert {row[0] for row in a_then_b[mart][1:]} == {A, B}, mart  # both are there
        assert a_then_b[mart] == b_then_a[mart], mart
        assert a_then_b[mart] == full_build[mart], mart


# --- honest freshness --------------------------------------------------------------------


def test_a_transform_that_selected_nothing_fails_in_one_line(built_warehouse, tmp_path):
    chain = tmp_path / "chain"  # a private copy of the synced data dir, its own Django DB
    shutil.copytree(built_warehouse.data_dir, chain)
    args = ("transform", "--entity", A, "--select", "tag:nothing_has_this_tag")
    proc = subprocess.run(
        **manage_command(chain, *args, private_db=True), capture_output=True, timeout=300
    )

    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "dbt selected nothing" in lines[0], proc.stderr
    assert "tag:nothing_has_this_tag" in lines[0]
    assert "Traceback" not in proc.stdout + proc.stderr
    with closing(sqlite3.connect(chain / "django.sqlite3")) as db:
        (status,) = db.execute(
            "SELECT status FROM pipeline_ops_pipelinerun WHERE stage = 'transform'"
            " ORDER BY id DESC LIMIT 1"
        ).fetchone()
    assert status == "failed"


def test_a_partial_transform_does_not_make_the_marts_current(warehouse, data_dir):
    changed = a_orders()
    changed[3][0] = changed[3][0] | {"student": "Rina Kusuma"}  # March's rows change
    write_workbook(data_dir, A, changed)
    month = ("--entity", A, "--year", str(YEAR), "--month", "3")
    command("extract", *month)
    command("load", *month)  # March is now newer than the last full transform

    command("transform", "--entity", A, "--year", str(YEAR), "--select", "stg_orders")

    transform = PipelineRun.objects.filter(stage="transform").latest("id")
    assert transform.status == "partial"
    load = PipelineRun.objects.filter(stage="load").latest("id")
    assert transform.completed_at > load.completed_at  # newer, and still not current
    (recorded,) = warehouse_rows(
        data_dir, "SELECT status FROM _pipeline_runs WHERE id = ?", [transform.warehouse_id]
    )
    assert recorded == ("partial",)
    refusal = refused("publish", *month)
    assert refusal.returncode == 1
    assert "Month 3: the transform is older than its latest load" in str(refusal)
    assert not (data_dir / "ops.db").exists()
