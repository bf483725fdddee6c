"""A garbled number or yes/no in the environment stops start-up with one line, not a
traceback; reading the settings creates nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def check_with(tmp_path: Path, *command: str, **env: str) -> subprocess.CompletedProcess:
    """`manage.py <command>` on the product's settings and its own SQLite, `env` on top."""
    skip = ("PYTEST", "WORKBOOK_", "DATABASE_URL")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(skip)}
    clean.update(PIPELINE_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="config.settings")
    return subprocess.run(
        [sys.executable, "manage.py", *command],
        cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


@pytest.mark.parametrize(
    "name, value",
    [("Q_WORKERS", "two"), ("WORKBOOK_MAX_CELLS", "-1"), ("PIPELINE_LOCK_TIMEOUT", "soon")],
)
def test_a_garbled_number_in_the_environment_stops_start_up_with_one_line(tmp_path, name, value):
    proc = check_with(tmp_path, "check", **{name: value})

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


@pytest.mark.parametrize(
    "name, value",
    [("DEBUG", "ture"), ("BEHIND_HTTPS_PROXY", "yess"), ("PASSWORD_VALIDATION", "of")],
)
def test_a_typo_in_a_boolean_setting_stops_start_up_with_one_line(tmp_path, name, value):
    proc = check_with(tmp_path, "check", **{name: value})

    assert proc.returncode == 1
    assert proc.stderr.strip() == (
        f"Atlas Ops settings: {name}={value!r} is not a yes or no (1/0, true/false, yes/no, on/off)"
    )


def test_a_boolean_setting_reads_any_case_with_spaces_and_empty_as_its_default(tmp_path):
    names = [
        "DEBUG",
        "SECURE_CONTENT_TYPE_NOSNIFF",
        "SESSION_COOKIE_HTTPONLY",
        "SECURE_HSTS_PRELOAD",
    ]
    code = f"from django.conf import settings; print([getattr(settings, n) for n in {names!r}])"
    proc = check_with(
        tmp_path, "shell", "--no-imports", "-c", code,
        DEBUG=" On ", SECURE_CONTENT_TYPE_NOSNIFF="NO", SESSION_COOKIE_HTTPONLY="",
        SECURE_HSTS_PRELOAD="1",
    )  # fmt: skip

    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "[True, False, True, True]"


def test_importing_the_settings_creates_nothing_and_the_database_makes_its_folder(tmp_path):
    """A missing PIPELINE_DATA_DIR stays missing through the settings and Django's set-up
    (`shell` runs no checks); the SQLite database, the first thing written there, makes it."""
    missing = tmp_path / "missing"
    code = "import config.settings, config.test_settings"
    imports = check_with(missing, "shell", "--no-imports", "-c", code)
    assert imports.returncode == 0, imports.stderr
    assert not missing.exists(), sorted(str(p) for p in missing.rglob("*"))

    code = "from django.db import connection; connection.ensure_connection()"
    proc = check_with(missing, "shell", "--no-imports", "-c", code)
    assert proc.returncode == 0, proc.stderr
    assert [p.name for p in missing.iterdir()] == ["django.sqlite3"]
