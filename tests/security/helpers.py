"""Helpers shared by the security tests."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path


def last_run(data_dir: Path) -> tuple[str, str, str]:
    """The newest run record of a data dir's private Django SQLite (subprocess tests)."""
    with closing(sqlite3.connect(data_dir / "django.sqlite3")) as db:
        return db.execute(
            "SELECT stage, status, error_message FROM pipeline_ops_pipelinerun"
            " ORDER BY id DESC LIMIT 1"
        ).fetchone()
