"""The evidence page of one report figure (docs/reports.md, "Where a number comes from")."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse

from pipeline_ops.views.reports import report_file_view


@report_file_view
def figure_evidence(request: HttpRequest, entity: str, stem: str,
                    build: int | None = None) -> HttpResponse:  # fmt: skip
    raise Http404("not built yet")
