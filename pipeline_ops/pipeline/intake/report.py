"""How a preview reads as text: money in rupiah (`Rp 1.250.000`, the reports' style), an
order of the diff by who and how much, and `manage.py intake`'s lines (one per month that
changes, then the totals and the first issues)."""

from __future__ import annotations

from pipeline_ops.models import WorkbookVersion
from pipeline_ops.pipeline.intake.diff import MONEY
from pipeline_ops.pipeline.period import MONTH_ABBREVIATIONS
from pipeline_ops.pipeline.reports.labels import rupiah

SHOWN_ISSUES = 20


def signed_rupiah(delta: int) -> str:
    """`+Rp 1.400.000`, `−Rp 100.000`: a difference."""
    return ("+" if delta > 0 else "") + rupiah(delta)


def field_value(field: str, value: str | None) -> str:
    """A diff's typed value as staff read it: money in rupiah, a missing one as ∅."""
    if value is None:
        return "∅"
    if field in MONEY and value.lstrip("-").isdigit():
        return rupiah(int(value))
    return value


def order_name(invoice: str, order: dict) -> str:
    """The invoice, or `row without invoice (MAR!C41)` for a row that has none."""
    return f"row without invoice ({order['cell']})" if order.get("cell") else invoice


def order_words(order: dict) -> str:
    """Who and how much: `Budi Santoso · TM-SD-REG · Rp 1.500.000 · LUNAS`."""
    parts = (order.get("student"), order.get("program"), order.get("status"))
    student, program, status = (p or "∅" for p in parts)
    return f"{student} · {program} · {rupiah(order.get('amount'))} · {status}"


def _money(old: int, new: int) -> str:
    delta = new - old
    if not delta:
        return f"{rupiah(new)} (same)"
    return f"{rupiah(old)} → {rupiah(new)} ({signed_rupiah(delta)})"


def month_line(month: dict) -> str:
    name = MONTH_ABBREVIATIONS[month["month"] - 1]
    parts = [f"+{month['added']:,} added", f"-{month['removed']:,} removed",
             f"{month['changed']:,} changed"]  # fmt: skip
    line = f"  {name}: {', '.join(parts)}; revenue {_money(*month['revenue'])};"
    line += f" collected {_money(*month['collected'])}"
    if month["errors"]:
        line += f"; BLOCKED by {month['errors']:,} error(s)"
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
                 f" {s['errors']:,} error(s), {s['warnings']:,} warning(s)"
                 f" ({s.get('new_issues', 0):,} new in this version)")  # fmt: skip
    issues = s["issues"][:SHOWN_ISSUES]
    if issues:
        lines.append(f"First {len(issues)} issue(s):")
    lines += [f"  {i['cell']:<14} {i['severity']:<8} {i['rule']}: {i['message']}" for i in issues]
    return lines
