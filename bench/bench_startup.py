"""What a command pays before it does anything (issue #23: ≤ 0.25 s): `manage.py check`, a
whole process, median of 5; beside it a bare `django.setup()` with only Django's own apps
would be the floor. The admin is loaded by every command: it must not pull in DuckDB,
pyarrow or a stage's libraries (they load where a warehouse or a workbook is opened)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bench import common

ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 0.25
ROUNDS = 5


def _median(args: list[str]) -> float:
    def run() -> None:
        subprocess.run(args, cwd=ROOT, env=os.environ, check=True, capture_output=True)

    return common.median_seconds(run, ROUNDS)


def bench(workdir: Path) -> list[dict]:
    command = _median([sys.executable, "manage.py", "check"])
    python = _median([sys.executable, "-c", "import django"])
    return [
        {
            "stage": "command start-up (check)", "rows": 0, "seconds": command,
            "baseline": python, "baseline_name": "python + import django",
            "note": f"manage.py check takes {command:.2f} s (median of {ROUNDS}; target ≤"
            f" {TARGET_S:g} s): {'met' if command <= TARGET_S else 'MISSED'}",
        }
    ]  # fmt: skip
