"""Crash safety: `kill -9` of a pipeline process during each stage, then recovery and a re-run.

The stage processes are real `manage.py` subprocesses on the test database. Fast stages
(extract takes 0.2 s) are caught with a test-side freeze: the subprocess stops itself
(SIGSTOP) the moment the stage's run row is saved as running, and the test then SIGKILLs
it; transform is killed for real once its `dbt build` child process is running.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command

from pipeline_ops.models import PipelineRun
from pipeline_ops.pipeline.paths import source_workbook
from pipeline_ops.pipeline.period import MonthRange
from pipeline_ops.pipeline.runs.locking import pipeline_lock
from pipeline_ops.pipeline.runs.records import ensure_runs_table
from pipeline_ops.pipeline.runs.recovery import identity
from pipeline_ops.pipeline.runs.warehouse import connect
from pipeline_ops.pipeline.stages.sync import run_sync
from tests.workbooks import standard_workbook
from tests.worker import ROOT, dbt_children, running_worker, worker_env

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(sys.platform != "linux", reason="reads /proc"),
]

# manage.py, plus a post_save hook that freezes the process once FREEZE_AT's row is running.
FREEZING_MANAGE = """
import os, signal, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django
django.setup()
from django.db.models.signals import post_save
from pipeline_ops.models import PipelineRun
def freeze(sender, instance, **kwargs):
    if instance.stage == os.environ["FREEZE_AT"] and instance.status == "running":
        os.kill(os.getpid(), signal.SIGSTOP)
