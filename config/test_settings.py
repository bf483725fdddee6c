"""The test suite's settings: config.settings plus what only tests need.

pytest uses this module (pyproject.toml, `[tool.pytest.ini_options]`). Subprocesses a test
starts (`manage.py`, the worker) get what they share with the test (database, data dir,
queue name) from their environment (tests/ops_fixtures.py `subprocess_env`), whichever of
the two modules they run, so nothing here may be needed by them.
"""

from __future__ import annotations

import os

from config.settings import *  # noqa: F403
from config.settings import DATABASES, PIPELINE_DATA_DIR, Q_CLUSTER

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A file, not :memory:, so a worker subprocess started by a test sees the test data;
    # one per pytest process, so two runs in one checkout never share it.
    test_db = PIPELINE_DATA_DIR / f"test_django_{os.getpid()}.sqlite3"
    DATABASES = {**DATABASES, "default": {**DATABASES["default"], "TEST": {"NAME": str(test_db)}}}

# `make test` runs two pytest-xdist processes: each needs its own queue, or one's worker
# takes the other's tasks (their names, atlas-ops-gw0 and -gw1, are in docs/configuration.md).
_XDIST = os.environ.get("PYTEST_XDIST_WORKER", "")
if _XDIST and not os.environ.get("Q_CLUSTER_NAME"):
    Q_CLUSTER = {**Q_CLUSTER, "name": f"atlas-ops-{_XDIST}"}
