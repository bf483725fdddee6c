from __future__ import annotations

from pathlib import Path

import pytest

from pipeline_ops.models import Entity

pytest_plugins = ["tests.workbooks", "tests.warehouse_fixtures", "tests.ops_fixtures"]


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, settings) -> Path:
    """Every test gets its own PIPELINE_DATA_DIR: warehouse, ops DB, sources, reports."""
    root = tmp_path / "data"
    root.mkdir()
    settings.PIPELINE_DATA_DIR = root
    settings.WAREHOUSE_PATH = None
    settings.OPS_DB_URL = None
    settings.PIPELINE_LOCK_TIMEOUT = 30
    return root


@pytest.fixture
def entity(db) -> Entity:
    return Entity.objects.create(code="IONS", name="IONS")
