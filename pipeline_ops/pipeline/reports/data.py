"""The numbers of a report (docs/reports.md), read from the warehouse marts.

A period is a list of (year, month) pairs so the "previous" period can cross a year
boundary (Q1's previous is the prior year's October–December).
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import duckdb

from pipeline_ops.pipeline.errors import PipelineError

YearMonth = tuple[int, int]
TOP_ORGANIZATIONS = 10
NO_ORGANIZATION = "(no organization)"


def pct(numerator: int | None, divisor: int | None) -> float | None:
    """numerator/divisor as a percentage, one decimal, half away from zero; None when undefined."""
    if numerator is None or not divisor:
        return None
    value = Decimal(numerator) * 100 / Decimal(divisor)
    # `+ 0.0` turns a rounded -0.0 into 0.0: "-0.0%" would read as a loss.
    return float(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)) + 0.0


def change_pct(actual: int, previous: int | None) -> float | None:
    return None if previous is None else pct(actual - previous, previous)


def _keys(period: list[YearMonth]) -> list[int]:
    return [y * 100 + m for y, m in period]


def _query(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> list[tuple]:
    try:
        return con.execute(sql, params).fetchall()
    except duckdb.CatalogException as exc:
        raise PipelineError(
            "The warehouse has no report tables yet: run `manage.py sync` for this entity first."
        ) from exc


def loaded_months(con: duckdb.DuckDBPyConnection, entity: str, years: set[int]) -> set[YearMonth]:
    """Months whose orders reached the marts (the mart has rows for every loaded month)."""
    rows = _query(
        con,
        "SELECT DISTINCT year, month FROM mart_revenue_monthly"
        " WHERE entity = ? AND list_contains(?, year)",
        [entity, sorted(years)],
    )
    return {(int(y), int(m)) for y, m in rows}


def _of_unit(unit: str | None) -> tuple[str, list]:
    """The WHERE clause's unit condition: none for the whole entity, else the mart's `unit`
    column (the order's unit in revenue and enrollments, the program's in programs)."""
    return ("", []) if unit is None else (" AND unit = ?", [unit])


def revenue_rows(con, entity: str, period: list[YearMonth], unit: str | None = None) -> list[dict]:
    where, params = _of_unit(unit)
    rows = _query(
        con,
        "SELECT year, month, unit, revenue, target, collected, orders, cancelled"
        " FROM mart_revenue_monthly WHERE entity = ? AND list_contains(?, year * 100 + month)"
        + where,
        [entity, _keys(period), *params],
    )
    names = ("year", "month", "unit", "revenue", "target", "collected", "orders", "cancelled")
    return [
        {k: (v if k == "unit" else int(v or 0)) for k, v in zip(names, row, strict=True)}
        for row in rows
    ]


def program_rows(con, entity: str, period: list[YearMonth], unit: str | None = None) -> list[tuple]:
    """Per program: code, name, unit, enrollments, target, revenue. A unit report lists the
    unit's programs and counts only the unit's orders (an order keeps its own Unit cell, so
    a DR order of a TM program counts in the DR report, under that program, target 0)."""
    if unit is not None:
        return _unit_program_rows(con, entity, period, unit)
    return _query(
        con,
        "SELECT program_code, any_value(program_name), any_value(unit), sum(enrollments),"
        " sum(target), sum(revenue) FROM mart_program_progress"
        " WHERE entity = ? AND list_contains(?, year * 100 + month)"
        " GROUP BY program_code ORDER BY any_value(unit) DESC, program_code",
        [entity, _keys(period)],
    )


def _unit_program_rows(con, entity: str, period: list[YearMonth], unit: str) -> list[tuple]:
    keys = _keys(period)
    return _query(
        con,
        "WITH p AS (SELECT program_code, any_value(program_name) AS name, any_value(unit) AS"
        " unit, sum(target) AS target FROM mart_program_progress WHERE entity = ?"
        " AND list_contains(?, year * 100 + month) GROUP BY program_code),"
        " e AS (SELECT program_code, count(*) AS n, sum(net_amount) AS revenue"
        " FROM mart_enrollments WHERE entity = ? AND list_contains(?, year * 100 + month)"
        " AND unit = ? GROUP BY program_code)"
        " SELECT p.program_code, p.name, p.unit, coalesce(e.n, 0),"
        " CASE WHEN p.unit = ? THEN p.target ELSE 0 END, coalesce(e.revenue, 0)"
        " FROM p LEFT JOIN e USING (program_code) WHERE p.unit = ? OR e.n IS NOT NULL"
        " ORDER BY p.unit = ? DESC, p.unit DESC, p.program_code",
        [entity, keys, entity, keys, unit, unit, unit, unit],
    )


def organization_rows(
    con, entity: str, period: list[YearMonth], unit: str | None = None
) -> list[tuple]:
    where, params = _of_unit(unit)
    return _query(
        con,
        "SELECT coalesce(nullif(organization, ''), ?) AS name, count(DISTINCT student_key),"
        " sum(net_amount) AS revenue FROM mart_enrollments"
        f" WHERE entity = ? AND list_contains(?, year * 100 + month){where}"
        " GROUP BY name ORDER BY revenue DESC, name LIMIT ?",
        [NO_ORGANIZATION, entity, _keys(period), *params, TOP_ORGANIZATIONS],
    )


def daily_rows(con, entity: str, period: list[YearMonth], unit: str | None = None) -> list[tuple]:
    """(order_date, revenue) per day: mart_enrollments holds the non-cancelled orders and
    their net amount, so a day's revenue follows the same rule as the month's."""
    where, params = _of_unit(unit)
    return _query(
        con,
        "SELECT order_date, sum(net_amount) FROM mart_enrollments"
        " WHERE entity = ? AND list_contains(?, year * 100 + month) AND order_date IS NOT NULL"
        f"{where} GROUP BY order_date ORDER BY order_date",
        [entity, _keys(period), *params],
    )


def daily_section(rows: list[tuple], year: int, month: int) -> list[dict]:
    """Every day of the month, zero when nothing was sold, so a chart's days line up."""
    amounts = {day: int(amount or 0) for day, amount in rows}
    days = calendar.monthrange(year, month)[1]
    return [
        {"date": day.isoformat(), "actual": amounts.get(day, 0)}
        for day in (date(year, month, d) for d in range(1, days + 1))
    ]


