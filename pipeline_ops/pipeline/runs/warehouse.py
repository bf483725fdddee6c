"""Opening the DuckDB warehouse. Only ever under the pipeline lock (never from a web request)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings

from pipeline_ops.pipeline.errors import PipelineError
from pipeline_ops.pipeline.paths import data_dir
from pipeline_ops.pipeline.runs.locking import is_held

if TYPE_CHECKING:  # the driver loads where a warehouse is opened, not with the admin
    import duckdb


def warehouse_path() -> Path:
    return Path(settings.WAREHOUSE_PATH or data_dir() / "warehouse.duckdb")


# The connection a stage opened for its run record: everything inside the stage (the body,
# nested stages of a sync, the closing record) uses it, so a stage opens the file once.
_shared: ContextVar[list | None] = ContextVar("warehouse_connection", default=None)


def _open(read_only: bool) -> duckdb.DuckDBPyConnection:
    import duckdb  # here, not at import: every command loads the admin, few open the warehouse

    if not is_held():
        raise RuntimeError("open the warehouse only while holding the pipeline lock")
    path = warehouse_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return duckdb.connect(str(path), read_only=read_only and path.exists())
    except duckdb.IOException as exc:
        raise PipelineError(f"Cannot open the warehouse {path}: {exc}") from exc


@contextmanager
def connect(read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """The open connection of this stage if there is one, else a new one closed on exit."""
    holder = _shared.get()
    if holder is not None and holder[0] is not None:
        yield holder[0]
        return
    holder = [_open(read_only)]
    token = _shared.set(holder)
    try:
        yield holder[0]
    finally:
        _shared.reset(token)
        if holder[0] is not None:
            holder[0].close()


@contextmanager
def released() -> Iterator[None]:
    """Close the shared connection while another process (dbt) uses the file; reopen after."""
    holder = _shared.get()
    if holder is None or holder[0] is None:
        yield
        return
    holder[0].close()
    holder[0] = None
    try:
        yield
    finally:
        holder[0] = _open(False)
