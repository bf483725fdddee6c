"""A load that fills the warehouse's disk says so, and leaves the warehouse as it was.

The disk is a real 'tiny' tmpfs mounted for the test (the sandbox runs as root); where
mounting is not permitted the test is skipped, saying why. DuckDB reports the full disk
at COMMIT and aborts the transaction itself; the failure must still read "no space left
on device", not DuckDB's follow-up "cannot rollback - no transaction is active".
"""

from __future__ import annotations

import datetime as dt
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import duckdb
import pytest

from tests import workbooks
from tests.security.helpers import last_run
from tests.warehouse_fixtures import BuiltWarehouse, manage, manage_command

HEADROOM = 1024 * 1024  # free space left on the tiny disk: far less than the load needs
BIG_ORDERS = 20_000  # random text, so DuckDB cannot compress it below the headroom


@pytest.fixture
def chain(built_warehouse: BuiltWarehouse, tmp_path: Path) -> Path:
    """A private copy of the sync-built data dir (Django DB, warehouse, sources)."""
    target = tmp_path / "chain"
    shutil.copytree(built_warehouse.data_dir, target)
    return target


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    mount_point = tmp_path / "tiny"
    mount_point.mkdir()
    yield mount_point
    subprocess.run(["umount", "--lazy", str(mount_point)], capture_output=True, check=False)


def mount_tmpfs(mount_point: Path, size: int) -> None:
    command = ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount_point)]
    try:
        proc = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as exc:
        pytest.skip(f"no mount(8) to make a tiny file system: {exc}")
    if proc.returncode != 0:
        pytest.skip(f"mounting a tiny tmpfs needs root here: {proc.stderr.strip()}")


def big_workbook(path: Path, count: int = BIG_ORDERS) -> None:
    orders = [
        workbooks.order(
            date=dt.datetime(2026, 1, 1 + n % 28),
            invoice=f"BIG-{n:06d}-{secrets.token_hex(12)}",
            student=f"Siswa {secrets.token_hex(16)}",
            organization=f"Org {secrets.token_hex(8)}",
        )
        for n in range(count)
    ]
    workbooks.build_workbook(path, months={1: orders})


def warehouse_state(path: Path) -> dict[str, list[tuple]]:
    with closing(duckdb.connect(str(path), read_only=True)) as con:
        return {
            table: con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
            for table in ("raw_orders", "raw_programs", "raw_targets", "_raw_columns")
        }


def test_a_load_that_fills_the_disk_says_no_space_left_and_keeps_the_warehouse(chain, tiny_disk):
    big_workbook(chain / "sources" / "IONS" / "IONS-2026.xlsx")
    # On the roomy disk; the copied data dir's own Django DB, read back by last_run().
    manage(chain, "extract", "--entity", "IONS", "--year", "2026", private_db=True)
    mount_tmpfs(tiny_disk, (chain / "warehouse.duckdb").stat().st_size + HEADROOM)
    warehouse = tiny_disk / "warehouse.duckdb"
    shutil.copyfile(chain / "warehouse.duckdb", warehouse)
    before = warehouse_state(warehouse)
    command = manage_command(chain, "load", "--entity", "IONS", "--year", "2026", private_db=True)
    command["env"]["WAREHOUSE_PATH"] = str(warehouse)
    proc = subprocess.run(**command, capture_output=True, timeout=300, check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "load IONS 2026: no space left on device writing the warehouse" in lines[0]
    assert str(warehouse) in lines[0] and "cannot rollback" not in lines[0]
    stage, status, message = last_run(chain)
    assert (stage, status) == ("load", "failed") and message in lines[0]
    # The whole-year load deleted every 2026 month before it ran out of space: all back.
    assert warehouse_state(warehouse) == before
    assert len(before["raw_orders"]) == 30


@pytest.mark.django_db
def test_an_accept_into_a_full_disk_says_so_and_leaves_the_old_workbook_current(
    entity, tiny_disk, tmp_path
):
    """The version goes back to previewed with one line, never stays `accepting`."""
    from django.core.files import File

    from pipeline_ops.pipeline.errors import PipelineError
    from pipeline_ops.pipeline.intake.decide import accept
    from pipeline_ops.pipeline.intake.versions import Status, claim, run_preview, store

    mount_tmpfs(tiny_disk, 256 * 1024)
    entity.source_dir = str(tiny_disk)
    entity.save()
    current = tiny_disk / "IONS-2026.xlsx"
    workbooks.build_workbook(current, months={1: [workbooks.order()]})
    before = current.read_bytes()
    offered = tmp_path / "big.xlsx"
    big_workbook(offered, 5_000)  # ≈ 400 KB of random text: more than the disk has left
    with open(offered, "rb") as handle:
        version = run_preview(store(entity, 2026, File(handle), offered.name).pk)
    assert claim(version, Status.PREVIEWED, Status.ACCEPTING)

    with pytest.raises(PipelineError, match="the disk is full"):
        accept(version.pk, queue_sync=False)

    version.refresh_from_db()
    assert version.status == "previewed" and version.worker == {}
    assert version.error.startswith("the disk is full") and "\n" not in version.error
    assert current.read_bytes() == before
