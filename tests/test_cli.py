from __future__ import annotations

import argparse
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import given
from hypothesis import strategies as st

from pipeline_ops.pipeline.cli import (
    MonthRange,
    parse_entity,
    parse_month,
    parse_type,
    parse_unit,
    parse_year,
)


def test_a_single_month_is_a_range_of_one():
    assert parse_month("2") == MonthRange(2, 2)


def test_a_month_range_keeps_both_ends():
    assert parse_month("1-3") == MonthRange(1, 3)
    assert parse_month(" 10 - 12 ") == MonthRange(10, 12)


@pytest.mark.parametrize("bad", ["3-1", "0", "13", "1-13", "a", "", "1-", "-3", "1-2-3", "2.5"])
def test_it_rejects_a_bad_month(bad):
    with pytest.raises(argparse.ArgumentTypeError):
        parse_month(bad)


def test_it_rejects_a_reversed_month_range_saying_why():
    with pytest.raises(argparse.ArgumentTypeError, match="reversed"):
        parse_month("3-1")


@given(st.integers(-5, 20), st.integers(-5, 20))
def test_month_ranges_are_accepted_exactly_when_ordered_and_within_the_year(start, end):
    valid = 1 <= start <= end <= 12
    try:
        parsed = parse_month(f"{start}-{end}")
    except argparse.ArgumentTypeError:
        assert not valid
    else:
        assert valid
        assert parsed.months == list(range(start, end + 1))


def test_entity_and_unit_are_case_insensitive():
    assert parse_entity("ions") == "IONS"
    assert parse_entity(" Ions_2 ") == "IONS_2"
    assert parse_unit("tm") == "TM"
    assert parse_unit("Dr") == "DR"


@pytest.mark.parametrize("bad", ["../x", "I", "1ONS", "IONS/", "A" * 17, "io ns", ""])
def test_it_rejects_entity_codes_that_are_not_safe_file_names(bad):
    with pytest.raises(argparse.ArgumentTypeError):
        parse_entity(bad)


def test_report_type_is_one_of_three():
    assert parse_type("Quarterly") == "quarterly"
    with pytest.raises(argparse.ArgumentTypeError):
        parse_type("weekly")
    with pytest.raises(argparse.ArgumentTypeError):
        parse_unit("XX")


def test_year_is_a_plausible_year():
    assert parse_year("2026") == 2026
    for bad in ("26", "abc", "1999", "3000"):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_year(bad)


def test_a_bad_flag_from_code_raises_a_command_error_with_exit_code_2(db):
    with pytest.raises(CommandError) as info:
        call_command("seed", "--entity", "../x")
    assert info.value.returncode == 2


def test_a_bad_flag_prints_one_line_and_exits_2(data_dir):
    proc = subprocess.run(
        [sys.executable, "manage.py", "seed", "--entity", "../x"],
        capture_output=True,
        text=True,
        env={"PIPELINE_DATA_DIR": str(data_dir), "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "--entity" in lines[0] and "../x" in lines[0]
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("years", ["20x5", "2025,,abc", "1999", ","])
def test_seed_refuses_a_year_list_it_cannot_read_with_one_line_and_exit_2(data_dir, years):
    proc = subprocess.run(
        [sys.executable, "manage.py", "seed", "--entity", "IONS", "--demo", "--years", years],
        capture_output=True,
        text=True,
        env={"PIPELINE_DATA_DIR": str(data_dir), "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "--years" in lines[0], proc.stderr
    assert not (data_dir / "sources").exists(), "nothing written"
