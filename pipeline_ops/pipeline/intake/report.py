"""How a preview reads as text (`manage.py intake`): one line per month that changes, then
the totals and the first issues."""

from __future__ import annotations

from pipeline_ops.models import WorkbookVersion
from pipeline_ops.pipeline.period import MONTH_ABBREVIATIONS

SHOWN_ISSUES = 20


def _money(old: int, new: int) -> str:
    delta = new - old
    return f"{old:,} → {new:,} ({delta:+,})" if delta else f"{new:,} (same)"


def month_line(month: dict) -> str:
    name = MONTH_ABBREVIATIONS[month["month"] - 1]
    parts = [f"+{month['added']:,} added", f"-{month['removed']:,} removed",
             f"{month['changed']:,} changed"]  # fmt: skip
    line = f"  {name}: {', '.join(parts)}; revenue {_money(*month['revenue'])};"
    line += f" collected {_money(*month['collected'])}"
    if month["errors"]:
        line += f"; BLOCKED by {month['errors']} error(s)"
    return line


def summary_lines(version: WorkbookVersion) -> list[str]:
    s = version.summary
    base = (
        f"the current workbook ({version.base_sha256[:12]})"
        if version.base_sha256
        else ("no current workbook")
    )
    lines = [f"{version.entity.code} {version.year}: {version.original_name}"
             f" ({s['orders']:,} orders, sha256 {version.sha256[:12]}) against {base}"]  # fmt: skip
    moving = [m for m in s["months"] if m["added"] or m["removed"] or m["changed"] or m["errors"]]
    lines += [month_line(m) for m in moving] or ["  no order changes"]
    lines.append(f"Total: {s['added']:,} added, {s['removed']:,} removed, {s['changed']:,} changed;"
                 f" {s['errors']:,} error(s), {s['warnings']:,} warning(s)")  # fmt: skip
    issues = s["issues"][:SHOWN_ISSUES]
    if issues:
        lines.append(f"First {len(issues)} issue(s):")
    lines += [f"  {i['cell']:<14} {i['severity']:<8} {i['rule']}: {i['message']}" for i in issues]
    return lines
