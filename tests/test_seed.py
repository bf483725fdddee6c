"""`manage.py seed`: registers an entity and, with --demo, writes its demo workbooks."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from pipeline_ops.models import Entity
from tests.test_demo import Book, all_values

REPO = Path(__file__).resolve().parent.parent


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
