"""Is this warehouse file the one the site's run history was recorded in?

Django mirrors every warehouse run by its `_pipeline_runs` id. A warehouse that was
deleted, replaced or restored from an older copy starts its ids again, so the history no
longer matches it: a stage refuses to run on it (one line, pointing at `manage.py
rebuild_warehouse`) instead of failing on a duplicate id. A new `_pipeline_runs` table's
ids start after the highest id Django has seen, so ids never collide, and
`rebuild_warehouse` adopts the new file (`adopting()`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

from django.db.models import Max

from pipeline_ops.models import PipelineRun
from pipeline_ops.pipeline.errors import PipelineError
from pipeline_ops.pipeline.runs.warehouse import warehouse_path

if TYPE_CHECKING:  # the driver loads where a warehouse is opened, not with the admin
    import duckdb

_adopting: ContextVar[bool] = ContextVar("adopting_new_warehouse", default=False)


class WarehouseReplaced(PipelineError):
    pass


@contextmanager
def adopting() -> Iterator[None]:
    """Stages inside run on a new warehouse file (rebuild_warehouse), whatever its ids."""
    token = _adopting.set(True)
    try:
        yield
    finally:
        _adopting.reset(token)


def highest_known_id() -> int:
    return PipelineRun.objects.aggregate(top=Max("warehouse_id"))["top"] or 0


def has_runs_table(con: duckdb.DuckDBPyConnection) -> bool:
    sql = "SELECT count(*) FROM duckdb_tables() WHERE table_name = '_pipeline_runs'"
    return con.execute(sql).fetchone()[0] > 0


def check_warehouse(con: duckdb.DuckDBPyConnection) -> None:
    """Refuse a warehouse whose run ids stop below the history's (call before recording)."""
    known = highest_known_id()
    if not known or _adopting.get():
        return
    (top,) = con.execute("SELECT max(id) FROM _pipeline_runs").fetchone()
    if top is None or top < known:
        raise WarehouseReplaced(
            f"The warehouse {warehouse_path()} is not the one this site's run history was"
            f" recorded in (its runs stop at {top or 0}, the history's at {known}): it was"
            " replaced or restored from an older copy. Rebuild it from the workbooks with"
            " `manage.py rebuild_warehouse`."
        )
