"""Ops DB fixtures and helpers (owned by the publish work).

`fake_warehouse()` writes `mart_orders` / `mart_enrollments` with the documented columns
(docs/warehouse.md) and the run records publish checks, for tests that need shapes the
shared sync-built warehouse does not have (many rows, edited months).
"""

from __future__ import annotations

import hashlib
import os
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest

from pipeline_ops import opsdb
from pipeline_ops.models import Entity, MonthState
from pipeline_ops.pipeline.runs.locking import pipeline_lock
from pipeline_ops.pipeline.runs.records import ensure_runs_table
from pipeline_ops.pipeline.runs.warehouse import connect

MART_ORDERS_DDL = """
CREATE OR REPLACE TABLE mart_orders (
    entity VARCHAR, year INTEGER, month INTEGER, sheet VARCHAR, source_row INTEGER,
    source_file_hash VARCHAR, order_date DATE, invoice VARCHAR, student_name VARCHAR,
    student_key VARCHAR, organization VARCHAR, program_code VARCHAR, unit VARCHAR,
    price BIGINT, discount BIGINT, paid BIGINT, payment_method VARCHAR, status VARCHAR,
    program_name VARCHAR, net_amount BIGINT, is_cancelled BOOLEAN
);
CREATE OR REPLACE TABLE mart_enrollments AS
    SELECT entity, year, month, invoice, order_date, student_name, student_key, organization,
           program_code, program_name, unit, net_amount, paid
    FROM mart_orders WHERE NOT is_cancelled;
"""
ROOT = Path(__file__).resolve().parent.parent
PROGRAMS = {"ENG-A": ("English A", "TM"), "MTH-B": ("Math B", "DR"), "SCI-C": ("Science", "TM")}


def make_order(
    month: int,
    n: int,
    *,
    name: str | None = None,
    org: str | None = "SMA 1 Bandung",
    paid: int | None = None,
    status: str = "CICIL",
    year: int = 2026,
    code: str | None = None,
) -> dict:
    code = code or list(PROGRAMS)[n % len(PROGRAMS)]
    price = 1_000_000 + 50_000 * (n % 7)
    discount = 100_000 if n % 5 == 0 else 0
    name = name if name is not None else f"Siswa {n % 997}"
    return {
        "entity": "IONS", "year": year, "month": month, "sheet": f"M{month}",
        "source_row": n + 5, "source_file_hash": "x", "order_date": date(year, month, 1 + n % 28),
        "invoice": f"INV-{year}-{month:02d}-{n:05d}", "student_name": " ".join(name.split()),
        "student_key": " ".join(name.split()).casefold(), "organization": org,
        "program_code": code, "unit": PROGRAMS.get(code, ("", "TM"))[1], "price": price,
        "discount": discount, "paid": (price - discount) // 2 if paid is None else paid,
        "payment_method": "Transfer", "status": status,
        "program_name": PROGRAMS.get(code, ("",))[0],
        "net_amount": price - discount, "is_cancelled": status == "BATAL",
    }  # fmt: skip


def month_orders(month: int, count: int, year: int = 2026, **kw) -> list[dict]:
    return [make_order(month, n, year=year, **kw) for n in range(count)]


def fake_warehouse(orders: list[dict], *, runs: bool = True, entity: str = "IONS") -> None:
    """Replace mart_orders/mart_enrollments; with `runs`, record load+validate+transform."""
    with pipeline_lock(), connect() as con:
        con.execute(MART_ORDERS_DDL.split(";")[0])
        if orders:
            # Arrow, not executemany: DuckDB inserts parameter rows one at a time.
            con.register("new_orders", pa.Table.from_pylist(orders))
            columns = ", ".join(orders[0])
            con.execute(f"INSERT INTO mart_orders ({columns}) SELECT {columns} FROM new_orders")
            con.unregister("new_orders")
        con.execute(MART_ORDERS_DDL.split(";")[1])
        if runs:
            for year, month in sorted({(o["year"], o["month"]) for o in orders}):
                record_run(con, entity, year, "load", month=month)
                record_run(con, entity, year, "validate", month=month)
            for year in sorted({o["year"] for o in orders}):
                record_run(con, entity, year, "transform")


