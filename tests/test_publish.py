from __future__ import annotations

import os
import signal
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from pipeline_ops import opsdb
from pipeline_ops.models import DimensionCache, Entity, MonthState, PipelineRun
from pipeline_ops.pipeline import blocks
from pipeline_ops.pipeline.errors import PipelineError
from pipeline_ops.pipeline.period import MonthRange
from pipeline_ops.pipeline.runs.locking import pipeline_lock
from pipeline_ops.pipeline.runs.warehouse import connect
from pipeline_ops.pipeline.schema import ensure_raw_tables
from pipeline_ops.pipeline.stages import publish
from pipeline_ops.pipeline.stages.publish import run_publish
from tests.ops_fixtures import (
    fake_warehouse,
    make_order,
    manage_command,
    month_checksum,
    month_orders,
    ops_checksum,
    ops_rows,
    record_warehouse_run,
    subprocess_env,
)
from tests.polling import wait_until

pytestmark = pytest.mark.django_db


def publish_months(spec: str, **kw) -> PipelineRun:
    start, _, end = spec.partition("-")
    return run_publish("IONS", 2026, MonthRange(int(start), int(end or start)), **kw)


def in_warehouse(sql: str, args: list | None = None) -> None:
    with pipeline_lock(), connect() as con:
        con.execute(sql, args or [])


def test_publishing_writes_one_order_per_invoice_and_one_payment_per_paid_order(
    warehouse, built_warehouse
):
    run = publish_months("1-3")
    published = ops_rows("SELECT invoice, paid, net_amount, status FROM commerce_order")
    expected = [
        (o["invoice"], o["paid"], o["price"] - o["discount"], o["status"])
        for o in built_warehouse.orders
    ]
    assert sorted(published) == sorted(expected)
    payments = ops_rows(
        "SELECT o.invoice, f.amount FROM finance_transaction f"
        " JOIN commerce_order o ON o.id = f.order_id"
    )
    paid = [(o["invoice"], o["paid"]) for o in built_warehouse.orders if o["paid"] > 0]
    assert sorted(payments) == sorted(paid)
    assert run.status == "success" and run.row_count == len(expected)


def test_every_reference_points_at_an_existing_row(warehouse, built_warehouse):
    publish_months("1-3")
    with opsdb.connect() as client:
        assert opsdb.query(client, "PRAGMA foreign_key_check") == []
        linked = opsdb.query(
            client,
            "SELECT o.invoice, p.name, g.code, z.name FROM commerce_order o"
            " JOIN db_person p ON p.id = o.person_id JOIN db_program g ON g.id = o.program_id"
            " JOIN db_account a ON a.id = o.account_id AND a.person_id = o.person_id"
            " JOIN db_organization z ON z.id = a.organization_id",
        )
    expected = [
        (o["invoice"], o["student_name"], o["program_code"], o["organization"])
        for o in built_warehouse.orders
    ]
    assert sorted(linked) == sorted(expected)


def test_publishing_the_same_month_twice_leaves_identical_contents(warehouse):
    publish_months("1-3")
    first = ops_checksum()
    publish_months("1-3")
    publish_months("2")
    assert ops_checksum() == first


def test_publishing_february_leaves_january_untouched(warehouse):
    publish_months("1")
    # A mark only a republish of January would erase.
    with opsdb.connect() as client:
        client.execute("UPDATE commerce_order SET payment_method = 'marked' WHERE month = 1")
    january = month_checksum(2026, 1)
    publish_months("2")
    assert month_checksum(2026, 1) == january
    assert ops_rows("SELECT DISTINCT month FROM commerce_order ORDER BY month") == [(1,), (2,)]


def test_a_republished_month_drops_orders_that_left_the_workbook(entity):
    fake_warehouse(month_orders(3, 10))
    publish_months("3")
    fake_warehouse(month_orders(3, 4))
    publish_months("3")
    assert ops_rows("SELECT count(*) FROM commerce_order") == [(4,)]
    assert ops_rows("SELECT count(*) FROM finance_transaction") == [(4,)]


def test_an_invoice_moved_to_another_month_is_published_once(entity):
    moved = make_order(1, 7)
    fake_warehouse([moved, make_order(1, 8)])
    publish_months("1")
    fake_warehouse([{**moved, "month": 2}, make_order(1, 8)])
    publish_months("2")
    assert ops_rows("SELECT month FROM commerce_order WHERE invoice = ?", [moved["invoice"]]) == [
        (2,)
    ]


