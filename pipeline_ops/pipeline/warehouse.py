"""Opening the DuckDB warehouse. Only ever under the pipeline lock (never from a web request)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from django.conf import settings

from .errors import PipelineError
from .locking import is_held
from .paths import data_dir


def warehouse_path() -> Path:
    return Path(settings.WAREHOUSE_PATH or data_dir() / "warehouse.duckdb")


@contextmanager
def connect(read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    if not is_held():
        raise RuntimeError("open the warehouse only while holding the pipeline lock")
    path = warehouse_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only and path.exists())
    except duckdb.IOException as exc:
        raise PipelineError(f"Cannot open the warehouse {path}: {exc}") from exc
    try:
        yield con
    finally:
        con.close()
