"""Blocked months: validation errors block their own month, not the year (docs/pipeline.md).

`validate` decides which months are blocked and stores them in the warehouse's
`_blocked_months`, in the same transaction as the issues. dbt leaves their orders out of
the marts; `publish` and `report` refuse them (no `--force` past a block); `sync` carries
on with the clean months and fails naming each blocked month's first cell. An error in
REFERENSI (no month) blocks every month validated with it. Validating a clean workbook
lifts the block.
"""

from __future__ import annotations

import duckdb

from pipeline_ops.pipeline.errors import PipelineError
from pipeline_ops.pipeline.period import MONTH_ABBREVIATIONS
from pipeline_ops.pipeline.schema import ensure_raw_tables


class BlockedMonths(PipelineError):
    """Validation blocked `blocked` (month → first issue); `clean` months may go on."""

    def __init__(self, message: str, blocked: dict[int, str], clean: list[int]):
        super().__init__(message)
        self.blocked = blocked
        self.clean = clean


def blocked_by(issues: list[dict], months: list[int]) -> dict[int, tuple[int, str]]:
    """month → (error count, first error as `cell rule: message`), issues in sheet order."""
    blocked: dict[int, tuple[int, str]] = {}
    errors = [issue for issue in issues if issue["severity"] == "error"]
    for month in months:
        mine = [i for i in errors if i["month"] in (None, month)]
        if mine:
            first = mine[0]
            blocked[month] = (len(mine), f"{first['cell']} {first['rule']}: {first['message']}")
    return blocked


def store(con: duckdb.DuckDBPyConnection, entity: str, year: int, months: list[int],
          blocked: dict[int, tuple[int, str]]) -> None:  # fmt: skip
    """Replace the blocks of `months` (the caller's transaction makes it atomic)."""
    con.execute(
        "DELETE FROM _blocked_months WHERE entity = ? AND year = ? AND month IN ?",
        [entity, year, months],
    )
    rows = [[entity, year, m, n, first] for m, (n, first) in sorted(blocked.items())]
    if rows:
        con.executemany("INSERT INTO _blocked_months VALUES (?, ?, ?, ?, ?)", rows)


def blocked_in(
    con: duckdb.DuckDBPyConnection, entity: str, year: int, months: list[int]
) -> dict[int, tuple[int, str]]:
    ensure_raw_tables(con)  # a warehouse older than blocking has no table yet
    rows = con.execute(
        "SELECT month, errors, first_issue FROM _blocked_months"
        " WHERE entity = ? AND year = ? AND month IN ? ORDER BY month",
        [entity, year, months],
    ).fetchall()
    return {month: (errors, first) for month, errors, first in rows}


def describe(blocked: dict[int, tuple[int, str]]) -> str:
    """`Feb (3 error(s); first: FEB!C7 rule: message), Apr (…)`."""
    return ", ".join(
        f"{MONTH_ABBREVIATIONS[month - 1]} ({n} error(s); first: {first})"
        for month, (n, first) in sorted(blocked.items())
    )


def refuse_blocked(con: duckdb.DuckDBPyConnection, entity: str, year: int, months: list[int],
                   what: str) -> None:  # fmt: skip
    """Refuse to `what` (publish, report) a period with a blocked month; no --force past it."""
    blocked = blocked_in(con, entity, year, months)
    if blocked:
        raise PipelineError(
            f"Refusing to {what}: validation blocks {entity} {year} {describe(blocked)}."
            " Fix the workbook and sync again."
        )
