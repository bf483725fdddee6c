"""`manage.py seed`: registers an entity and, with --demo, writes its demo workbooks."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from django.core.management import CommandError, call_command

from pipeline_ops.models import Entity
from pipeline_ops.pipeline.paths import extracts_dir
from tests.ops_fixtures import ops_rows
from tests.test_demo import Book, all_values
from tests.workbooks import PROGRAMS, standard_orders, standard_workbook

REPO = Path(__file__).resolve().parent.parent


def _dots(rupiah: int) -> str:
    return f"{rupiah:,}".replace(",", ".")


# Ways people type a REFERENSI price, each applied to the rupiah it means: `Rp 1.250.000,00`,
# `IDR 1.600.000`, `Rp. 3.750.000`, `650000.0`, `Rp900.000,-` and `450,000`.
TYPED_PRICES = [
    (1_250_000, lambda v: f"Rp {_dots(v)},00"),
    (1_600_000, lambda v: f"IDR {_dots(v)}"),
    (3_750_000, lambda v: f"Rp. {_dots(v)}"),
    (650_000, lambda v: f"{v}.0"),
    (900_000, lambda v: f"Rp{_dots(v)},-"),
    (450_000, lambda v: f"{v:,}"),
]
# The standard workbook's programs (so its synced orders point at them), then three more.
CODES = [p["code"] for p in PROGRAMS] + ["TM-EXTRA-1", "DR-EXTRA-2", "TM-EXTRA-3"]
TYPED_PROGRAMS = [
    {"code": code, "name": f"Program {code}", "unit": code[:2], "price": spell(rupiah),
     "target": 2 + i}
    for i, (code, (rupiah, spell)) in enumerate(zip(CODES, TYPED_PRICES, strict=True))
]  # fmt: skip
MEANT = {code: rupiah for code, (rupiah, _) in zip(CODES, TYPED_PRICES, strict=True)}


def seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_seed_with_demo_writes_both_years_into_the_entity_source_folder(data_dir):
    output = seed("--entity", "ions", "--demo", "--rows-per-month", "50")
    folder = data_dir / "sources" / "IONS"
    assert sorted(p.name for p in folder.iterdir()) == ["IONS-2025.xlsx", "IONS-2026.xlsx"]
    assert Entity.objects.filter(code="IONS").exists()
    for year in (2025, 2026):
        assert str(folder / f"IONS-{year}.xlsx") in output
        book = Book(folder / f"IONS-{year}.xlsx")
        assert sorted(book.months) == list(range(1, 13))
        assert all(f"/IONS/{year}/" in o["No Invoice"] for _, o in book.all_orders())


@pytest.mark.django_db
def test_seeding_twice_gives_identical_workbooks(data_dir):
    seed("--entity", "IONS", "--demo", "--rows-per-month", "50")
    folder = data_dir / "sources" / "IONS"
    first = {p.name: all_values(p) for p in folder.iterdir()}
    output = seed("--entity", "IONS", "--demo", "--rows-per-month", "50")
    second = {p.name: all_values(p) for p in folder.iterdir()}
    assert "exists" in output
    assert first == second
    assert Entity.objects.filter(code="IONS").count() == 1


@pytest.mark.django_db
def test_seed_without_demo_registers_the_entity_only(data_dir):
    output = seed("--entity", "IONS")
    assert "registered" in output
    assert Entity.objects.filter(code="IONS").exists()
    assert not (data_dir / "sources").exists()


@pytest.mark.django_db
def test_seed_writes_demo_workbooks_into_an_entitys_own_source_folder(tmp_path):
    own = tmp_path / "elsewhere"
    Entity.objects.create(code="IONS", name="IONS", source_dir=str(own))
    seed("--entity", "IONS", "--demo", "--rows-per-month", "5", "--years", "2026")
    assert [p.name for p in own.iterdir()] == ["IONS-2026.xlsx"]


@pytest.mark.parametrize(
    "flags",
    [["--entity", "bad entity!"], ["--entity", "IONS", "--demo", "--rows-per-month", "0"]],
)
def test_bad_flags_exit_2_with_one_line_on_stderr(tmp_path, flags):
    env = {**os.environ, "PIPELINE_DATA_DIR": str(tmp_path / "data")}
    result = subprocess.run(
        [sys.executable, "manage.py", "seed", *flags],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "error" in lines[0]
    assert not (tmp_path / "data" / "sources").exists()


@pytest.mark.django_db
def test_seed_reads_every_referensi_program_cell_as_extract_types_it(data_dir, workbook_factory):
    workbook_factory(programs=TYPED_PROGRAMS)
    seed("--entity", "IONS")
    call_command("extract", "--entity", "IONS", "--year", "2026", stdout=io.StringIO())
    columns = "program_code, program_name, unit, price, target_students"
    with duckdb.connect() as con:
        parquet = extracts_dir("IONS", 2026) / "programs.parquet"
        extracted = con.execute(f"SELECT {columns} FROM '{parquet}'").fetchall()
    seeded = ops_rows("SELECT code, name, unit, price, target_students FROM db_program")
    assert sorted(seeded) == sorted(extracted)
    assert {code: price for code, _, _, price, _ in seeded} == MEANT


@pytest.mark.django_db
def test_program_prices_typed_every_way_reach_the_ops_db_as_the_rupiah_meant(
    warehouse, built_warehouse, workbook_factory
):
    # The session's warehouse was seeded and synced from the standard workbook; the same
    # workbook with its REFERENSI prices retyped is seeded, then its orders are published.
    workbook_factory(programs=TYPED_PROGRAMS, months=standard_orders())
    seed("--entity", "IONS")
    call_command("publish", "--entity", "IONS", "--year", "2026", "--month", "1-3",
                 stdout=io.StringIO())  # fmt: skip
    assert dict(ops_rows("SELECT code, price FROM db_program")) == MEANT
    linked = ops_rows(
        "SELECT o.invoice, p.code, p.price FROM commerce_order o"
        " JOIN db_program p ON p.id = o.program_id"
    )
    expected = [(o["invoice"], o["program_code"], MEANT[o["program_code"]])
                for o in built_warehouse.orders]  # fmt: skip
    assert sorted(linked) == sorted(expected)


@pytest.mark.django_db
def test_seed_demo_refuses_to_overwrite_a_workbook_that_differs_from_the_demo(data_dir):
    call_command("seed", "--entity", "IONS", "--demo", "--years", "2026", stdout=io.StringIO())
    path = data_dir / "sources" / "IONS" / "IONS-2026.xlsx"
    demo = path.read_bytes()
    standard_workbook(path)  # staff's own workbook, accepted through intake or copied in
    edited = path.read_bytes()

    with pytest.raises(CommandError, match=r"differ.* from the demo workbook") as failure:
        call_command("seed", "--entity", "IONS", "--demo", "--years", "2026", stdout=io.StringIO())
    assert failure.value.returncode == 1
    assert path.read_bytes() == edited
    assert [p.name for p in path.parent.iterdir()] == ["IONS-2026.xlsx"]  # no temp left

    out = io.StringIO()
    call_command("seed", "--entity", "IONS", "--demo", "--years", "2026", "--force", stdout=out)
    assert path.read_bytes() == demo and "Wrote" in out.getvalue()


@pytest.mark.django_db
def test_seed_demo_leaves_an_unchanged_demo_workbook_alone(data_dir):
    call_command("seed", "--entity", "IONS", "--demo", "--years", "2026", stdout=io.StringIO())
    out = io.StringIO()
    call_command("seed", "--entity", "IONS", "--demo", "--years", "2026", stdout=out)
    assert "Wrote" not in out.getvalue()