def test_three_spellings_of_one_name_become_one_person(warehouse, built_warehouse):
    budi = [o["invoice"] for o in built_warehouse.orders if o["student_name"] == "Budi Santoso"]
    assert len(budi) >= 3
    for invoice, spelling in zip(
        budi, ["Budi  Santoso", "budi santoso", "BUDI SANTOSO"], strict=False
    ):
        in_warehouse(
            "UPDATE raw_orders SET student_name = ?, student_key = lower(?) WHERE invoice = ?",
            [spelling, spelling, invoice],
        )
    publish_months("1-3")
    marks = ", ".join("?" * len(budi))
    people = ops_rows(
        f"SELECT DISTINCT person_id FROM commerce_order WHERE invoice IN ({marks})", budi
    )
    assert len(people) == 1
    names = {o["student_name"].casefold() for o in built_warehouse.orders}
    assert ops_rows("SELECT count(*) FROM db_person") == [(len(names),)]


def test_an_account_is_one_per_person_and_organization(entity):
    orders = [
        make_order(1, 1, name="Ani", org="SMA 1"),
        make_order(1, 2, name="ani", org="sma  1"),
        make_order(1, 3, name="Ani", org="SMA 2"),
        make_order(1, 4, name="Ani", org=None),
        make_order(1, 5, name="ANI", org=""),
    ]
    fake_warehouse(orders)
    publish_months("1")
    accounts = ops_rows("SELECT count(*), count(DISTINCT person_id) FROM db_account")
    assert accounts == [(3, 1)]
    assert ops_rows("SELECT count(*) FROM db_organization") == [(2,)]


def test_dimension_ids_are_mirrored_into_the_django_cache(entity):
    fake_warehouse([make_order(1, 1, name="Citra Dewi", org="SMP 4")])
    publish_months("1")
    person_id = ops_rows("SELECT person_id FROM commerce_order")[0][0]
    cached = DimensionCache.objects.get(entity=entity, kind="person", key="citra dewi")
    assert (cached.ops_id, cached.label) == (person_id, "Citra Dewi")
    kinds = set(DimensionCache.objects.values_list("kind", flat=True))
    assert kinds == {"entity", "program", "organization", "person", "account"}


def test_a_failure_in_the_last_statement_leaves_every_table_as_before(warehouse, monkeypatch):
    publish_months("1")
    before = ops_checksum()
    in_warehouse("UPDATE raw_orders SET student_name = 'Someone New', paid = 1 WHERE month = 1")
    real = publish.build_statements

    def with_bad_last_statement(*args, **kwargs):
        plan = real(*args, **kwargs)
        # Violates the primary key: the batch fails after every other statement ran.
        plan.statements.append(
            ("INSERT INTO commerce_order SELECT * FROM commerce_order LIMIT 1", [])
        )
        return plan

    monkeypatch.setattr(publish, "build_statements", with_bad_last_statement)
    with pytest.raises(PipelineError, match="nothing was changed"):
        publish_months("1-3")
    assert ops_checksum() == before
    assert PipelineRun.objects.filter(stage="publish").first().status == "failed"
    monkeypatch.undo()
    publish_months("1-3")
    assert ops_checksum() != before


def block(month: int, first: str = "FEB!D2 blank_student: Nama Siswa is blank") -> None:
    """What a validation that blocked `month` writes: the warehouse's block (for dbt) and
    the month's state (what publish reads)."""
    with pipeline_lock(), connect() as con:
        ensure_raw_tables(con)
        blocks.store(con, "IONS", 2026, [month], {month: (1, first.split()[0], first)})
    MonthState.objects.update_or_create(
        entity=Entity.objects.get(code="IONS"), year=2026, month=month,
        defaults={"blocked_errors": 1, "blocked_cell": first.split()[0], "blocked_issue": first},
    )  # fmt: skip


def test_it_refuses_a_month_validation_blocked_even_with_force(warehouse, data_dir):
    block(2)
    for force in (False, True):
        with pytest.raises(PipelineError, match=r"validation blocks IONS 2026 Feb .*FEB!D2"):
            publish_months("1-2", force=force)
    assert not (data_dir / "ops.db").exists()
    assert {r.status for r in PipelineRun.objects.filter(stage="publish")} == {"failed"}


