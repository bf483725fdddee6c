"""`publish`: mart_orders of one entity/year/months → LibSQL ops DB, atomically (docs/publish.md).

Everything the publish writes (new dimension rows, the scoped DELETEs, the new orders and
payments) goes into ONE `batch()`, which libsql-client executes as one transaction: a
failure or a kill at any point leaves the ops DB exactly as before.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from pipeline_ops import opsdb
from pipeline_ops.pipeline.dimensions import Dimensions, mirror
from pipeline_ops.pipeline.errors import PipelineError
from pipeline_ops.pipeline.period import MonthRange
from pipeline_ops.pipeline.runs.calls import StageCall, recorded, tell
from pipeline_ops.pipeline.runs.stage_run import StageContext
from pipeline_ops.pipeline.runs.warehouse import connect
from pipeline_ops.pipeline.stages.publish_facts import ExistingFacts, fact_rows
from pipeline_ops.pipeline.state import read as state

ORDER_COLUMNS = (
    "month", "invoice", "order_date", "student_name", "student_key", "organization",
    "program_code", "program_name", "unit", "price", "discount", "net_amount", "paid",
    "payment_method", "status", "is_cancelled",
)  # fmt: skip
OPS_ORDER_COLUMNS = (
    "id", "entity_id", "year", "month", "invoice", "order_date", "account_id", "person_id",
    "program_id", "unit", "price", "discount", "net_amount", "paid", "payment_method", "status",
    "is_cancelled",
)  # fmt: skip
OPS_PAYMENT_COLUMNS = (
    "id", "entity_id", "year", "month", "order_id", "paid_on", "amount", "method",
)  # fmt: skip


@dataclass
class Plan:
    statements: list = field(default_factory=list)
    orders: int = 0
    payments: int = 0
    new_dimensions: int = 0


def _needs_months(call: StageCall) -> StageCall:
    if call.months is None:
        raise PipelineError("publish needs --month (a month like 2 or a range like 1-3).")
    return call


@recorded("publish", options=("force", "warn"), prepare=_needs_months)
def run_publish(call: StageCall, ctx: StageContext) -> None:
    entity, year, months = call.entity, call.year, call.months
    state.refuse_blocked(entity, year, months.months, "publish")
    problems = refusal_reasons(entity, year, months)
    with connect() as con:
        _refuse_unless(call.option("force", False), problems)
        orders = read_orders(con, entity, year, months)
        empty = empty_months(orders, months)
        _refuse_unless(call.option("force", False), empty)
        problems += empty
        enrollments = count_enrollments(con, entity, year, months)
    for problem in problems:
        (call.option("warn") or call.say)(f"Warning: --force: {problem}")
        ctx.log(f"forced past: {problem}")
    plan, dims = write_ops(entity, year, months, orders)
    mirrored = mirror(ctx.run.entity, dims)
    ctx.row_count = plan.orders
    # What the run page says it replaced in the ops DB (console/outcome.py).
    ctx.run.options = {**ctx.run.options, "published": [plan.orders, plan.payments]}
    tell(call, ctx, (
        f"Published {entity} {year} month {months}: {plan.orders:,} orders"
        f" ({enrollments:,} enrollments), {plan.payments:,} payments,"
        f" {plan.new_dimensions:,} new dimension rows ({mirrored:,} cache rows updated)."
    ))  # fmt: skip


def _refuse_unless(force: bool, problems: list[str]) -> None:
    if problems and not force:
        raise PipelineError(" ".join(problems) + " Sync again, or publish anyway with --force.")


def refusal_reasons(entity: str, year: int, months: MonthRange) -> list[str]:
    """Why each month may not be published (past --force), as its month state says: nothing
    loaded, or data changed since the marts were built. A blocked month is refused before,
    without --force."""
    found = state.months_of(entity, year, months.months)
    reasons = []
    for month in months.months:
        if month not in found or not found[month].has_data:
            reasons.append(f"Month {month}: nothing has been loaded for {entity} {year}.")
        elif state.is_behind(found[month]):
            reasons.append(f"Month {month}: the transform is older than its latest load.")
    return reasons


def empty_months(orders: list[tuple], months: MonthRange) -> list[str]:
    """Publishing a month with no orders would wipe it from the ops DB: say so instead."""
    present = {row[0] for row in orders}
    return [
        f"Month {month}: the warehouse has no orders for it."
        for month in months.months
        if month not in present
    ]


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    sql = "SELECT count(*) FROM information_schema.tables WHERE table_name = ?"
    return con.execute(sql, [name]).fetchone()[0] > 0


def read_orders(
    con: duckdb.DuckDBPyConnection, entity: str, year: int, months: MonthRange
) -> list[tuple]:
    if not _has_table(con, "mart_orders"):
        raise PipelineError(f"The warehouse has no mart_orders yet: run `sync` for {entity} first.")
    return con.execute(
        f"SELECT {', '.join(ORDER_COLUMNS)} FROM mart_orders"
        " WHERE entity = ? AND year = ? AND month BETWEEN ? AND ? ORDER BY month, invoice",
        [entity, year, months.start, months.end],
    ).fetchall()


def count_enrollments(
    con: duckdb.DuckDBPyConnection, entity: str, year: int, months: MonthRange
) -> int:
    if not _has_table(con, "mart_enrollments"):
        return 0
    return con.execute(
        "SELECT count(*) FROM mart_enrollments WHERE entity = ? AND year = ?"
        " AND month BETWEEN ? AND ?",
        [entity, year, months.start, months.end],
    ).fetchone()[0]


def write_ops(
    entity: str, year: int, months: MonthRange, orders: list[tuple]
) -> tuple[Plan, Dimensions]:
    with opsdb.connect() as client:
        try:
            opsdb.ensure_schema(client)
            dims = Dimensions.load(client, entity)
            plan = build_statements(client, dims, year, months, orders)
        except opsdb.OpsDbError as exc:
            where = opsdb.describe_url(client.url)
            raise PipelineError(f"Cannot read the ops DB {where}: {exc}") from exc
        opsdb.run_batch(client, plan.statements)
    return plan, dims


def build_statements(
    client: opsdb.Client, dims: Dimensions, year: int, months: MonthRange, orders: list[tuple]
) -> Plan:
    """The whole publish as one list of statements: dimensions, DELETEs, then INSERTs."""
    ids = ExistingFacts.load(client, dims.entity_id, year)
    order_rows, payment_rows = fact_rows(dims, ids, year, orders)
    eid = dims.entity_id
    plan = Plan(orders=len(order_rows), payments=len(payment_rows))
    plan.statements += dims.statements()
    plan.new_dimensions = dims.new_row_count()
    plan.statements += ids.delete_statements(eid, year, months, {r[4] for r in order_rows})
    plan.statements += opsdb.insert_statements("commerce_order", OPS_ORDER_COLUMNS, order_rows)
    plan.statements += opsdb.insert_statements(
        "finance_transaction", OPS_PAYMENT_COLUMNS, payment_rows
    )
    return plan
