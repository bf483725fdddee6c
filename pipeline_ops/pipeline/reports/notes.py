"""What a report says about its own data, read from the month-state record (no rule here).

Two audiences, one finding each: a reader's note (what changed and when, in TIME_ZONE
with its name, whom to ask; no commands), and an operator's line (stderr and the run log)
that also says what to run. Only changes to the report's own months and unit count.
These inform and never block (the plan's staleness check); `--force` skips them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pipeline_ops.models import MonthState
from pipeline_ops.pipeline.period import MONTH_NAMES, Period
from pipeline_ops.pipeline.state.read import is_behind, months_of, touches_unit
from pipeline_ops.pipeline.when import local_stamp
from pipeline_ops.pipeline.workbook.sources import source_sha256


@dataclass
class Notes:
    readers: list[str] = field(default_factory=list)  # the report's `warnings`
    operators: list[str] = field(default_factory=list)  # stderr and the run log
    current_hash: str | None = None


def local(moment: datetime) -> str:
    return local_stamp(moment, default_zone=True)  # notes are read outside any request


def report_notes(period: Period, months: list[int], workbook: Path) -> Notes:
    found = Notes(current_hash=source_sha256(workbook))  # never a FIFO nor a link out
    ask = f"ask an operator of {period.entity} to bring the report up to date"
    sync = f"run `manage.py sync --entity {period.entity} --year {period.year}`"
    states = months_of(period.entity, period.year, months)
    behind = [s for s in states.values() if is_behind(s) and touches_unit(s, period.unit or "")]
    for state in sorted(behind, key=lambda s: s.month):
        what = _change(state)
        found.readers.append(f"{what} after these figures were prepared; {ask}.")
        found.operators.append(f"{what} after the last transform: {sync}.")
    loaded = {s.workbook_sha256 for s in states.values() if s.workbook_sha256}
    if found.current_hash and loaded and found.current_hash not in loaded:
        changed = datetime.fromtimestamp(workbook.stat().st_mtime, UTC)
        what = f"The workbook {workbook.name} was replaced on {local(changed)}"
        found.readers.append(f"{what} and is not in these figures yet; {ask}.")
        found.operators.append(f"{what}, after its last extract: {sync} to refresh.")
    return found


def _change(state: MonthState) -> str:
    version = f" (workbook version {state.changed_sha256[:12]})" if state.changed_sha256 else ""
    return (
        f"{MONTH_NAMES[state.month - 1]} {state.year} changed on {local(state.changed_at)}{version}"
    )


def withheld_notices(report: dict) -> list[str]:
    """The plain line at the top of a report over blocked months, one per month:
    `March is withheld: its sheet has 2 errors, first at Maret!I20.` (HTML, XLSX, mail)."""
    return [
        f"{MONTH_NAMES[w['month'] - 1]} is withheld: its sheet has {w['errors']}"
        f" error{'s' if w['errors'] != 1 else ''}, first at {w['first_cell']}."
        for w in report.get("withheld_months") or ()  # a JSON from before withholding
    ]
