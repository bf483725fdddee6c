"""What an order's reports page says (docs/reports.md, "Where a number comes from"): outcome
first, `INV-1 · IONS 2026 is counted in 3 reports`, then each report whose LATEST build's
evidence holds the order (its period, type and unit, the order's part of it, the report and
the evidence of a figure the order is in), then the earlier builds that held it too.

The order is asked by invoice (`?year=2026&invoice=INV-1`: evidence rows, diff rows) or by
the workbook cell a validation issue names (`?year=2026&cell=FEB!H14`): the order typed on
that row in the workbook the reports were last built from. Only evidence files are read
(evidence/orders.py, in memory), found through Report and ReportBuild rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from django.http import Http404, QueryDict
from django.urls import reverse

from pipeline_ops.models import Entity, Report, ReportBuild
from pipeline_ops.pipeline.evidence.figures import Figure
from pipeline_ops.pipeline.period import MAX_YEAR, MIN_YEAR
from pipeline_ops.pipeline.reports.delivery import report_words
from pipeline_ops.pipeline.reports.labels import local_time, rupiah
from pipeline_ops.pipeline.reports.links import build_path, evidence_query, stable_path
from pipeline_ops.pipeline.workbook.rules import ORDER_RULES
from pipeline_ops.views.reports import _inside_reports

ALLOWED = ("year", "invoice", "cell")
INVOICE = re.compile(r"[^\x00-\x1f\x7f-\x9f]{1,200}")  # WorkbookChange.invoice's 200
CELL = re.compile(r"(?P<sheet>[^!\x00-\x1f\x7f-\x9f]{1,31})!\$?[A-Z]{1,3}\$?(?P<row>[0-9]{1,7})")
# The validation rules (workbook/rules.py) whose issue sits on one order's row of a month
# sheet, so its cell names that order; an unknown organization is many orders', a missing
# invoice none that a report could hold.
ORDER_ROW_RULES = frozenset(
    r.code for r in ORDER_RULES if r.source != "org_first" and r.code != "missing_invoice"
)
EARLIER = 200  # earlier builds read at most, newest first: the page stays fast
SPAN_ORDER = {"monthly": 0, "quarterly": 1, "yearly": 2}


@dataclass(frozen=True)
class Asked:
    year: int
    invoice: str = ""
    cell: str = ""  # `FEB!H14`, as a validation issue names it
    sheet: str = ""
    row: int = 0


def asked(query: QueryDict) -> Asked:
    """The request's query; ValueError with one line saying what is wrong."""
    unknown = sorted(set(query) - set(ALLOWED))
    if unknown:
        raise ValueError(f"unknown parameter(s): {', '.join(repr(k[:40]) for k in unknown[:5])}")
    if twice := [key for key in ALLOWED if len(query.getlist(key)) > 1]:
        raise ValueError(f"{twice[0]} is given more than once")
    year, invoice, cell = (query.get(key, "").strip() for key in ALLOWED)
    if not (year.isascii() and year.isdigit() and len(year) == 4
            and MIN_YEAR <= int(year) <= MAX_YEAR):  # fmt: skip
        raise ValueError(f"year {year[:20]!r} is not a year ({MIN_YEAR}-{MAX_YEAR})")
    if bool(invoice) == bool(cell):
        raise ValueError("name the order by its invoice (invoice=INV-1) or its cell (cell=FEB!H14)")
    if invoice:
        if not INVOICE.fullmatch(invoice):
            raise ValueError(f"invoice {invoice[:40]!r} is not an invoice number (at most 200"
                             " printable characters)")  # fmt: skip
        return Asked(int(year), invoice)
    found = CELL.fullmatch(cell)
    if found is None:
        raise ValueError(f"cell {cell[:40]!r} is not a workbook cell like FEB!H14")
    return Asked(int(year), cell=cell, sheet=found["sheet"], row=int(found["row"]))


@dataclass
class _Files:
    """The entity-year's reports, their latest evidence files and earlier builds' files."""

    reports: list[Report]
    latest: dict[str, Report]  # evidence file → the report it is the latest build of
    earlier: dict[str, ReportBuild]  # evidence file → the earlier build it belongs to
    built: dict[int, datetime]  # report id → when its latest build was made
    unsearched: int  # reports built before evidence was kept


def _files(entity: Entity, year: int) -> _Files:
    reports = sorted(
        Report.objects.filter(entity=entity, year=year).select_related("entity"),
        key=lambda r: (SPAN_ORDER.get(r.type, 3), r.month_start, r.month_end, r.unit),
    )
    latest = {path: r for r in reports if (path := _kept(r.evidence_path))}
    builds = (ReportBuild.objects.filter(report__in=reports).exclude(evidence_path="")
              .select_related("report__entity").order_by("-generated_at", "-id"))  # fmt: skip
    built, earlier = {}, {}
    for build in builds:
        if build.report_id not in built:  # its newest build: the report's own files
            built[build.report_id] = build.generated_at
        elif len(earlier) < EARLIER and (path := _kept(build.evidence_path)):
            earlier[path] = build
    return _Files(reports, latest, earlier, built, len(reports) - len(latest))


def _kept(stored: str) -> str:
    """The evidence file a row names, only from inside the reports folder (the report files'
    own guard, views/reports.py); "" for none, a missing file or anywhere else."""
    if not stored:
        return ""
    try:
        return str(_inside_reports(stored))
    except Http404:
        return ""


