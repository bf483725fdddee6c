"""What a command pays before it does anything (issue #23: ≤ 0.25 s): `manage.py check`, a
whole process, median of 5; beside it the same command in an empty `startproject`, the
floor any Django command pays on this machine. The admin is loaded by every command: it
must not pull in DuckDB, pyarrow or a stage's libraries (they load where a warehouse or a
workbook is opened)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bench import common

ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 0.25
ROUNDS = 5


def _median(args: list[str], cwd: Path = ROOT) -> float:
    env = os.environ if cwd == ROOT else _without_settings()  # the bare project's own

    def run() -> None:
        subprocess.run(args, cwd=cwd, env=env, check=True, capture_output=True)

    return common.median_seconds(run, ROUNDS)


def bench(workdir: Path) -> list[dict]:
    command = _median([sys.executable, "manage.py", "check"])
    bare = _bare_project(workdir)
    floor = _median([sys.executable, "manage.py", "check"], cwd=bare)
    return [
        {
            "stage": "command start-up (check)", "rows": 0, "seconds": command,
            "baseline": floor, "baseline_name": "a bare `startproject` check",
            "note": f"manage.py check takes {command:.2f} s (median of {ROUNDS}; target ≤"
            f" {TARGET_S:g} s): {'met' if command <= TARGET_S else 'MISSED'}; Django's own"
            f" floor here (an empty project) is {floor:.2f} s",
        }
    ]  # fmt: skip


def _bare_project(workdir: Path) -> Path:
    """An empty Django project (django-admin startproject): what any command costs here."""
    bare = workdir / "bare-project"
    if not (bare / "manage.py").exists():
        bare.mkdir(parents=True, exist_ok=True)
        admin = [sys.executable, "-m", "django", "startproject", "bare", str(bare)]
        subprocess.run(admin, check=True, capture_output=True, env=_without_settings())
    return bare


def _without_settings() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
