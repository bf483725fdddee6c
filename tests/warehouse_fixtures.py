"""A built warehouse for tests that need dbt's models without running dbt themselves.

Fixtures (loaded for every test through conftest's `pytest_plugins`):

- `built_warehouse` (session): a `BuiltWarehouse` — `path` of a warehouse.duckdb built
  ONCE per test session by real subprocesses (`manage.py migrate`, `seed`, then `sync` of
  the standard workbook `tests.workbooks.standard_workbook`), plus the rows that workbook
  holds (`orders`, `programs`, `targets`: dicts keyed by warehouse column names, see
  docs/warehouse.md) and `entity`, `year`, so tests compute expectations themselves.
  `data_dir` is that run's whole PIPELINE_DATA_DIR (migrated django.sqlite3 with IONS,
  the source workbook, extracts); `sync_output` that sync's stdout + stderr. Treat all
  of it as read-only; copy what you change.
- `warehouse` (function): copies that file to `<PIPELINE_DATA_DIR>/warehouse.duckdb` of
  the current test, registers Entity IONS (it uses conftest's `entity` fixture, so asking
  for both is fine) and returns the copy's Path. Raw tables, stg_/int_/mart_ models and
  `_pipeline_runs` are all there (those run rows have no Django mirror in the test DB).

Helpers: `manage(data_dir, *args)` runs `python manage.py ...` in a real subprocess against
a data dir, on the test database unless `private_db=True` (`manage_command` gives the Popen
arguments and says which to choose when); `insert_raw_rows(con, ...)` writes
hand-built rows straight into the raw tables (for data no workbook could carry, e.g. a
duplicate invoice; `EDGE_*` rows by default).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipeline_ops.pipeline.schema import ensure_raw_tables
from tests import workbooks

ROOT = Path(__file__).resolve().parent.parent
ENTITY, YEAR = "IONS", 2026
MONTH_SHEETS = {1: "JAN", 2: "FEB", 3: "MAR"}

# Edge cases the standard workbook lacks: a blank Unit cell, a program nobody takes in a
# month, a target for a month without orders. Written straight into raw tables.
EDGE_PROGRAMS = [
    {"program_code": "TM-SD-REG", "program_name": "SD Reguler", "unit": "TM",
     "price": 1_500_000, "target_students": 4},
    {"program_code": "DR-SMP-ONL", "program_name": "SMP Online", "unit": "DR",
     "price": 900_000, "target_students": 3},
    {"program_code": "TM-SMA-INT", "program_name": "SMA Intensif", "unit": "TM",
     "price": 2_000_000, "target_students": 2},
]  # fmt: skip
EDGE_TARGETS = [
    {"month": 1, "unit": "TM", "revenue_target": 5_000_000},
    {"month": 1, "unit": "DR", "revenue_target": 2_000_000},
    {"month": 2, "unit": "TM", "revenue_target": 6_000_000},
    {"month": 3, "unit": "TM", "revenue_target": 7_000_000},
]


def _order(month, day, invoice, student, org, code, unit, price, discount, paid, status):
    return {
        "month": month, "order_date": date(YEAR, month, day), "invoice": invoice,
        "student_name": student, "organization": org, "program_code": code, "unit": unit,
        "price": price, "discount": discount, "paid": paid, "payment_method": "Transfer",
        "status": status,
    }  # fmt: skip


# Months 1 and 2 have orders; month 3 only a target (so it is not a loaded month).
EDGE_ORDERS = [
    _order(1, 5, "INV-001", "Ani Lestari", "SDN 1 Bandung", "TM-SD-REG", "TM",
           1_500_000, 0, 1_500_000, "LUNAS"),
    _order(1, 9, "INV-002", "Budi Santoso", "SDN 1 Bandung", "TM-SD-REG", "TM",
           1_500_000, 250_000, 500_000, "CICIL"),
    _order(1, 12, "INV-003", "Citra Dewi", "SMPN 3 Bogor", "DR-SMP-ONL", "DR",
           900_000, 0, 900_000, "LUNAS"),
    _order(1, 20, "INV-004", "Dedi Kurnia", "SMPN 3 Bogor", "DR-SMP-ONL", "DR",
           900_000, 100_000, 0, "BATAL"),
    _order(2, 2, "INV-005", "Eka Putri", "SMA 8 Depok", "TM-SMA-INT", "TM",
           2_000_000, 500_000, 1_500_000, "LUNAS"),
    _order(2, 14, "INV-006", "Fajar Nugroho", "SDN 1 Bandung", "TM-SD-REG", None,
           1_500_000, 0, 750_000, "CICIL"),
    _order(2, 21, "INV-007", "Gita Maharani", "SMPN 3 Bogor", "DR-SMP-ONL", "DR",
           900_000, 0, 900_000, "LUNAS"),
]  # fmt: skip


def standard_rows(year: int = YEAR) -> tuple[list[dict], list[dict], list[dict]]:
    """The standard workbook's orders, programs and targets as warehouse-column dicts."""
    months = workbooks.standard_orders(year)
    orders = [
        {
            "month": month, "order_date": o["date"].date(), "invoice": o["invoice"],
            "student_name": o["student"], "organization": o["organization"],
            "program_code": o["program"], "unit": o["unit"], "price": o["price"],
            "discount": o["discount"], "paid": o["paid"], "payment_method": o["method"],
            "status": o["status"],
        }
        for month, rows in months.items()
        for o in rows
    ]  # fmt: skip
    programs = [
        {"program_code": p["code"], "program_name": p["name"], "unit": p["unit"],
         "price": p["price"], "target_students": p["target"]}
        for p in workbooks.PROGRAMS
    ]  # fmt: skip
    targets = [
        {"month": t["month"], "unit": t["unit"], "revenue_target": t["target"]}
        for t in workbooks.default_targets(sorted(months))
    ]
    return orders, programs, targets


