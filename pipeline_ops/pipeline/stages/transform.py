"""`transform`: a scoped `dbt build` of analytics/ (docs/pipeline.md, "Scoped builds").

A build is asked for a list of entity-years (its scope): they are written to the
warehouse's `_build_scope` under the lock, the marts replace only their rows and the tests
check only them, so another entity's data can neither fail nor slow the build. dbt runs in
a subprocess (pipeline_ops/pipeline/dbt.py) while this process keeps the lock and no open
connection. A `--select` build is recorded `partial`: it never counts as the transform
that made the marts current.
"""

from __future__ import annotations

from datetime import date

import duckdb

from pipeline_ops.pipeline.dbt import DbtResult, failure_message, run_dbt_build
from pipeline_ops.pipeline.errors import PipelineError
from pipeline_ops.pipeline.runs.calls import StageCall, recorded
from pipeline_ops.pipeline.runs.locking import pipeline_lock
from pipeline_ops.pipeline.runs.stage_run import StageContext
from pipeline_ops.pipeline.runs.warehouse import connect, released
from pipeline_ops.pipeline.schema import RAW_TABLES, ensure_raw_tables

Scope = list[tuple[str, int]]


def build(scope: Scope, select: str | None = None) -> DbtResult:
    """One dbt build of `scope`. The caller holds the pipeline lock; the stage's connection
    is closed while dbt has the file. Raises PipelineError when dbt selected nothing."""
    with connect() as con:
        write_build_scope(con, scope)
    with released():  # dbt is another process: it needs the file to itself
        result = run_dbt_build(select)
    if result.returncode == 0 and not result.nodes:
        raise PipelineError(
            f"dbt selected nothing for --select {select}: no model or test matches it."
            if select
            else "dbt selected nothing: the analytics project has no models."
        )
    return result


def write_build_scope(con: duckdb.DuckDBPyConnection, scope: Scope) -> None:
    ensure_raw_tables(con)
    con.execute("BEGIN TRANSACTION")
    con.execute("DELETE FROM _build_scope")
    con.executemany("INSERT INTO _build_scope VALUES (?, ?)", [list(pair) for pair in scope])
    con.execute("COMMIT")


def count_built_rows(result: DbtResult) -> tuple[dict[str, int], int]:
    """Rows in scope in each model built (dbt-duckdb reports no rows_affected); the total is
    the marts'."""
    built = [n["name"] for n in result.nodes if n["type"] == "model" and n["status"] == "success"]
    if not built:
        return {}, 0
    scoped = "WHERE (entity, year) IN (SELECT entity, year FROM _build_scope)"
    with connect(read_only=True) as con:
        counts = {name: con.execute(f'SELECT count(*) FROM main."{name}" {scoped}').fetchone()[0]
                  for name in built}  # fmt: skip
    marts = [count for name, count in counts.items() if name.startswith("mart_")]
    return counts, sum(marts) if marts else sum(counts.values())


def log_result(ctx: StageContext, result: DbtResult, counts: dict[str, int]) -> None:
    ctx.log(f"$ {' '.join(result.command)}")
    ctx.log(f"dbt exit code {result.returncode} in {result.seconds:.2f}s")
    for node in result.nodes:
        rows = counts.get(node["name"], node["rows_affected"])
        extra = f" rows={rows}" if rows is not None else ""
        extra += f" failures={node['failures']}" if node["failures"] else ""
        ctx.log(f"  {node['type']} {node['name']}: {node['status']} {node['seconds']:.2f}s{extra}")
    ctx.log("dbt output (tail):")
    ctx.log("\n".join(f"  {line}" for line in result.tail()))


def _loaded_tables(con) -> set[str]:
    return {row[0] for row in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}


def default_year(entity: str) -> int:
    """The newest year loaded for the entity, else this year."""
    with pipeline_lock({"stage": "transform", "entity": entity}), connect() as con:
        if "raw_orders" not in _loaded_tables(con):
            return date.today().year
        (year,) = con.execute(
            "SELECT max(year) FROM raw_orders WHERE entity = ?", [entity]
        ).fetchone()
    return year or date.today().year


def require_raw_tables(entity: str, year: int) -> None:
    """dbt's own error for a fresh warehouse is a page of catalog errors; say it plainly.
    The connection is closed again before dbt starts."""
    with connect(read_only=True) as con:
        missing = sorted(set(RAW_TABLES) - _loaded_tables(con))
    if missing:
        raise PipelineError(
            f"The warehouse has no {', '.join(missing)} yet: load data first with "
            f"`manage.py sync --entity {entity} --year {year}`."
        )


def _default_year(call: StageCall) -> StageCall:
    return call if call.year is not None else call.but(year=default_year(call.entity))


@recorded("transform", options=("select", "scope"), prepare=_default_year)
def run_transform(call: StageCall, ctx: StageContext) -> None:
    """Build the entity-year of the call (or the `scope` given); the run is recorded for
    `entity`/`year`. Raises PipelineError naming the failing node(s)."""
    require_raw_tables(call.entity, call.year)
    select = call.option("select")
    result = build(call.option("scope") or [(call.entity, call.year)], select)
    finish(ctx, result, partial=bool(select))
    call.say(_summary(result))


def finish(ctx: StageContext, result: DbtResult, *, partial: bool) -> None:
    """Log the build into the run; raise for a failed one, mark a `--select` one partial."""
    counts, total = count_built_rows(result) if result.returncode == 0 else ({}, None)
    log_result(ctx, result, counts)
    if result.returncode != 0:
        raise PipelineError(failure_message(result))
    ctx.row_count = total
    if partial:
        ctx.outcome = "partial"


def _summary(result: DbtResult) -> str:
    by_type: dict[str, int] = {}
    for node in result.nodes:
        by_type[node["type"]] = by_type.get(node["type"], 0) + 1
    parts = ", ".join(f"{count} {kind}s" for kind, count in sorted(by_type.items()))
    return f"dbt build passed: {parts or 'no nodes selected'} in {result.seconds:.1f}s"
