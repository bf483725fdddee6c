"""Soak: a 2-worker django-q2 cluster works off queued chains over 3 entities at once.

Each queued run must run exactly once, never overlapping another, with no lock error, and
leave the warehouse and the ops DB exactly as the same work run serially (in-process, in a
second data dir, while the cluster runs). The broker is the ORM one, or Redis when
Q_REDIS_URL is set (CI runs the suite in both configurations).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from itertools import pairwise
from pathlib import Path

import pytest
from django_q.models import Task

from pipeline_ops import opsdb
from pipeline_ops.models import Entity, PipelineRun
from pipeline_ops.pipeline.paths import source_workbook
from pipeline_ops.pipeline.period import MonthRange
from pipeline_ops.pipeline.runs.launch import Work, enqueue
from pipeline_ops.pipeline.runs.locking import pipeline_lock
from pipeline_ops.pipeline.runs.warehouse import connect
from tests.workbooks import standard_workbook
from tests.worker import ROOT, running_worker, worker_env

pytestmark = pytest.mark.django_db(transaction=True)

ENTITIES = ("IONS", "ALFA", "BETA")
CHAIN = ("sync", "publish", "report")
# Three entities at once, monthly and quarterly: what the 2-worker claim and the lock must
# keep apart. The 20-chain version (`make soak`) repeats it at length.
SHORT = [
    Work("chain", "IONS", 2026, MonthRange(1, 1), then=CHAIN),
    Work("chain", "ALFA", 2026, MonthRange(1, 3), "quarterly", CHAIN),
    Work("chain", "BETA", 2026, MonthRange(1, 3), "quarterly", CHAIN),
]
LONG = [
    Work("chain", entity, year, MonthRange(month, month), then=CHAIN)
    for year in (2025, 2026)
    for month in (1, 2, 3)
    for entity in ENTITIES
] + [Work("chain", e, 2026, MonthRange(1, 3), "quarterly", CHAIN) for e in ("IONS", "BETA")]
# Ops DB rows by natural keys: ids depend on which entity published first.
OPS_QUERIES = {
    "orders": """SELECT e.code, o.year, o.month, o.invoice, o.order_date, p.name_key,
        g.name_key, r.code, o.unit, o.price, o.discount, o.net_amount, o.paid,
        o.payment_method, o.status, o.is_cancelled
        FROM commerce_order o JOIN db_entity e ON e.id = o.entity_id
        JOIN db_account a ON a.id = o.account_id JOIN db_person p ON p.id = a.person_id
        LEFT JOIN db_organization g ON g.id = a.organization_id
        LEFT JOIN db_program r ON r.id = o.program_id""",
    "payments": """SELECT e.code, t.year, t.month, o.invoice, t.paid_on, t.amount, t.method
        FROM finance_transaction t JOIN commerce_order o ON o.id = t.order_id
        JOIN db_entity e ON e.id = t.entity_id""",
    "programs": """SELECT e.code, r.code, r.name, r.unit, r.price, r.target_students
        FROM db_program r JOIN db_entity e ON e.id = r.entity_id""",
    "organizations": """SELECT e.code, g.name_key, g.name, g.city, g.kind
        FROM db_organization g JOIN db_entity e ON e.id = g.entity_id""",
    "people": """SELECT e.code, p.name_key, p.name
        FROM db_person p JOIN db_entity e ON e.id = p.entity_id""",
}
SERIAL = """
import json, os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django
django.setup()
from django.core.management import call_command
from pipeline_ops.models import Entity
from pipeline_ops.pipeline.period import MonthRange
from pipeline_ops.pipeline.runs.launch import Work, create_queued_run, execute
call_command("migrate", verbosity=0)
for entity, year, start, end, report_type in json.loads(sys.argv[1]):
    Entity.objects.get_or_create(code=entity, defaults={"name": entity})
    work = Work("chain", entity, year, MonthRange(start, end), report_type,
                ("sync", "publish", "report"))
    print(execute(create_queued_run(work, trigger="serial").pk), flush=True)
