from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from pipeline_ops.models import Entity, PipelineRun
from pipeline_ops.pipeline.errors import PipelineError
from pipeline_ops.pipeline.runs.locking import pipeline_lock
from pipeline_ops.pipeline.runs.warehouse import connect
from pipeline_ops.pipeline.stages.transform import (
    DbtResult,
    default_year,
    failure_message,
    run_transform,
)
from tests.polling import wait_until
from tests.warehouse_fixtures import (
    EDGE_ORDERS,
    EDGE_PROGRAMS,
    EDGE_TARGETS,
    insert_raw_rows,
    manage,
    manage_command,
)
from tests.worker import dbt_children

pytestmark = pytest.mark.django_db
REVENUE_COLUMNS = ("revenue", "target", "collected", "orders", "cancelled")


def query(sql: str, params: list | None = None) -> list[tuple]:
    with pipeline_lock(), connect() as con:
        return con.execute(sql, params or []).fetchall()


def expected_revenue(orders: list[dict], programs: list[dict], targets: list[dict]) -> dict:
    """mart_revenue_monthly computed in plain Python from hand-built rows."""
    program_unit = {p["program_code"]: p["unit"] for p in programs}
    loaded = {o["month"] for o in orders}
    rows: dict = defaultdict(lambda: dict.fromkeys(REVENUE_COLUMNS, 0))
    for order in orders:
        row = rows[(order["month"], order["unit"] or program_unit[order["program_code"]])]
        row["orders"] += 1
        row["cancelled"] += order["status"] == "BATAL"
        if order["status"] != "BATAL":
            row["revenue"] += order["price"] - order["discount"]
            row["collected"] += order["paid"]
    for target in targets:
        if target["month"] in loaded:
            rows[(target["month"], target["unit"])]["target"] += target["revenue_target"]
    return dict(rows)


def expected_progress(orders: list[dict], programs: list[dict]) -> dict:
    """mart_program_progress: every program × every loaded month, from hand-built rows."""
    expected = {}
    for program in programs:
        for month in {o["month"] for o in orders}:
            taken = [
                o for o in orders
                if o["month"] == month and o["program_code"] == program["program_code"]
                and o["status"] != "BATAL"
            ]  # fmt: skip
            revenue = sum(o["price"] - o["discount"] for o in taken)
            expected[(month, program["program_code"])] = (
                len(taken), program["target_students"], revenue,
            )  # fmt: skip
    return expected


def mart_revenue(entity: str) -> dict:
    got = query(
        f"SELECT month, unit, {', '.join(REVENUE_COLUMNS)} FROM mart_revenue_monthly"
        " WHERE entity = ?",
        [entity],
    )
    return {(m, u): dict(zip(REVENUE_COLUMNS, values, strict=True)) for m, u, *values in got}


def mart_progress(entity: str) -> dict:
    got = query(
        "SELECT month, program_code, enrollments, target, revenue FROM mart_program_progress"
        " WHERE entity = ?",
        [entity],
    )
    return {(m, code): tuple(rest) for m, code, *rest in got}


def test_mart_revenue_monthly_totals_equal_sums_of_the_workbooks_orders(warehouse, built_warehouse):
    b = built_warehouse
    # A cancelled order that kept a deposit: collected must leave its Dibayar out.
    assert any(o["status"] == "BATAL" and o["paid"] > 0 for o in b.orders)
    assert mart_revenue(b.entity) == expected_revenue(b.orders, b.programs, b.targets)


def test_mart_program_progress_counts_enrollments_of_every_program(warehouse, built_warehouse):
    b = built_warehouse
    assert mart_progress(b.entity) == expected_progress(b.orders, b.programs)


KEY_TESTS = (  # each fails on a row repeating its key
    "stg_orders_unique_invoice_per_entity_year",
    "stg_targets_unique_month_unit_per_entity_year",
    "stg_organizations_unique_name_per_entity_year",
)


def test_duplicate_keys_fail_transform_naming_each_key_test_and_skip_what_depends_on_them(
    warehouse, built_warehouse
):
    (orders_before,) = query("SELECT sum(orders) FROM mart_revenue_monthly")[0]
    b = built_warehouse
    with pipeline_lock(), connect() as con:
        # One repeated invoice, one repeated month/unit target, one repeated organization.
        insert_raw_rows(con, orders=b.orders[:1], programs=[], targets=b.targets[:1])
        con.execute(
            "INSERT INTO raw_organizations SELECT * REPLACE (source_row + 100 AS source_row)"
            " FROM raw_organizations ORDER BY source_row LIMIT 1"
        )

    with pytest.raises(PipelineError) as failure:
        run_transform("IONS", 2026)

    message = str(failure.value)
    assert [name for name in KEY_TESTS if f"test {name} failed (1 failing row(s))" in message] == (
        list(KEY_TESTS)
    )
    assert "skipped" in message
    run = PipelineRun.objects.get(stage="transform")
    assert run.status == "failed" and run.error_message == message
    assert "model mart_revenue_monthly: skipped" in run.log
    # The mart was not rebuilt with the duplicates in it.
    assert query("SELECT sum(orders) FROM mart_revenue_monthly")[0][0] == orders_before
    recorded = query(
        "SELECT status, error_message FROM _pipeline_runs WHERE id = ?", [run.warehouse_id]
    )
    assert recorded == [("failed", message)]