def test_it_refuses_a_month_loaded_after_the_last_transform(warehouse):
    record_warehouse_run("IONS", 2026, "load", month=1)
    with pytest.raises(PipelineError, match="transform is older than its latest load"):
        publish_months("1")
    record_warehouse_run("IONS", 2026, "transform")
    publish_months("1")


def test_it_refuses_a_month_without_orders_rather_than_wipe_it(warehouse):
    with pytest.raises(PipelineError, match="Month 4: nothing has been loaded"):
        publish_months("3-4")


def test_force_publishes_anyway_and_warns(warehouse, built_warehouse):
    record_warehouse_run("IONS", 2026, "load", month=1)
    warnings: list[str] = []
    run = publish_months("1", force=True, warn=warnings.append)
    assert run.status == "success"
    assert any("--force" in w and "transform is older" in w for w in warnings)
    january = [o for o in built_warehouse.orders if o["month"] == 1]
    assert ops_rows("SELECT count(*) FROM commerce_order") == [(len(january),)]


def test_without_a_transformed_warehouse_it_says_to_sync_first(entity):
    with pytest.raises(PipelineError, match="run `sync`"):
        publish_months("1", force=True)


def test_the_command_publishes_and_reports_counts(entity):
    fake_warehouse(month_orders(1, 6) + month_orders(2, 6))
    out, err = StringIO(), StringIO()
    call_command(
        "publish", "--entity", "ions", "--year", "2026", "--month", "1-2", stdout=out, stderr=err
    )
    assert "12 orders" in out.getvalue()
    assert ops_rows("SELECT count(*) FROM commerce_order") == [(12,)]


def test_the_command_refusal_is_exit_1_and_force_warns_on_stderr(entity):
    fake_warehouse(month_orders(1, 2))
    record_warehouse_run("IONS", 2026, "load", month=1)
    with pytest.raises(CommandError, match="transform is older") as caught:
        call_command("publish", "--entity", "IONS", "--year", "2026", "--month", "1")
    assert caught.value.returncode == 1
    err = StringIO()
    call_command("publish", "--entity", "IONS", "--year", "2026", "--month", "1", "--force",
                 stdout=StringIO(), stderr=err)  # fmt: skip
    assert "Warning: --force" in err.getvalue()


def test_the_command_requires_a_month(entity):
    with pytest.raises(CommandError, match="--month") as caught:
        call_command("publish", "--entity", "IONS", "--year", "2026")
    assert caught.value.returncode == 2


@pytest.mark.django_db(transaction=True)
def test_the_command_in_a_subprocess_exits_0_then_1(entity, data_dir):
    fake_warehouse(month_orders(1, 3))
    cmd = manage_command("publish", "--entity", "IONS", "--year", "2026", "--month", "1")
    env = subprocess_env(data_dir)
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stderr) == (0, ""), done.stderr
    assert "3 orders" in done.stdout
    record_warehouse_run("IONS", 2026, "load", month=1)
    refused = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert refused.returncode == 1
    assert "transform is older than its latest load" in refused.stderr
    assert "Traceback" not in refused.stderr


def _restore(snapshot: dict[str, bytes], data_dir) -> None:
    for path in data_dir.glob("ops.db*"):
        path.unlink()
    for name, content in snapshot.items():
        (data_dir / name).write_bytes(content)


def new_publish_run(proc: subprocess.Popen, known: set[int]) -> PipelineRun | None:
    """The publish run `proc` records, once it exists."""
    ended = proc.poll() is not None  # first: an ended process has recorded all it will
    run = PipelineRun.objects.filter(stage="publish").exclude(pk__in=known).first()
    assert run is not None or not ended, "the publish ended without recording a run"
    return run


