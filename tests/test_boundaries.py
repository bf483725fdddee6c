"""The driver boundaries are lint rules, not conventions (issue #26): libsql_client only in
pipeline_ops/opsdb.py (pyproject.toml), DuckDB only under pipeline_ops/pipeline/ and never
in views or the admin (pipeline_ops/ruff.toml). Each case lints a snippet as if it were
the named file (ruff's --stdin-filename): the project's own config files decide, found the
way `make lint` finds them, and nothing is written into the checkout."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.warehouse_fixtures import ROOT

RUFF = Path(sys.executable).with_name("ruff")
IMPORTS = {
    "libsql_client": (
        "import libsql_client\n",
        "from libsql_client import create_client_sync\n",
        "def connect():\n    import libsql_client\n\n    return libsql_client\n",
    ),
    "duckdb": (
        "import duckdb\n",
        "from duckdb import connect\n",
        "def connect():\n    import duckdb\n\n    return duckdb\n",
    ),
}
LIBSQL_ELSEWHERE = (
    "pipeline_ops/pipeline/stages/publish.py",
    "pipeline_ops/views/reports.py",
    "pipeline_ops/admin/runs.py",
    "tests/test_opsdb.py",
    "bench/run.py",
)
DUCKDB_ON_THE_WEB_SIDE = (
    "pipeline_ops/views/evidence.py",
    "pipeline_ops/admin/reports.py",
    "pipeline_ops/site.py",
    "pipeline_ops/templatetags/atlas_admin.py",
    "pipeline_ops/console/evidence_page.py",
)


def banned(source: str, as_path: str) -> list[str]:
    """The banned-import findings (TID251) for `source` linted as the file `as_path`."""
    proc = subprocess.run(
        [str(RUFF), "check", "--no-cache", "--output-format", "concise", "--select", "TID251",
         "--stdin-filename", as_path, "-"],
        input=source, cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode in (0, 1), proc.stderr  # 2: ruff itself failed (a config error)
    return [line for line in proc.stdout.splitlines() if "TID251" in line]


@pytest.mark.parametrize("path", LIBSQL_ELSEWHERE)
@pytest.mark.parametrize("source", IMPORTS["libsql_client"])
def test_it_refuses_libsql_client_outside_opsdb(source, path):
    found = banned(source, path)
    assert len(found) == 1 and "`libsql_client` is banned" in found[0], found
    assert "pipeline_ops/opsdb.py" in found[0]  # the message says where it belongs


@pytest.mark.parametrize("source", IMPORTS["libsql_client"])
def test_it_lets_opsdb_use_libsql_client(source):
    assert banned(source, "pipeline_ops/opsdb.py") == []


@pytest.mark.parametrize("path", DUCKDB_ON_THE_WEB_SIDE)
@pytest.mark.parametrize("source", IMPORTS["duckdb"])
def test_it_refuses_duckdb_in_views_the_admin_and_the_console(source, path):
    found = banned(source, path)
    assert len(found) == 1 and "`duckdb` is banned" in found[0], found


@pytest.mark.parametrize(
    "path",
    ["pipeline_ops/pipeline/evidence/read.py", "pipeline_ops/pipeline/stages/load.py",
     "tests/test_load.py", "bench/run.py"],
)  # fmt: skip
def test_it_lets_the_pipeline_tests_and_bench_use_duckdb(path):
    assert banned(IMPORTS["duckdb"][0], path) == []


def test_the_checkout_keeps_both_boundaries_today():
    proc = subprocess.run([str(RUFF), "check", "--no-cache", "--select", "TID251", "."],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