post_save.connect(freeze, sender=PipelineRun)
from django.core.management import execute_from_command_line
execute_from_command_line(["manage.py", *sys.argv[1:]])
"""
SYNC = ("sync", "--entity", "IONS", "--year", "2026")
PUBLISH = ("publish", "--entity", "IONS", "--year", "2026", "--month", "1-3")
REPORT = ("report", "--entity", "IONS", "--year", "2026", "--month", "2")


@pytest.fixture
def source(entity, data_dir: Path) -> Path:
    path = source_workbook("IONS", 2026)
    standard_workbook(path)
    return path


def start(data_dir: Path, args: tuple[str, ...], freeze_at: str = "") -> subprocess.Popen:
    env = {**worker_env(data_dir), "FREEZE_AT": freeze_at}
    return subprocess.Popen(
        [sys.executable, "-c", FREEZING_MANAGE, *args],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


def wait_until(proc: subprocess.Popen, ready, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if proc.poll() is not None:
            raise AssertionError(f"process ended before {what}:\n{proc.stdout.read()}")
        assert time.monotonic() < deadline, f"no {what} after {timeout}s"
        time.sleep(0.05)


def running(stage: str) -> bool:
    return PipelineRun.objects.filter(stage=stage, status="running").exists()


def kill_when_frozen(proc: subprocess.Popen, stage: str) -> None:
    wait_until(proc, lambda: state(proc.pid) == "T", f"freeze at {stage}")
    assert running(stage)
    proc.kill()
    proc.wait()


def warehouse_run_statuses() -> list[tuple[str, str]]:
    """Also proves the lock is free and the DuckDB file opens and reads after the crash."""
    with pipeline_lock(timeout=1), connect() as con:
        ensure_runs_table(con)
        tables = [t for (t,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        for table in tables:
            con.execute(f'SELECT count(*) FROM "{table}"').fetchone()
        return con.execute("SELECT stage, status FROM _pipeline_runs ORDER BY id").fetchall()


def assert_abandoned(stage: str, parent: str | None = None) -> None:
    run = PipelineRun.objects.get(stage=stage, status="failed")
    assert "Abandoned" in run.error_message and f"this {stage}" in run.error_message
    if parent:
        top = PipelineRun.objects.get(stage=parent, status="failed")
        assert f"died during {stage}" in top.error_message
    assert not PipelineRun.objects.filter(status="running").exists()


@pytest.mark.parametrize("stage", ["extract", "load"])
def test_a_sync_killed_during_a_stage_is_failed_by_recover_runs_and_a_rerun_succeeds(
    source, data_dir, stage
):
    proc = start(data_dir, SYNC, freeze_at=stage)
    kill_when_frozen(proc, stage)

    call_command("recover_runs")

    assert_abandoned(stage, parent="sync")
    assert ("sync", "running") not in warehouse_run_statuses()
    call_command(*SYNC)
    assert PipelineRun.objects.get(stage="sync", status="success").children.count() == 4


def test_the_next_stage_recovers_a_run_killed_during_validate_without_recover_runs(
    source, data_dir
):
    proc = start(data_dir, SYNC, freeze_at="validate")
    kill_when_frozen(proc, "validate")
    assert running("sync") and running("validate")  # stuck until something recovers it

    call_command(*SYNC)

    assert_abandoned("validate", parent="sync")
    statuses = warehouse_run_statuses()
    assert ("validate", "running") not in statuses and ("validate", "failed") in statuses
    assert statuses.count(("sync", "success")) == 1 and ("sync", "failed") in statuses


def test_a_sync_killed_in_the_middle_of_dbt_is_recovered_and_reruns(source, data_dir):
    proc = start(data_dir, SYNC)
    wait_until(proc, lambda: running("transform") and dbt_children(proc.pid), "dbt build")
    proc.kill()  # dbt is building now
    proc.wait()

    cli = subprocess.run(
        [sys.executable, "manage.py", "recover_runs"],
        cwd=ROOT, env=worker_env(data_dir), capture_output=True, text=True,
    )  # fmt: skip

    assert cli.returncode == 0, cli.stderr
    assert "was abandoned" in cli.stdout and "warehouse run row(s) marked failed" in cli.stdout
    assert_abandoned("transform", parent="sync")
    assert ("transform", "running") not in warehouse_run_statuses()
    call_command(*SYNC)
    assert PipelineRun.objects.filter(stage="transform", status="success").exists()


def test_publish_and_report_killed_midway_are_recovered_and_rerun(source, data_dir):
    run_sync("IONS", 2026, MonthRange(1, 3))

    for args, stage in ((PUBLISH, "publish"), (REPORT, "report")):
        kill_when_frozen(start(data_dir, args, freeze_at=stage), stage)
        call_command("recover_runs")
        assert_abandoned(stage)
        assert (stage, "running") not in warehouse_run_statuses()
        call_command(*args)
        assert PipelineRun.objects.filter(stage=stage, status="success").exists()


def test_a_live_run_of_this_process_is_never_taken_for_abandoned(source, data_dir):
    run_sync("IONS", 2026, MonthRange(1, 1))
    run = PipelineRun.objects.get(stage="sync")
    PipelineRun.objects.filter(pk=run.pk).update(status="running")

    call_command("recover_runs")

    assert PipelineRun.objects.get(pk=run.pk).status == "running"


def test_a_recycled_pid_does_not_keep_a_dead_run_alive(source, data_dir):
    run_sync("IONS", 2026, MonthRange(1, 1))
    run = PipelineRun.objects.get(stage="sync")
    process = {**run.options["process"], "start": run.options["process"]["start"] - 1}
    PipelineRun.objects.filter(pk=run.pk).update(status="running", options={"process": process})

    call_command("recover_runs")

    assert PipelineRun.objects.get(pk=run.pk).status == "failed"


def test_a_run_of_another_host_is_left_to_that_host(source, data_dir):
    run_sync("IONS", 2026, MonthRange(1, 1))
    run = PipelineRun.objects.get(stage="sync")
    process = {"host": "elsewhere", "pid": 1, "start": 0}
    PipelineRun.objects.filter(pk=run.pk).update(status="running", options={"process": process})

    call_command("recover_runs")

    assert PipelineRun.objects.get(pk=run.pk).status == "running"


def test_recover_runs_fails_queued_runs_only_when_told_and_old_enough(entity, data_dir):
    from pipeline_ops.pipeline.runs.launch import Work, create_queued_run

    queued = create_queued_run(Work("sync", "IONS", 2026))
    call_command("recover_runs")
    call_command("recover_runs", "--queued-older-than", "5")
    assert PipelineRun.objects.get(pk=queued.pk).status == "queued"

    PipelineRun.objects.filter(pk=queued.pk).update(created=queued.created.replace(year=2020))
    call_command("recover_runs", "--queued-older-than", "5")

    lost = PipelineRun.objects.get(pk=queued.pk)
    assert lost.status == "failed" and "task was lost" in lost.error_message


def test_a_starting_worker_fails_the_run_its_killed_predecessor_left_running(entity, data_dir):
    gone = subprocess.Popen(["true"])
    gone.wait()
    process = {"process": identity(gone.pid)}
    run = PipelineRun.objects.create(
        entity=entity, year=2026, stage="sync", status="running", pid=gone.pid, options=process
    )

    with running_worker(data_dir):
        deadline = time.monotonic() + 60
        while PipelineRun.objects.get(pk=run.pk).status == "running":
            assert time.monotonic() < deadline, (data_dir / "qcluster.log").read_text()
            time.sleep(0.2)

    assert "Abandoned" in PipelineRun.objects.get(pk=run.pk).error_message