def page_context(entity: Entity, asked: Asked) -> dict:
    """Everything the template shows."""
    from pipeline_ops.pipeline.evidence.orders import invoices_at, order_rows  # duckdb: on use

    files = _files(entity, asked.year)
    context = {"entity": entity, "asked": asked, "title": f"{entity.code} {asked.year}",
               "reports_checked": len(files.latest), "earlier_checked": len(files.earlier),
               "unsearched": files.unsearched,
               "since": _since(files), "counted": [], "earlier": [], "candidates": []}  # fmt: skip
    invoice = asked.invoice
    if asked.cell:
        found = invoices_at(list(files.latest), entity.code, asked.year, asked.sheet, asked.row)
        if len(found) != 1:  # none, or the row held other orders in other builds: pick one
            context["candidates"] = [
                (i, order_reports_url(entity.code, asked.year, i)) for i in found
            ]
            return context
        invoice = found[0]
    rows = order_rows([*files.latest, *files.earlier], entity.code, asked.year, invoice)
    counted = [_counted(files.latest[p], row, files.built) for p, row in rows.items()
               if p in files.latest]  # fmt: skip
    context["counted"] = sorted(counted, key=lambda c: files.reports.index(c["report"]))
    context["earlier"] = _earlier(files, rows, {c["report"].pk for c in counted})
    context["invoice"] = next(iter(rows.values()))["invoice"] if rows else invoice
    context["title"] = f"{context['invoice']} · {entity.code} {asked.year}"
    return context


def _since(files: _Files) -> str:
    """When the oldest of the searched latest builds was made: nothing built since missed."""
    stamps = [files.built.get(r.pk, r.updated) for r in files.latest.values()]
    return local_time(min(stamps).isoformat()) if stamps else ""


def _counted(report: Report, row: dict, built: dict[int, datetime]) -> dict:
    figure, words = _figure(row)
    entity, stem = report.entity.code, report.stem
    return {
        "built": local_time(built.get(report.pk, report.updated).isoformat()),
        "report": report, "title": report_words(report), "type": report.type,
        "unit": report.unit or "all units", "status": row["status"] or "–",
        "cancelled": bool(row["is_cancelled"]), "revenue": rupiah(row["revenue"]),
        "collected": rupiah(row["collected"]), "cell": row["invoice_cell"] or "",
        "report_href": stable_path(entity, stem),
        "evidence_href": _evidence(reverse("figure_evidence", args=[entity, stem]), figure),
        "figure_words": words,
    }  # fmt: skip


def _figure(row: dict) -> tuple[Figure, str]:
    """A figure the order is part of, and its words: its program's revenue; a cancelled
    order is in the count of cancelled orders; one worth nothing in the orders count."""
    if not row["is_cancelled"] and row["revenue"] and row["program_code"]:
        return Figure("revenue", program=row["program_code"]), f"{row['program_code']} revenue"
    if row["is_cancelled"]:
        return Figure("orders", status="BATAL"), "cancelled orders"
    return Figure("orders"), "orders"


def _evidence(base: str, figure: Figure) -> str:
    return f"{base}?{evidence_query(figure)}"


def _earlier(files: _Files, rows: dict[str, dict], counted: set[int]) -> list[dict]:
    """Per report, the earlier builds that held the order: how many, and the newest of them
    (its own evidence page), for reports whose latest build counts it or no longer does."""
    found: dict[int, dict] = {}
    for path, build in files.earlier.items():  # newest first
        if path not in rows:
            continue
        item = found.setdefault(build.report_id, {"report": build.report, "builds": 0,
                                                  "newest": build, "row": rows[path]})  # fmt: skip
        item["builds"] += 1
    for item in found.values():
        report, build = item["report"], item["newest"]
        figure, words = _figure(item["row"])
        code = report.entity.code
        evidence = reverse("build_figure_evidence", args=[code, build.pk, report.stem])
        item |= {"title": report_words(report), "still": report.pk in counted,
                 "built": local_time(build.generated_at.isoformat()), "figure_words": words,
                 "build_href": build_path(code, build.pk, report.stem),
                 "evidence_href": _evidence(evidence, figure)}  # fmt: skip
    return sorted(found.values(), key=lambda i: files.reports.index(i["report"]))


def order_reports_url(entity: str, year: int, invoice: str = "", cell: str = "") -> str:
    """`/reports/IONS/orders/?year=2026&invoice=INV-1` (or `&cell=FEB!H14`): the one place
    the admin's issue and diff rows and this page spell the address."""
    key, value = ("invoice", invoice) if invoice else ("cell", cell)
    return f"{reverse('order_reports', args=[entity])}?{urlencode({'year': year, key: value})}"


def issue_url(entity: str, year: int, month: int | None, rule: str, cell: str, value: str) -> str:
    """The reports of the order a validation issue is on, or "" when it is on no one order
    (REFERENSI rows have no month). A duplicate invoice names the invoice: its own month is
    blocked, the reports counted the first order of that number."""
    if not month or rule not in ORDER_ROW_RULES:
        return ""
    if rule == "duplicate_invoice" and INVOICE.fullmatch(value or ""):
        return order_reports_url(entity, year, invoice=value)
    return order_reports_url(entity, year, cell=cell) if CELL.fullmatch(cell or "") else ""
