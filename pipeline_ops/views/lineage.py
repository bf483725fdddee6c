"""From one order back to the reports that counted it (docs/reports.md, "Where a number comes
from"): `/reports/<ENTITY>/orders/?year=2026&invoice=INV-1`, or `&cell=FEB!H14` for the order
a validation issue's cell names. Linked from the evidence page's invoices, the admin's
validation issues and the intake diff's orders (console/order_reports.order_reports_url).

Behind the report files' guard (views/reports.report_guard): anonymous → login, no
`view_report` → 403; an entity the user may not see answers 404 as an unknown one does
(pipeline/access.py). A page, not a report file: the site's CSP, not the report's sandbox.
Bad input answers 400 with one line. Only evidence files are read, never the warehouse.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from pipeline_ops.console import order_reports as page
from pipeline_ops.models import Entity
from pipeline_ops.pipeline import access
from pipeline_ops.pipeline.entities import ENTITY_CODE_RE
from pipeline_ops.views.reports import report_guard

TEMPLATE = "reports/order_reports.html"


@report_guard
def order_reports(request: HttpRequest, entity: str) -> HttpResponse:
    # The code is checked before any query: NUL or 10,000 characters never reach the database.
    visible = access.visible(request.user, Entity.objects.all(), "pk")
    found = visible.filter(code=entity).first() if ENTITY_CODE_RE.match(entity) else None
    if found is None:
        return _problem(request, 404, f"No entity {entity[:40]!r}.")
    try:
        asked = page.asked(request.GET)
    except ValueError as exc:
        return _problem(request, 400, str(exc))
    return render(request, TEMPLATE, page.page_context(found, asked))


def _problem(request: HttpRequest, status: int, line: str) -> HttpResponse:
    return render(request, TEMPLATE, {"problem": line, "title": "An order's reports"},
                  status=status)  # fmt: skip
