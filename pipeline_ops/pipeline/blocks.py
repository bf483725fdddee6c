"""Blocked months: validation errors block their own month, not the year (docs/pipeline.md).

`validate` decides which months are blocked and stores them in the warehouse's
`_blocked_months` (for dbt), in the same transaction as the issues, and in its run's
verdict (the month-state record, pipeline/state/, that everything else reads). dbt leaves
their orders out of the marts; `publish` refuses them, a report withholds them; `sync`
carries on with the clean months and fails naming each blocked month's first cell. An
error in REFERENSI (no month) blocks every month validated with it. Validating a clean
workbook lifts the block.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipeline_ops.pipeline.errors import PipelineError
from pipeline_ops.pipeline.period import MONTH_ABBREVIATIONS

if TYPE_CHECKING:  # the driver loads where a warehouse is opened, not with the admin
    import duckdb


class BlockedMonths(PipelineError):
    """Validation blocked `blocked` (month → first issue); `clean` months may go on."""

    def __init__(self, message: str, blocked: dict[int, str], clean: list[int]):
        super().__init__(message)
        self.blocked = blocked
        self.clean = clean


def blocked_by(issues: list[dict], months: list[int]) -> dict[int, tuple[int, str, str]]:
    """month → (error count, first error's cell, first error as `cell rule: message`),
    issues in sheet order."""
    blocked: dict[int, tuple[int, str, str]] = {}
    errors = [issue for issue in issues if issue["severity"] == "error"]
    for month in months:
        mine = [i for i in errors if i["month"] in (None, month)]
        if mine:
            first = mine[0]
            text = f"{first['cell']} {first['rule']}: {first['message']}"
            blocked[month] = (len(mine), first["cell"], text)
    return blocked


def store(con: duckdb.DuckDBPyConnection, entity: str, year: int, months: list[int],
          blocked: dict[int, tuple[int, str, str]]) -> None:  # fmt: skip
    """Replace the blocks of `months` (the caller's transaction makes it atomic)."""
    con.execute(
        "DELETE FROM _blocked_months WHERE entity = ? AND year = ? AND month IN ?",
        [entity, year, months],
    )
    rows = [[entity, year, m, n, first] for m, (n, _cell, first) in sorted(blocked.items())]
    if rows:
        con.executemany("INSERT INTO _blocked_months VALUES (?, ?, ?, ?, ?)", rows)


def describe(blocked: dict[int, tuple[int, str, str]]) -> str:
    """`Feb (3 error(s); first: FEB!C7 rule: message), Apr (…)`."""
    return ", ".join(
        f"{MONTH_ABBREVIATIONS[month - 1]} ({n} error(s); first: {first})"
        for month, (n, _cell, first) in sorted(blocked.items())
    )