@pytest.mark.django_db(transaction=True)
def test_transform_passes_select_through_in_a_real_process_and_handles_edge_cases(
    built_warehouse, data_dir, entity
):
    skip = shutil.ignore_patterns("dbt", "pipeline.lock", "django.sqlite3*")
    shutil.copytree(built_warehouse.data_dir, data_dir, ignore=skip, dirs_exist_ok=True)
    with pipeline_lock(), connect() as con:
        insert_raw_rows(con, entity="EDGE")

    Entity.objects.create(code="EDGE", name="Edge cases")  # a build covers its own entity-year

    selection = "+mart_revenue_monthly +mart_program_progress"
    proc = manage(
        data_dir, "transform", "--entity", "edge", "--year", "2026", "--select", selection
    )

    assert "transform EDGE 2026: success" in proc.stdout
    results = json.loads((data_dir / "dbt" / "target" / "run_results.json").read_text())
    nodes = {r["unique_id"].split(".")[2] for r in results["results"]}
    assert {"stg_orders", "mart_revenue_monthly", "mart_program_progress"} <= nodes
    assert "stg_organizations" not in nodes  # not upstream of either mart
    log = PipelineRun.objects.get(stage="transform").log  # the run, on the test database
    assert f"--select {selection}" in log and "model mart_program_progress: success" in log
    assert mart_revenue("EDGE") == expected_revenue(EDGE_ORDERS, EDGE_PROGRAMS, EDGE_TARGETS)
    assert mart_progress("EDGE") == expected_progress(EDGE_ORDERS, EDGE_PROGRAMS)


def test_transform_of_an_unknown_entity_suggests_seed():
    with pytest.raises(CommandError, match="seed --entity NOPE") as failure:
        call_command("transform", "--entity", "NOPE", "--year", "2026")
    assert failure.value.returncode == 1


def test_the_recorded_year_defaults_to_the_newest_year_loaded(warehouse, built_warehouse):
    assert default_year(built_warehouse.entity) == built_warehouse.year
    assert default_year("OTHER") == date.today().year


def test_a_dbt_failure_before_any_node_ran_quotes_dbts_error_line():
    output = "Running with dbt=1.11\nRuntime Error\n  Could not find profile named 'atlas'\n"
    message = failure_message(DbtResult(returncode=2, output=output, seconds=1.0))
    assert message.startswith("dbt build failed (exit code 2)")
    assert "Could not find profile named 'atlas'" in message


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
@pytest.mark.django_db(transaction=True)
def test_killing_transform_with_sigkill_takes_dbt_down_and_frees_the_lock(
    built_warehouse, data_dir, entity
):
    skip = shutil.ignore_patterns("dbt", "pipeline.lock", "django.sqlite3*")
    shutil.copytree(built_warehouse.data_dir, data_dir, ignore=skip, dirs_exist_ok=True)
    proc = subprocess.Popen(
        **manage_command(data_dir, "transform", "--entity", "IONS"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def dbt_started() -> list[int]:
        assert proc.poll() is None, "transform ended before dbt could be seen"
        return dbt_children(proc.pid)

    dbt = wait_until(dbt_started, timeout=120, what="transform's dbt child process")

    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)

    wait_until(lambda: not _alive(dbt[0]), timeout=30, what=f"dbt (pid {dbt[0]}) to die with it")
    # dbt died with its parent instead of finishing the build without the lock held.
    assert not (data_dir / "dbt" / "target" / "run_results.json").exists()
    with pipeline_lock(timeout=5):
        pass


def test_transform_of_an_empty_warehouse_says_to_load_data_first(entity):
    with pytest.raises(CommandError) as failure:
        call_command("transform", "--entity", "IONS", "--year", "2026")
    assert failure.value.returncode == 1
    assert "no raw_orders, raw_organizations, raw_programs, raw_targets yet" in str(failure.value)
    assert "manage.py sync --entity IONS --year 2026" in str(failure.value)
    assert PipelineRun.objects.get(stage="transform").status == "failed"