@dataclass
class BuiltWarehouse:
    path: Path
    data_dir: Path
    entity: str = ENTITY
    year: int = YEAR
    orders: list[dict] = field(default_factory=list)
    programs: list[dict] = field(default_factory=list)
    targets: list[dict] = field(default_factory=list)
    sync_output: str = ""
    # The month-state record the sync wrote (Django side): a copied warehouse comes with it.
    month_states: list[dict] = field(default_factory=list)


def restore_month_states(built: BuiltWarehouse, entity) -> None:
    """The copied warehouse's month states, for the test's entity (runs are not copied)."""
    from pipeline_ops.models import MonthState

    runs = ("level_run", "changed_run", "published_run", "blocked_run", "failure_run")
    for row in built.month_states:
        fields = {k: v for k, v in row["fields"].items() if k not in (*runs, "entity")}
        MonthState.objects.create(entity=entity, **fields)


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict]) -> None:
    for row in rows:
        columns = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        con.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", list(row.values()))


def insert_raw_rows(
    con: duckdb.DuckDBPyConnection,
    *,
    entity: str = ENTITY,
    year: int = YEAR,
    orders: list[dict] = EDGE_ORDERS,
    programs: list[dict] = EDGE_PROGRAMS,
    targets: list[dict] = EDGE_TARGETS,
) -> None:
    """Raw rows as `load` would write them (typed columns; source positions made up)."""
    ensure_raw_tables(con)
    base = {"entity": entity, "year": year, "source_file_hash": "hand-built"}
    ref = {**base, "sheet": "REFERENSI"}
    _insert(
        con, "raw_programs", [{**ref, "source_row": 3 + i, **p} for i, p in enumerate(programs)]
    )
    _insert(con, "raw_targets", [{**ref, "source_row": 20 + i, **t} for i, t in enumerate(targets)])
    raw = [_raw_order(base, i, o) for i, o in enumerate(orders)]
    _insert(con, "raw_orders", raw)
    sheets = {(r["month"], r["sheet"]) for r in raw}
    _insert(con, "_raw_columns", [
        {"entity": entity, "year": year, "month": month, "sheet": sheet, "tbl": "orders",
         "field": field, "col": col}
        for month, sheet in sorted(sheets) for field, col in COLUMN_LETTERS.items()
    ])  # fmt: skip


# Where the made-up month sheets hold each field (load records what it found in _raw_columns).
COLUMN_LETTERS = {"invoice": "C", "price": "H", "discount": "I", "paid": "J"}


def _raw_order(base: dict, index: int, order: dict) -> dict:
    name = " ".join(order["student_name"].split())
    sheet = MONTH_SHEETS.get(order["month"], f"{order['month']:02d}")
    return {**base, "sheet": sheet, "source_row": 5 + index, "student_key": name.casefold(),
            **order}  # fmt: skip


