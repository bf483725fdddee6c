from __future__ import annotations

import json
import shutil
import sqlite3
from collections import defaultdict
from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from pipeline_ops.models import PipelineRun
from pipeline_ops.pipeline.errors import PipelineError
from pipeline_ops.pipeline.locking import pipeline_lock
from pipeline_ops.pipeline.transform import DbtResult, default_year, failure_message, run_transform
from pipeline_ops.pipeline.warehouse import connect
from tests.warehouse_fixtures import ORDERS, insert_raw_rows, manage

pytestmark = pytest.mark.django_db


def query(sql: str, params: list | None = None) -> list[tuple]:
    with pipeline_lock(), connect() as con:
        return con.execute(sql, params or []).fetchall()


def expected_revenue_rows(built) -> dict:
    """mart_revenue_monthly computed in plain Python from the hand-built rows."""
    program_unit = {p["program_code"]: p["unit"] for p in built.programs}
    loaded = {o["month"] for o in built.orders}
    rows: dict = defaultdict(lambda: dict.fromkeys(("revenue", "target", "collected"), 0))
    for order in built.orders:
        row = rows[(order["month"], order["unit"] or program_unit[order["program_code"]])]
        row["orders"] = row.get("orders", 0) + 1
        row["cancelled"] = row.get("cancelled", 0) + (order["status"] == "BATAL")
        if order["status"] != "BATAL":
            row["revenue"] += order["price"] - order["discount"]
            row["collected"] += order["paid"]
    for target in built.targets:
        if target["month"] in loaded:
            rows[(target["month"], target["unit"])]["target"] += target["revenue_target"]
    return {key: {"orders": 0, "cancelled": 0, **value} for key, value in rows.items()}


def test_mart_revenue_monthly_totals_equal_sums_of_the_hand_built_orders(
    warehouse, built_warehouse
):
    got = query(
        "SELECT month, unit, revenue, target, collected, orders, cancelled"
        " FROM mart_revenue_monthly WHERE entity = ? AND year = ?",
        [built_warehouse.entity, built_warehouse.year],
    )
    names = ("revenue", "target", "collected", "orders", "cancelled")
    actual = {(m, u): dict(zip(names, values, strict=True)) for m, u, *values in got}
    assert actual == expected_revenue_rows(built_warehouse)


def test_mart_program_progress_has_every_program_in_every_loaded_month(warehouse, built_warehouse):
    got = query(
        "SELECT month, program_code, enrollments, target, revenue FROM mart_program_progress"
    )
    months = {o["month"] for o in built_warehouse.orders}
    expected = {}
    for program in built_warehouse.programs:
        for month in months:
            mine = [
                o for o in built_warehouse.orders
                if o["month"] == month and o["program_code"] == program["program_code"]
                and o["status"] != "BATAL"
            ]  # fmt: skip
            revenue = sum(o["price"] - o["discount"] for o in mine)
            expected[(month, program["program_code"])] = (
                len(mine), program["target_students"], revenue,
            )  # fmt: skip
    assert {(m, code): tuple(rest) for m, code, *rest in got} == expected


def test_a_duplicate_invoice_fails_transform_naming_the_test_and_skips_what_depends_on_it(
    warehouse,
):
    (orders_before,) = query("SELECT sum(orders) FROM mart_revenue_monthly")[0]
    with pipeline_lock(), connect() as con:
        insert_raw_rows(con, orders=[ORDERS[0]], programs=[], targets=[])

    with pytest.raises(PipelineError) as failure:
        run_transform("IONS", 2026)

    message = str(failure.value)
    assert "stg_orders_unique_invoice_per_entity_year" in message
    assert "skipped" in message
    run = PipelineRun.objects.get(stage="transform")
    assert run.status == "failed" and run.error_message == message
    assert "model mart_revenue_monthly: skipped" in run.log
    # The mart was not rebuilt with the duplicate in it.
    assert query("SELECT sum(orders) FROM mart_revenue_monthly")[0][0] == orders_before
    recorded = query(
        "SELECT status, error_message FROM _pipeline_runs WHERE id = ?", [run.warehouse_id]
    )
    assert recorded == [("failed", message)]


def test_transform_passes_select_through_to_dbt_in_a_real_process(built_warehouse, tmp_path):
    data = tmp_path / "copy"
    shutil.copytree(built_warehouse.data_dir, data, ignore=shutil.ignore_patterns("dbt", "*.lock"))

    proc = manage(data, "transform", "--entity", "ions", "--select", "stg_programs")

    assert "transform IONS 2026: success" in proc.stdout
    results = json.loads((data / "dbt" / "target" / "run_results.json").read_text())
    nodes = {r["unique_id"].split(".")[2] for r in results["results"]}
    assert (
        "stg_programs" in nodes
        and "stg_orders" not in nodes
        and "mart_revenue_monthly" not in nodes
    )
    with sqlite3.connect(data / "django.sqlite3") as db:
        (log,) = db.execute(
            "SELECT log FROM pipeline_ops_pipelinerun WHERE stage = 'transform' ORDER BY id DESC"
        ).fetchone()
    assert "--select stg_programs" in log and "model stg_programs: success" in log


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
