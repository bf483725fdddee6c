"""From one order back to the reports that counted it (docs/reports.md)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse

from pipeline_ops.views.reports import report_file_view


@report_file_view
def order_reports(request: HttpRequest, entity: str) -> HttpResponse:
    raise Http404("not built yet")
