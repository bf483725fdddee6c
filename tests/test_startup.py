"""Every command loads the admin (Django's autodiscover); the admin must not load the
warehouse driver, pyarrow or a stage's libraries: they load where a warehouse or a
workbook is opened (issue #23, command start-up). `make bench` measures the time."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.warehouse_fixtures import ROOT

HEAVY = ("duckdb", "pyarrow", "fastexcel", "openpyxl", "libsql_client", "dbt")
PROBE = (
    "import json, sys, django; django.setup();"
    "from django.contrib import admin; admin.autodiscover();"
    "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
)


def test_loading_the_admin_loads_no_warehouse_reader_or_report_library():
    env = {"DJANGO_SETTINGS_MODULE": "config.settings", "PATH": ""}
    proc = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True,
                          text=True, check=True)  # fmt: skip
    loaded = set(json.loads(proc.stdout.strip().splitlines()[-1]))
    assert "pipeline_ops" in loaded
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))