_clock = [datetime(2026, 1, 1)]


def record_run(con, entity: str, year: int, stage: str, *, month=None, status="success") -> None:
    """A finished run record, each one later than the last, and what it would have written
    into the month-state record (what publish and report read)."""
    ensure_runs_table(con)
    _clock[0] += timedelta(seconds=1)
    con.execute(
        "INSERT INTO _pipeline_runs (entity, year, month, stage, started_at, completed_at,"
        " status) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [entity, year, month, stage, _clock[0], _clock[0], status],
    )
    if status == "success":
        _month_state(entity, year, stage, month, _clock[0].replace(tzinfo=UTC))


def _month_state(entity: str, year: int, stage: str, month: int | None, at: datetime) -> None:
    owner = Entity.objects.get(code=entity)
    if stage == "load":
        MonthState.objects.update_or_create(
            entity=owner, year=year, month=month,
            defaults={"has_data": True, "changed_at": at, "loaded_at": at, "changed_units": ["*"]},
        )  # fmt: skip
    elif stage == "transform":
        MonthState.objects.filter(entity=owner, year=year).update(transformed_at=at)


def record_warehouse_run(entity: str, year: int, stage: str, **kw) -> None:
    with pipeline_lock(), connect() as con:
        latest = con.execute("SELECT max(completed_at) FROM _pipeline_runs").fetchone()[0]
        _clock[0] = max(_clock[0], latest or _clock[0])
        record_run(con, entity, year, stage, **kw)


def ops_rows(sql: str, args: list | None = None, url: str | None = None) -> list[tuple]:
    with opsdb.connect(url) as client:
        return opsdb.query(client, sql, args or [])


def ops_checksum(url: str | None = None, where: dict[str, str] | None = None) -> dict[str, str]:
    """sha256 of every ops table's sorted rows (optionally filtered per table)."""
    sums = {}
    with opsdb.connect(url) as client:
        opsdb.ensure_schema(client)
        for table in opsdb.OPS_TABLES:
            clause = f" WHERE {where[table]}" if where and table in where else ""
            rows = opsdb.query(client, f"SELECT * FROM {table}{clause} ORDER BY 1")
            sums[table] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return sums


def month_checksum(year: int, month: int, url: str | None = None) -> str:
    """One month's published facts, with the dimension rows they point at."""
    rows = ops_rows(
        "SELECT o.*, p.name, f.id, f.amount, f.paid_on FROM commerce_order o"
        " JOIN db_person p ON p.id = o.person_id"
        " LEFT JOIN finance_transaction f ON f.order_id = o.id"
        " WHERE o.year = ? AND o.month = ? ORDER BY o.id",
        [year, month],
        url,
    )
    return hashlib.sha256(repr(rows).encode()).hexdigest()


@pytest.fixture
def ops_url(data_dir) -> str:
    return f"file:{data_dir / 'ops.db'}"


def subprocess_env(data_dir) -> dict[str, str]:
    """Environment for a `manage.py` subprocess sharing this test's stores and database."""
    from django.conf import settings
    from django.db import connection

    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.pop("OPS_DB_URL", None)
    env.pop("WAREHOUSE_PATH", None)
    env.update(PIPELINE_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="config.settings")
    env["Q_CLUSTER_NAME"] = settings.Q_CLUSTER["name"]  # this test process's own queue
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        env["DATABASE_URL"] = f"sqlite:///{db['NAME']}"
    else:
        auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
        host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        env["DATABASE_URL"] = f"postgres://{auth}@{host}/{db['NAME']}"
    return env


def manage_command(*args: str) -> list[str]:
    return [sys.executable, str(ROOT / "manage.py"), *args]