def ops_db_shm_locks(pid: int, data_dir) -> set[tuple[str, int]]:
    """The byte locks `pid` holds on the ops DB's `ops.db-shm` (SQLite's WAL index), as
    /proc/locks lists them: `3: POSIX  ADVISORY  WRITE <pid> <major>:<minor>:<inode> 120 120`.
    Looking takes no lock, so it cannot slow or fail the publish it watches."""
    try:
        shm = (data_dir / "ops.db-shm").stat()
    except FileNotFoundError:
        return set()
    file = f"{os.major(shm.st_dev):02x}:{os.minor(shm.st_dev):02x}:{shm.st_ino}"
    held = set()
    for line in Path("/proc/locks").read_text().splitlines():
        fields = line.split()  # a blocked request reads `3: -> POSIX …`: not held
        mine = fields[1:3] == ["POSIX", "ADVISORY"] and fields[4:6] == [str(pid), file]
        if mine and fields[6] == fields[7]:  # one byte: SQLite's locks are bytes
            held.add((fields[3], int(fields[6])))
    return held


def in_write_transaction(pid: int, data_dir) -> bool:
    """`pid` is inside a write transaction of the ops DB: SQLite holds WAL_WRITE_LOCK (byte
    120) from a transaction's first write until its commit, within a read transaction (a
    shared lock on a read mark, bytes 123-127). Opening the file may take byte 120 too, to
    rebuild the WAL index, but with the read marks locked exclusively, never shared."""
    locks = ops_db_shm_locks(pid, data_dir)
    return ("WRITE", 120) in locks and any(("READ", mark) in locks for mark in range(123, 128))


def kill_at(moment: str, proc: subprocess.Popen, known: set[int], data_dir) -> PipelineRun:
    """Kill the publish `proc` at an observable moment: as soon as its run is recorded
    ("recorded", before the ops DB is written), once its batch transaction is open
    ("writing"), or once that transaction has ended ("written": committed, usually before
    the run records success). Returns its run."""

    def writing() -> bool:
        assert proc.poll() is None, "the publish ended before its ops DB write was seen"
        return in_write_transaction(proc.pid, data_dir)

    def written() -> bool:
        return proc.poll() is not None or ("WRITE", 120) not in ops_db_shm_locks(proc.pid, data_dir)

    try:
        run = wait_until(lambda: new_publish_run(proc, known), 60, "the publish run")
        if moment in ("writing", "written"):
            wait_until(writing, 60, "the publish's ops DB transaction", interval=0.001)
        if moment == "written":
            wait_until(written, 60, "the publish's ops DB transaction to end", interval=0.001)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    return run


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/locks")
@pytest.mark.django_db(transaction=True)
def test_a_publish_killed_before_during_or_after_its_batch_leaves_each_month_old_or_new(
    entity, data_dir
):
    fake_warehouse(month_orders(1, 4000) + month_orders(2, 4000))
    publish_months("1-2")
    old = {m: month_checksum(2026, m) for m in (1, 2)}
    snapshot = {p.name: p.read_bytes() for p in data_dir.glob("ops.db*")}
    fake_warehouse(month_orders(1, 3500, paid=7, name="Baru") + month_orders(2, 4200, paid=9))
    cmd = manage_command("publish", "--entity", "IONS", "--year", "2026", "--month", "1-2")
    env = subprocess_env(data_dir)
    subprocess.run(cmd, env=env, check=True, capture_output=True, timeout=120)
    new = {m: month_checksum(2026, m) for m in (1, 2)}
    assert new[1] != old[1] and new[2] != old[2]
    moments = ("recorded", "writing", "written") * 2
    seen, mid_publish = [], 0
    for moment in moments:
        _restore(snapshot, data_dir)
        known = set(PipelineRun.objects.values_list("pk", flat=True))
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        run = kill_at(moment, proc, known, data_dir)
        # Still `running` with its process gone: the kill landed while publish ran.
        mid_publish += PipelineRun.objects.get(pk=run.pk).status == "running"
        state = {m: month_checksum(2026, m) for m in (1, 2)}
        assert state[1] in (old[1], new[1]) and state[2] in (old[2], new[2]), moment
        # One batch: both months change together.
        assert (state[1] == new[1]) == (state[2] == new[2]), moment
        if moment == "written":  # its transaction ended before the kill: committed, kept
            assert state == new, "a committed publish was lost to a kill"
        seen.append(state[1] == new[1])
    assert mid_publish >= 1, "no kill landed while the publish run was running"
    print(f"kills mid-publish: {mid_publish}/{len(moments)};"
          f" killed runs that had committed: {sum(seen)}/{len(moments)}")  # fmt: skip