def _sum(rows: list[dict], key: str, unit: str | None = None) -> int:
    return sum(r[key] for r in rows if unit is None or r["unit"] == unit)


def revenue_section(
    rows: list[dict], previous: list[dict] | None, months: list[int], unit: str | None = None
) -> dict:
    actual, target = _sum(rows, "revenue"), _sum(rows, "target")
    collected = _sum(rows, "collected")
    prev_total = _sum(previous, "revenue") if previous is not None else None
    return {
        "actual": actual,
        "target": target,
        "achievement_pct": pct(actual, target),
        "previous": prev_total,
        "change_pct": change_pct(actual, prev_total),
        "collected": collected,
        "outstanding": actual - collected,
        "by_unit": _by_unit(rows, previous, unit),
        "by_month": _by_month(rows, months),
    }


def _by_unit(rows: list[dict], previous: list[dict] | None, only: str | None) -> list[dict]:
    # A unit report has that unit's row even when the unit sold nothing and had no target.
    units = (
        [only] if only else sorted({r["unit"] for r in rows + (previous or [])}, key=_unit_order)
    )
    result = []
    for unit in units:
        actual, target = _sum(rows, "revenue", unit), _sum(rows, "target", unit)
        prev = _sum(previous, "revenue", unit) if previous is not None else None
        result.append(
            {
                "unit": unit,
                "actual": actual,
                "target": target,
                "achievement_pct": pct(actual, target),
                "previous": prev,
                "change_pct": change_pct(actual, prev),
            }
        )
    return result


def _unit_order(unit: str) -> tuple[int, str]:
    # In-person (TM) first, as the business reads it; unknown units after, alphabetically.
    return ({"TM": 0, "DR": 1}.get(unit, 2), unit or "")


def _by_month(rows: list[dict], months: list[int]) -> list[dict]:
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for r in rows:
        totals[r["month"]][0] += r["revenue"]
        totals[r["month"]][1] += r["target"]
        totals[r["month"]][2] += r["collected"]
    return [
        {"month": m, "actual": actual, "target": target, "collected": collected,
         "outstanding": actual - collected}
        for m, (actual, target, collected) in ((m, totals[m]) for m in months)
    ]  # fmt: skip


def programs_section(rows: list[tuple]) -> list[dict]:
    return [
        {
            "code": code,
            "name": name,
            "unit": unit,
            "enrollments": int(enrollments or 0),
            "target": int(target or 0),
            "achievement_pct": pct(int(enrollments or 0), int(target or 0)),
            "revenue": int(revenue or 0),
        }
        for code, name, unit, enrollments, target, revenue in rows
    ]


def organizations_section(rows: list[tuple]) -> list[dict]:
    return [
        {"name": name, "students": int(students), "revenue": int(revenue or 0)}
        for name, students, revenue in rows
    ]
