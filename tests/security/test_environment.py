"""A garbled number in the environment stops start-up with one line, not a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def check_with(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "WORKBOOK_"))}
    clean.update(PIPELINE_DATA_DIR=str(tmp_path), **env)
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


@pytest.mark.parametrize(
    "name, value",
    [("Q_WORKERS", "two"), ("WORKBOOK_MAX_CELLS", "-1"), ("PIPELINE_LOCK_TIMEOUT", "soon")],
)
def test_a_garbled_number_in_the_environment_stops_start_up_with_one_line(tmp_path, name, value):
    proc = check_with(tmp_path, **{name: value})

    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip() == f"Atlas Ops settings: {name}={value!r} is not a number >= " + (
        "0" if name == "PIPELINE_LOCK_TIMEOUT" else "1"
    )


def test_a_workbook_limit_from_the_environment_reaches_the_budget(tmp_path):
    code = (
        "from pipeline_ops.pipeline.workbook.limits import limit;"
        " print(limit('WORKBOOK_MAX_CELLS'))"
    )
    shell = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "PIPELINE_DATA_DIR": str(tmp_path), "WORKBOOK_MAX_CELLS": "1234"},
    )  # fmt: skip
    assert shell.stdout.strip().splitlines()[-1] == "1234", shell.stderr
