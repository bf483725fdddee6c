from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from pipeline_ops.models import PipelineRun
from pipeline_ops.pipeline.registry import children
from pipeline_ops.pipeline.runs.locking import pipeline_lock
from pipeline_ops.pipeline.runs.warehouse import connect
from tests.warehouse_fixtures import manage, manage_command
from tests.workbooks import order, standard_workbook

pytestmark = pytest.mark.django_db
STAGES = [stage.name for stage in children("sync")]
LOCK_ERROR = "Could not set lock on file"


def copy_built(built_warehouse, data_dir) -> None:
    """The session's synced data dir as this test's own, minus its private Django DB: the
    subprocesses use the test database (`transaction=True` tests, IONS from `entity`)."""
    skip = shutil.ignore_patterns("dbt", "pipeline.lock", "extracts", "django.sqlite3*")
    shutil.copytree(built_warehouse.data_dir, data_dir, ignore=skip, dirs_exist_ok=True)


def runs_by_parent() -> dict:
    with pipeline_lock(), connect() as con:
        rows = con.execute(
            "SELECT id, entity, stage, status, parent_id FROM _pipeline_runs ORDER BY id"
        ).fetchall()
    parents = {
        r[0]: {"entity": r[1], "status": r[3], "children": []} for r in rows if r[2] == "sync"
    }
    for _id, _entity, stage, status, parent_id in rows:
        if parent_id in parents:
            parents[parent_id]["children"].append((stage, status))
    return parents


def test_sync_prints_a_start_and_a_completion_line_per_stage(built_warehouse):
    output = built_warehouse.sync_output
    for stage in STAGES:
        assert f"[{stage}] IONS 2026 started" in output
        assert re.search(rf"\[{stage}\] done in \d+\.\ds, [\d,-]+ rows", output)
    assert "[extract] done in" in output and re.search(r"\[load\] done in .*, 30 rows", output)
    assert output.index("[extract] done") < output.index("[transform] IONS 2026 started")


def test_sync_records_a_parent_run_with_one_child_per_stage(warehouse):
    (parent,) = runs_by_parent().values()
    assert parent["status"] == "success"
    assert parent["children"] == [(stage, "success") for stage in STAGES]


@pytest.mark.django_db(transaction=True)
def test_two_syncs_for_two_entities_at_once_both_succeed_and_one_waits(
    built_warehouse, data_dir, entity
):
    copy_built(built_warehouse, data_dir)
    manage(data_dir, "seed", "--entity", "KIDS")
    standard_workbook(data_dir / "sources" / "KIDS" / "KIDS-2026.xlsx", entity="KIDS")

    procs = [
        subprocess.Popen(
            **manage_command(data_dir, "sync", "--entity", code, "--year", "2026"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for code in ("IONS", "KIDS")
    ]
    outputs = [proc.communicate(timeout=240) for proc in procs]

    assert [proc.returncode for proc in procs] == [0, 0], outputs
    waited = [err for _out, err in outputs if "Waiting for the pipeline lock held by" in err]
    assert len(waited) == 1
    assert re.search(r"held by run \d+ sync/\w+ (IONS|KIDS) pid \d+", waited[0])
    assert all(LOCK_ERROR not in out + err for out, err in outputs)
    parents = runs_by_parent()
    assert sorted(p["entity"] for p in parents.values() if p["status"] == "success") == [
        "IONS",
        "IONS",
        "KIDS",
    ]  # the copied session run plus the two new ones
    synced = PipelineRun.objects.filter(stage="sync", status="success")  # on the test database
    assert sorted(synced.values_list("entity__code", flat=True)) == ["IONS", "KIDS"]


def test_sync_stops_at_the_first_failed_stage_with_its_reason(entity, workbook_factory):
    workbook_factory(months={2: [order(student="  ")]})

    with pytest.raises(CommandError) as failure:
        call_command("sync", "--entity", "ions", "--year", "2026", "--month", "2")

    assert failure.value.returncode == 1
    assert str(failure.value).startswith("sync stopped at validate: Validation found 1 error")
    parent = PipelineRun.objects.get(stage="sync")
    assert (parent.status, parent.month, parent.error_message) == (
        "failed",
        2,
        str(failure.value),
    )
    children = [(c.stage, c.status) for c in parent.children.order_by("id")]
    assert children == [("extract", "success"), ("load", "success"), ("validate", "failed")]


@pytest.mark.django_db(transaction=True)
def test_run_warns_that_it_is_deprecated_naming_sync_and_fails_like_sync(
    built_warehouse, data_dir, entity
):
    copy_built(built_warehouse, data_dir)

    proc = manage(data_dir, "run", "--entity", "IONS", "--year", "2025", check=False)

    assert proc.returncode == 1
    assert "`manage.py run` is deprecated" in proc.stderr and "manage.py sync" in proc.stderr
    assert "sync stopped at extract: Workbook not found" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert "[extract] IONS 2025 started" in proc.stdout


def test_run_warns_in_process_too(entity):
    from io import StringIO

    err = StringIO()
    with pytest.raises(CommandError, match="sync stopped at extract"):
        call_command("run", "--entity", "IONS", "--year", "2026", stderr=err, stdout=StringIO())
    assert "deprecated" in err.getvalue() and "sync" in err.getvalue()


@pytest.mark.django_db(transaction=True)
def test_sync_of_an_unknown_entity_suggests_seed_in_a_real_process(
    built_warehouse, data_dir, entity
):
    copy_built(built_warehouse, data_dir)

    proc = manage(data_dir, "sync", "--entity", "nope", "--year", "2026", check=False)

    assert proc.returncode == 1
    assert "Unknown entity NOPE" in proc.stderr and "seed --entity NOPE" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["--entity", "IONS"],
        ["--year", "2026"],
        ["--entity", "IONS", "--year", "2026", "--month", "3-1"],
    ],
)
def test_sync_rejects_missing_or_bad_flags_with_exit_code_2(args):
    with pytest.raises(CommandError) as failure:
        call_command("sync", *args)
    assert failure.value.returncode == 2
