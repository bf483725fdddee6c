"""`load`: typed Parquet extracts → DuckDB raw_* tables, in bulk, in one transaction.

`raw_orders` is replaced per entity + year + month (only the months asked for, or every
month extracted); REFERENSI tables are replaced per entity + year. `_raw_columns` (this
module's helper table) keeps each field's Excel column letter so issues can name cells;
`_raw_problems` holds the month sheets extract could not read (validate makes each an error
that blocks its month). Load records each month's fingerprint for the month-state record
(pipeline/state/): a load that changes nothing changes no state.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
from pathlib import Path

import duckdb

from pipeline_ops.pipeline.errors import PipelineError
from pipeline_ops.pipeline.paths import extracts_dir
from pipeline_ops.pipeline.period import MonthRange
from pipeline_ops.pipeline.runs.calls import StageCall, recorded, tell
from pipeline_ops.pipeline.runs.stage_run import StageContext
from pipeline_ops.pipeline.runs.warehouse import connect, warehouse_path
from pipeline_ops.pipeline.schema import ensure_raw_tables

REFERENCE_TABLES = {
    "raw_programs": "programs.parquet",
    "raw_organizations": "organizations.parquet",
    "raw_targets": "targets.parquet",
}
# DuckDB keeps only the OS's text of a failed write; these say the warehouse's disk is full.
DISK_FULL = {
    os.strerror(errno.ENOSPC): "no space left on device",
    os.strerror(errno.EDQUOT): "disk quota exceeded",
    os.strerror(errno.EFBIG): "file too large",
}


def ensure_load_tables(con: duckdb.DuckDBPyConnection) -> None:
    ensure_raw_tables(con)  # _raw_columns and _raw_problems included


@recorded("load")
def run_load(call: StageCall, ctx: StageContext) -> None:
    entity, year, months = call.entity, call.year, call.months
    directory = extracts_dir(entity, year)
    files = month_files(directory, months)
    ctx.source_file_hash = source_hash(directory)
    with connect() as con:
        # A whole-year load mirrors the workbook: a month sheet deleted since the last
        # load must not leave its old orders behind.
        replace = months.months if months else list(range(1, 13))
        counts = load_extracts(con, entity, year, files, directory, replace)
        loaded = sorted({*files, *problem_months(directory, replace)})
        ctx.verdict["fingerprints"] = fingerprints(con, entity, year, replace)
    ctx.verdict["replaced"], ctx.verdict["loaded"] = replace, loaded
    ctx.row_count = counts["raw_orders"]
    ctx.run.options = {**ctx.run.options, "months_loaded": loaded}
    listed = ", ".join(str(m) for m in loaded)
    tell(
        call, ctx,
        f"Loaded {counts['raw_orders']:,} orders for {entity} {year} month(s) {listed}",
        ", ".join(f"{t} {n:,}" for t, n in counts.items() if t != "raw_orders"),
    )  # fmt: skip


def month_files(directory: Path, months: MonthRange | None) -> dict[int, Path]:
    """The orders extract per month; asking for a month never extracted is an error."""
    found = {int(p.stem.split("-")[1]): p for p in sorted(directory.glob("orders-[0-9]*.parquet"))}
    broken = problem_months(directory, range(1, 13))
    if not (found or broken) or not (directory / "programs.parquet").exists():
        raise PipelineError(f"No extracts in {directory}: run `manage.py extract` first.")
    if months is None:
        return found
    missing = [m for m in months.months if m not in found and m not in broken]
    if missing:
        raise PipelineError(
            f"No extract for month {', '.join(map(str, missing))} in {directory}:"
            f" run `manage.py extract --month {months}` first."
        )
    return {m: found[m] for m in months.months if m in found}


def problem_months(directory: Path, months) -> list[int]:
    """Months whose sheet extract could not read (`problems-MM.parquet`)."""
    return [m for m in months if (directory / f"problems-{m:02d}.parquet").exists()]


def fingerprints(con: duckdb.DuckDBPyConnection, entity: str, year: int,
                 months: list[int]) -> dict[int, dict]:  # fmt: skip
    """Per month of `months`: {"all": hash of its rows and REFERENSI's, "units": {unit:
    hash}}. Rows in sheet order, every column but the workbook's hash: a new workbook
    version that leaves a month's rows alone leaves its fingerprint alone."""
    scope = "entity = $entity AND year = $year"
    params = {"entity": entity, "year": year, "months": months}
    per_table = [
        f"(SELECT coalesce(hash(list(t ORDER BY source_row)), 0)::VARCHAR FROM"
        f" (SELECT * EXCLUDE (source_file_hash) FROM {table} WHERE {scope}) t)"
        for table in REFERENCE_TABLES
    ]
    sql = "SELECT " + " || '-' || ".join(per_table)
    ref = con.execute(sql, {"entity": entity, "year": year}).fetchone()[0]
    rows = con.execute(
        f"SELECT month, coalesce(unit, unit_raw, ''), hash(list(t ORDER BY source_row))::VARCHAR"
        f" FROM (SELECT * EXCLUDE (source_file_hash) FROM raw_orders WHERE {scope}"
        f" AND month IN $months) t GROUP BY ALL",
        params,
    ).fetchall()
    problems = con.execute(
        f"SELECT month, hash(list(t ORDER BY cell))::VARCHAR FROM _raw_problems t"
        f" WHERE {scope} AND month IN $months GROUP BY month",
        params,
    ).fetchall()
    found: dict[int, dict] = {}
    for month, unit, digest in rows:
        found.setdefault(month, {"units": {}})["units"][unit] = digest
    for month, digest in problems:
        found.setdefault(month, {"units": {}})["units"]["!problem"] = digest
    reference = hashlib.sha256(ref.encode()).hexdigest()[:20]  # the same for every month
    for entry in found.values():
        rows_digest = hashlib.sha256(repr(sorted(entry["units"].items())).encode()).hexdigest()
        entry["all"] = f"{rows_digest[:40]}-{reference}"  # state/months.py reads the suffix
    return found