"""
WAREHOUSE_PREFIXES = ("raw_", "stg_", "int_", "mart_", "_validation_issues", "_raw_columns")


def prepare(data_dir: Path, works: list[Work], serial_dir: Path) -> None:
    for code in ENTITIES:
        Entity.objects.get_or_create(code=code, defaults={"name": code})
    for entity, year in {(w.entity, w.year) for w in works}:
        standard_workbook(source_workbook(entity, year), entity, year)
    # The very same files, so source hashes match too.
    shutil.copytree(data_dir / "sources", serial_dir / "sources")


def start_serial(works: list[Work], serial_dir: Path) -> subprocess.Popen:
    """The reference: the same work, one run after another, in its own data dir and Django
    DB (run records are unique per warehouse), while the cluster works."""
    env = {k: v for k, v in worker_env(serial_dir).items() if k not in ("DATABASE_URL",)}
    spec = [[w.entity, w.year, w.months.start, w.months.end, w.report_type] for w in works]
    return subprocess.Popen(
        [sys.executable, "-c", SERIAL, json.dumps(spec)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def finish_serial(proc: subprocess.Popen, works: list[Work]) -> None:
    output, _ = proc.communicate(timeout=900)
    assert proc.returncode == 0, output
    assert output.count(": success") == len(works), output


def wait_all(runs: list[PipelineRun], log: Path, timeout: float) -> list[PipelineRun]:
    """Waits for every run to finish; `timeout` only stops a hung cluster, it is no speed
    check (how fast the work goes is `make bench`'s business)."""
    deadline = time.monotonic() + timeout
    pks = [r.pk for r in runs]
    while PipelineRun.objects.filter(pk__in=pks, status__in=("queued", "running")).exists():
        assert time.monotonic() < deadline, f"runs unfinished:\n{log.read_text()[-3000:]}"
        time.sleep(0.5)
    return list(PipelineRun.objects.filter(pk__in=pks).order_by("started_at"))


def contents(settings, where: Path) -> dict[str, list]:
    """Warehouse tables (minus run ids) and ops DB rows, sorted, for one data dir."""
    main_dir, settings.PIPELINE_DATA_DIR = settings.PIPELINE_DATA_DIR, where
    try:
        found: dict[str, list] = {}
        with pipeline_lock(timeout=5), connect(read_only=True) as con:
            tables = con.execute(
                "SELECT table_name, list(column_name ORDER BY column_index) FROM duckdb_columns()"
                " WHERE NOT internal GROUP BY 1"
            ).fetchall()
            for table, columns in tables:
                if table.startswith(WAREHOUSE_PREFIXES):
                    kept = ", ".join(f'"{c}"' for c in columns if c != "run_id")
                    sql = f'SELECT {kept} FROM "{table}" ORDER BY ALL'
                    found[table] = con.execute(sql).fetchall()
            found["_pipeline_runs"] = con.execute(
                "SELECT entity, year, month, month_end, stage, status, count(*),"
                # transform counts every entity's mart rows: depends on who ran before
                " CASE WHEN stage <> 'transform' THEN row_count END"
                " FROM _pipeline_runs GROUP BY ALL ORDER BY ALL"
            ).fetchall()
        with opsdb.connect() as client:
            for name, sql in OPS_QUERIES.items():
                found[f"ops.{name}"] = sorted(opsdb.query(client, sql), key=repr)
        return found
    finally:
        settings.PIPELINE_DATA_DIR = main_dir


def assert_each_ran_once_and_alone(runs: list[PipelineRun]) -> None:
    for run in runs:
        assert run.status == "success", f"run {run.pk}: {run.error_message}"
        children = list(run.children.order_by("id").values_list("stage", "status"))
        assert children == [(stage, "success") for stage in CHAIN], run.pk
    for before, after in pairwise(runs):
        assert before.completed_at <= after.started_at, (before.pk, after.pk)  # the lock holds
    tasks = Task.objects.filter(func="pipeline_ops.tasks.execute_run")
    assert sorted(t.args[0] for t in tasks) == sorted(r.pk for r in runs)
    assert all(t.success and t.result.endswith("success") for t in tasks)


def soak(works: list[Work], data_dir: Path, settings, timeout: float) -> None:
    serial_dir = data_dir.parent / "serial"
    prepare(data_dir, works, serial_dir)
    queued = [enqueue(work, trigger="soak") for work in works]
    serial = start_serial(works, serial_dir)
    with running_worker(data_dir, workers=2):
        runs = wait_all(queued, data_dir / "qcluster.log", timeout)
    finish_serial(serial, works)

    log = (data_dir / "qcluster.log").read_text()
    assert "pipeline lock" not in log, log[-3000:]
    assert_each_ran_once_and_alone(runs)
    expected, got = contents(settings, serial_dir), contents(settings, data_dir)
    assert got.keys() == expected.keys()
    for name in expected:
        assert got[name] == expected[name], name
    published = {(w.entity, w.year, m) for w in works for m in w.months.months}
    assert len(got["ops.orders"]) == 10 * len(published)  # standard workbook: 10 a month


def test_a_two_worker_cluster_runs_queued_chains_once_each_like_a_serial_run(
    entity, data_dir, settings
):
    soak(SHORT, data_dir, settings, timeout=900)


@pytest.mark.slow
def test_soak_twenty_queued_chains_over_three_entities(entity, data_dir, settings):
    soak(LONG, data_dir, settings, timeout=900)
