"""The evidence page of one report figure (docs/reports.md, "Where a number comes from").

`/reports/<ENTITY>/<stem>/evidence/?figure=…` reads the latest build's evidence,
`/reports/<ENTITY>/builds/<id>/<stem>/evidence/?figure=…` that build's own. The file is found
as the report's files are (views/reports.py): through the `Report` or `ReportBuild` row of
that entity and stem (one the user may see, pipeline/access.py), served only from inside the
reports folder, behind the same guard. It
is a normal page under the site's CSP (its filter form and downloads work; no script).
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render

from pipeline_ops.console import evidence_page
from pipeline_ops.console.evidence_page import Source
from pipeline_ops.models import Report, ReportBuild
from pipeline_ops.pipeline import access
from pipeline_ops.views.reports import _inside_reports, _requested, report_guard

TEMPLATE = "reports/evidence.html"


@report_guard
def figure_evidence(request: HttpRequest, entity: str, stem: str,
                    build: int | None = None) -> HttpResponseBase:  # fmt: skip
    report, kept = _found(request, entity, stem, build)
    try:
        asked = evidence_page.asked(request.GET)
    except ValueError as exc:
        return _problem(request, 400, str(exc))
    stored = (kept or report).evidence_path
    if not stored:
        which = f"build {kept.pk} of {stem}" if kept else f"the latest build of {stem}"
        line = f"No evidence is kept for {which}: it was built before reports kept the orders"
        return _problem(request, 404, line + " behind their figures. Build the report again.")
    source = Source(report, kept, _inside_reports(stored))
    if asked.format:
        from pipeline_ops.console.evidence_downloads import download

        return download(source, asked)
    return render(request, TEMPLATE, evidence_page.page_context(source, asked, request.user))


def _found(request: HttpRequest, entity: str, stem: str,
           build: int | None) -> tuple[Report, ReportBuild | None]:  # fmt: skip
    """The report (and build) of that entity and stem, if the user may see its entity, or
    404: a stem is checked as a report file name is, so nothing else (`..`, NUL, 10,000
    characters) reaches a query."""
    stem, _ = _requested(entity, f"{stem}.html")
    if build is None:
        reports = Report.objects.select_related("entity")
        found = access.visible(request.user, reports).filter(entity__code=entity, stem=stem)
        if (report := found.first()) is None:
            raise Http404("No such report")
        return report, None
    builds = ReportBuild.objects.select_related("report__entity")
    found = access.visible(request.user, builds, "report__entity").filter(
        pk=build, report__entity__code=entity, report__stem=stem
    )
    if (kept := found.first()) is None:
        raise Http404("No such build of this report")
    return kept.report, kept


def _problem(request: HttpRequest, status: int, line: str) -> HttpResponse:
    return render(request, TEMPLATE, {"problem": line, "title": "Evidence"}, status=status)