def load_extracts(
    con: duckdb.DuckDBPyConnection,
    entity: str,
    year: int,
    files: dict[int, Path],
    directory: Path,
    replace: list[int],
) -> dict[str, int]:
    """Replace the rows of the `replace` months in one transaction; returns rows per table."""
    ensure_load_tables(con)
    con.execute("BEGIN TRANSACTION")
    try:
        counts = _replace_rows(con, (entity, year), files, directory, replace)
        con.execute("COMMIT")
    except duckdb.Error as exc:
        _rollback(con)
        raise load_failure(entity, year, directory, exc) from None
    except BaseException:
        _rollback(con)
        raise
    return counts


def _replace_rows(
    con: duckdb.DuckDBPyConnection,
    key: tuple[str, int],
    files: dict[int, Path],
    directory: Path,
    replace: list[int],
) -> dict[str, int]:
    scope, month_list = "entity = ? AND year = ?", sorted(files)
    counts: dict[str, int] = {}
    con.execute(f"DELETE FROM raw_orders WHERE {scope} AND month IN ?", [*key, replace])
    counts["raw_orders"] = _insert(con, "raw_orders", [files[m] for m in month_list])
    for table, name in REFERENCE_TABLES.items():
        con.execute(f"DELETE FROM {table} WHERE {scope}", [*key])
        counts[table] = _insert(con, table, [directory / name])
    con.execute(
        f"DELETE FROM _raw_columns WHERE {scope} AND (month IS NULL OR month IN ?)",
        [*key, replace],
    )
    columns = [directory / "columns-ref.parquet"]
    columns += [directory / f"columns-{m:02d}.parquet" for m in month_list]
    _insert(con, "_raw_columns", columns)
    con.execute(f"DELETE FROM _raw_problems WHERE {scope} AND month IN ?", [*key, replace])
    problems = [directory / f"problems-{m:02d}.parquet" for m in problem_months(directory, replace)]
    if problems:
        _insert(con, "_raw_problems", problems)
    return counts


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    """DuckDB aborts the transaction itself when a write fails (a full disk at COMMIT):
    ROLLBACK then raises "no transaction is active", which must not hide the real error."""
    with contextlib.suppress(duckdb.Error):
        con.execute("ROLLBACK")


def load_failure(entity: str, year: int, directory: Path, exc: duckdb.Error) -> PipelineError:
    """One line keeping the real cause: a full disk or a failing warehouse file is not a bad
    extract, and running `extract` again would not help."""
    text = str(exc)
    first = (text.strip().splitlines() or [type(exc).__name__])[0]
    target = warehouse_path()
    unchanged = "The warehouse is unchanged."
    for os_text, label in DISK_FULL.items():
        if os_text in text:
            return PipelineError(
                f"load {entity} {year}: {label} writing the warehouse ({target});"
                f" free space there and load again. {unchanged}"
            )
    if str(target) in text:  # any other IO error on the warehouse file or its WAL
        return PipelineError(f"load {entity} {year}: the warehouse failed: {first}. {unchanged}")
    return PipelineError(
        f"Cannot load the extracts in {directory} ({first});"
        f" run `manage.py extract` again. {unchanged}"
    )


def _insert(con: duckdb.DuckDBPyConnection, table: str, paths: list[Path]) -> int:
    if not paths:
        return 0
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise PipelineError(f"Extract file missing: {missing[0]}; run `manage.py extract` again.")
    files = "[" + ", ".join(f"'{p}'" for p in paths) + "]"
    result = con.execute(
        f"INSERT INTO {table} BY NAME SELECT * FROM read_parquet({files}, union_by_name = true)"
    ).fetchall()
    return int(result[0][0]) if result else 0


def source_hash(directory: Path) -> str | None:
    con = duckdb.connect()
    try:
        rows = con.execute(
            "SELECT DISTINCT source_file_hash FROM read_parquet(?)",
            [str(directory / "programs.parquet")],
        ).fetchall()
    finally:
        con.close()
    return rows[0][0] if rows else None