def manage_command(data_dir: Path, *args: str, private_db: bool = False) -> dict:
    """subprocess keyword arguments for `python manage.py ...` against `data_dir`.

    Which Django database the subprocess uses is decided per use:

    - by default the test database of the calling test, exactly as `ops_fixtures.
      subprocess_env` builds it: the SQLite test file, or PostgreSQL when the suite runs
      with `DATABASE_URL=postgres://...` (CI's second pass), so subprocess tests exercise
      the product on both. The test must be `django_db(transaction=True)`, so that the
      subprocess sees the test's rows (an `entity`, say) and the test sees the
      subprocess's run records;
    - `private_db=True`: a SQLite file of the data dir's own (`data_dir/django.sqlite3`),
      for data dirs that live outside any one test's database. The session-built
      warehouses (`built_warehouse`, test_report's `_build_once`) are migrated and run
      once, before and across tests, so their run records must survive every test's
      flush; tests that copy such a data dir and read its `django.sqlite3` directly, or
      that `migrate` a fresh installation on purpose, keep it private too.
    """
    if private_db:
        env = {**os.environ, "PIPELINE_DATA_DIR": str(data_dir)}
        for name in ("WAREHOUSE_PATH", "OPS_DB_URL", "DATABASE_URL"):
            env.pop(name, None)
    else:
        from tests.ops_fixtures import subprocess_env  # a plugin loaded after this one

        env = subprocess_env(data_dir)
    command = [sys.executable, str(ROOT / "manage.py"), *args]
    return {"args": command, "env": env, "cwd": ROOT, "text": True}


def manage(
    data_dir: Path, *args: str, check: bool = True, private_db: bool = False
) -> subprocess.CompletedProcess:
    """`python manage.py ...` in a real subprocess against `data_dir` (see `manage_command`
    for the database it uses)."""
    command = manage_command(data_dir, *args, private_db=private_db)
    proc = subprocess.run(**command, capture_output=True, check=False)
    if check and proc.returncode != 0:
        raise AssertionError(f"manage.py {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture(scope="session")
def built_warehouse(tmp_path_factory: pytest.TempPathFactory) -> BuiltWarehouse:
    data_dir = tmp_path_factory.mktemp("built-warehouse")
    manage(data_dir, "migrate", "--noinput", "-v", "0", private_db=True)
    manage(data_dir, "seed", "--entity", ENTITY, private_db=True)
    workbooks.standard_workbook(data_dir / "sources" / ENTITY / f"{ENTITY}-{YEAR}.xlsx")
    sync = manage(data_dir, "sync", "--entity", ENTITY, "--year", str(YEAR), private_db=True)
    orders, programs, targets = standard_rows()
    states = manage(data_dir, "dumpdata", "pipeline_ops.MonthState", private_db=True).stdout
    return BuiltWarehouse(
        data_dir / "warehouse.duckdb", data_dir, orders=orders, programs=programs,
        targets=targets, sync_output=sync.stdout + sync.stderr,
        month_states=json.loads(states),
    )  # fmt: skip


@pytest.fixture
def warehouse(built_warehouse: BuiltWarehouse, data_dir: Path, entity) -> Path:
    target = data_dir / "warehouse.duckdb"
    shutil.copyfile(built_warehouse.path, target)
    restore_month_states(built_warehouse, entity)
    return target


def more_cancelled_february_orders(warehouse: Path, count: int = 7) -> None:
    """`count` more TM orders in February 2026, cancelled, in both marts a report reads (so
    its evidence still adds up): the numbers change as a new workbook would change them."""
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "INSERT INTO mart_order_evidence SELECT * REPLACE ('X-' || invoice AS invoice,"
            " true AS is_cancelled, 'BATAL' AS status, 0 AS revenue, 0 AS collected,"
            " 0 AS outstanding, 0 AS enrollments) FROM mart_order_evidence"
            " WHERE year = 2026 AND month = 2 AND unit = 'TM' LIMIT ?", [count],
        )  # fmt: skip
        con.execute("UPDATE mart_revenue_monthly SET orders = orders + ?, cancelled ="
                    " cancelled + ? WHERE year = 2026 AND month = 2 AND unit = 'TM'",
                    [count, count])  # fmt: skip
