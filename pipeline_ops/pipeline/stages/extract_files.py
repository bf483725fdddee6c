"""The files `extract` writes (docs/workbooks.md): a month's typed orders, its column
letters, or its problem; REFERENSI's blocks; and the move of a finished extract into place."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from pipeline_ops.pipeline.workbook.cells import source_table, typed_select
from pipeline_ops.pipeline.workbook.reader import Sheet
from pipeline_ops.pipeline.workbook.tables import REFERENCE_SPECS, Located, SheetProblem


def month_file(month: int) -> str:
    return f"orders-{month:02d}.parquet"


def problem_file(month: int) -> str:
    return f"problems-{month:02d}.parquet"


PROBLEM_COLUMNS = ("entity", "year", "month", "sheet", "cell", "rule", "message")


def write_problem(con, problem: SheetProblem, base: dict, staging: Path) -> SheetProblem:
    for partial in (
        staging / month_file(base["month"]),
        staging / f"columns-{base['month']:02d}.parquet",
    ):
        partial.unlink(missing_ok=True)
    values = [base["entity"], base["year"], base["month"], problem.sheet, problem.cell,
              problem.rule, problem.problem]  # fmt: skip
    types = [pa.string(), pa.int32(), pa.int32()] + [pa.string()] * 4
    arrow = pa.table([pa.array([v], t) for v, t in zip(values, types, strict=True)],
                     names=list(PROBLEM_COLUMNS))  # fmt: skip
    con.register("problem", arrow)
    try:
        con.execute(f"COPY problem TO '{staging / problem_file(base['month'])}' (FORMAT parquet)")
    finally:
        con.unregister("problem")
    return problem


def write_table(con, table: Located, constants: dict, dest: Path) -> int:
    src, dirty = source_table(table)
    typed = typed_select(table.spec.name, constants, dirty)
    con.register("src", src)
    try:
        result = con.execute(f"COPY ({typed} ORDER BY source_row) TO '{dest}' (FORMAT parquet)")
        return int(result.fetchall()[0][0])
    finally:
        con.unregister("src")


def write_block(con, table: Located | None, name: str, base: dict, staging: Path) -> int:
    """A missing optional REFERENSI block is written empty, so load still replaces it."""
    dest = staging / f"{name}.parquet"
    constants = {**base, "sheet": table.sheet.name if table else "REFERENSI"}
    if table is None:
        spec = next(s for s in REFERENCE_SPECS if s.name == name)
        empty = pa.RecordBatch.from_arrays([pa.array([], pa.string())], names=["c0"])
        table = Located(spec, Sheet("REFERENSI", empty, ["A"]), -1, 0, {})
    return write_table(con, table, constants, dest)


def write_columns(con, tables: list[Located], month: int | None, dest: Path, base: dict) -> None:
    rows = [
        (base["entity"], base["year"], month, t.sheet.name, t.spec.name, f, letter)
        for t in tables
        for f, letter in t.letters().items()
    ]
    names = ["entity", "year", "month", "sheet", "tbl", "field", "col"]
    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in names]
    types = [pa.string(), pa.int32(), pa.int32()] + [pa.string()] * 4
    arrow = pa.table([pa.array(c, t) for c, t in zip(columns, types, strict=True)], names=names)
    con.register("cols", arrow)
    con.execute(f"COPY cols TO '{dest}' (FORMAT parquet)").fetchall()
    con.unregister("cols")


MONTH_FILES = ("orders-{:02d}.parquet", "columns-{:02d}.parquet", "problems-{:02d}.parquet")


def move_into_place(staging: Path, target: Path, *, replace_all_months: bool) -> None:
    """Move the new files in; a month written now keeps none of its older files (a sheet
    fixed since has no problem file left, a broken one no orders)."""
    months = {int(p.stem.split("-")[1]) for p in staging.glob("*-[0-9][0-9].parquet")}
    for month in range(1, 13) if replace_all_months else sorted(months):
        for pattern in MONTH_FILES:
            old = target / pattern.format(month)
            if old.exists() and not (staging / old.name).exists():
                old.unlink()
    for new in staging.iterdir():
        new.replace(target / new.name)
