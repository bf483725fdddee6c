"""REFERENSI programs and organizations as rows, typed exactly as `extract` types them.

`seed` needs the reference rows before any sync has run, so it cannot read extract's
Parquet files. It gets them here instead: the blocks are found by the same
`locate_reference` and typed by the same SQL (`cells.typed_select`, the one money, date
and name parser of the product), in a private in-memory DuckDB.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from pipeline_ops.pipeline.workbook.cells import (
    TYPES,
    install_macros,
    source_table,
    typed_select,
)
from pipeline_ops.pipeline.workbook.reader import Workbook
from pipeline_ops.pipeline.workbook.tables import Located, locate_reference

BLOCKS = ("programs", "organizations")


def typed_reference(path: Path) -> dict[str, list[dict[str, Any]]]:
    """{"programs": [...], "organizations": [...]}: one dict per typed row, in sheet order.

    A missing optional block gives no rows; an unreadable workbook or a REFERENSI without
    a programs block raises PipelineError, as extract would.
    """
    with Workbook(path) as book:
        blocks = locate_reference(book.reference(), path)
    con = duckdb.connect(config={"threads": 1})
    try:
        install_macros(con)
        return {name: _typed_rows(con, blocks.get(name)) for name in BLOCKS}
    finally:
        con.close()


def _typed_rows(con: duckdb.DuckDBPyConnection, table: Located | None) -> list[dict[str, Any]]:
    if table is None:
        return []
    fields = list(TYPES[table.spec.name])
    src, dirty = source_table(table)
    con.register("src", src)
    try:
        typed = typed_select(table.spec.name, {}, dirty)
        rows = con.execute(
            f"SELECT {', '.join(fields)} FROM ({typed}) ORDER BY source_row"
        ).fetchall()
    finally:
        con.unregister("src")
    return [dict(zip(fields, row, strict=True)) for row in rows]
