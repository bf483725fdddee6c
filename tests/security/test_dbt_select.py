"""`--select` takes dbt selectors only: a value must never smuggle a dbt flag to `dbt build`.

The rule lives in `cli.split_select`; the flag (exit 2) and `transform.run_dbt_build`
(a PipelineError, for callers that skip the CLI) both apply it.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

import pytest

from pipeline_ops.models import PipelineRun
from pipeline_ops.pipeline.cli import parse_select
from pipeline_ops.pipeline.errors import PipelineError
from pipeline_ops.pipeline.stages.transform import run_transform
from tests.warehouse_fixtures import BuiltWarehouse, manage_command

SELECTORS = [
    "stg_orders", "+fct_orders", "tag:daily", "path:models/staging", "1+model", "model+2",
    "@int_orders", "stg_*", "source:atlas.raw_orders+", "tag:a,tag:b", "config.materialized:table",
    "stg-orders",
]  # fmt: skip
NOT_SELECTORS = [
    "-x", "--target-path", "--target-path=/tmp/x", "a;b", "$(id)", "`id`", "a|b", "a>b",
    "x\x1b[2J", "'quoted'", "--vars={a:1}",
]  # fmt: skip


@pytest.fixture
def chain(built_warehouse: BuiltWarehouse, tmp_path: Path) -> Path:
    """A private copy of the sync-built data dir (Django DB, warehouse, dbt target)."""
    target = tmp_path / "chain"
    shutil.copytree(built_warehouse.data_dir, target)
    return target


def transform(data_dir: Path, *select: str) -> subprocess.CompletedProcess:
    command = manage_command(data_dir, "transform", "--entity", "IONS", *select, private_db=True)
    return subprocess.run(**command, capture_output=True, timeout=300, check=False)


def transform_runs(data_dir: Path) -> list[str]:
    with closing(sqlite3.connect(data_dir / "django.sqlite3")) as db:
        rows = db.execute("SELECT status FROM pipeline_ops_pipelinerun WHERE stage = 'transform'")
        return [status for (status,) in rows]


@pytest.mark.parametrize("value", SELECTORS)
def test_real_dbt_selectors_are_accepted_as_given(value):
    assert parse_select(value) == value


@pytest.mark.parametrize("value", NOT_SELECTORS)
def test_anything_but_a_selector_is_refused_naming_the_token(value):
    with pytest.raises(argparse.ArgumentTypeError) as refused:
        parse_select(f"stg_orders {value}")
    assert repr(value) in str(refused.value) and "not a dbt selector" in str(refused.value)


def test_an_empty_select_is_refused_rather_than_building_everything():
    with pytest.raises(argparse.ArgumentTypeError, match="empty"):
        parse_select("   ")


@pytest.mark.parametrize("form", ["separate", "joined"])
def test_a_select_value_cannot_smuggle_a_dbt_flag(chain, tmp_path, form):
    elsewhere = tmp_path / "elsewhere"
    smuggled = f"stg_orders --target-path {elsewhere}"
    flag = ["--select", smuggled] if form == "separate" else [f"--select={smuggled}"]
    dbt_log = chain / "dbt" / "logs" / "dbt.log"
    log_before = dbt_log.read_bytes()
    runs_before = transform_runs(chain)
    proc = transform(chain, *flag)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "'--target-path'" in lines[0] and "--select" in lines[0]
    assert "Traceback" not in proc.stdout + proc.stderr
    assert not elsewhere.exists()
    assert dbt_log.read_bytes() == log_before  # dbt never started
    assert transform_runs(chain) == runs_before


def test_the_transform_itself_refuses_a_smuggled_flag_when_called_without_the_cli(
    warehouse, data_dir, tmp_path
):
    elsewhere = tmp_path / "elsewhere"
    with pytest.raises(PipelineError, match="'--target-path' in --select is not a dbt selector"):
        run_transform("IONS", 2026, select=f"stg_orders --target-path {elsewhere}")
    run = PipelineRun.objects.get(stage="transform")
    assert run.status == "failed" and "'--target-path'" in run.error_message
    assert not elsewhere.exists()
    assert not (data_dir / "dbt").exists()  # nothing of dbt's was written either


def test_an_accepted_selector_still_builds_just_what_it_selects(chain):
    proc = transform(chain, "--select", "stg_orders tag:nothing_has_this_tag")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = json.loads((chain / "dbt" / "target" / "run_results.json").read_text())
    models = {r["unique_id"] for r in results["results"] if r["unique_id"].startswith("model.")}
    assert models == {"model.atlas.stg_orders"}
    assert transform_runs(chain)[-1] == "partial"
