"""The stable report addresses (docs/reports.md, "Stable addresses and earlier builds").

`/reports/<ENTITY>/<FILE>` serves the latest build of a report, `/reports/<ENTITY>/builds/
<id>/<FILE>` one kept build. The file is found through its `Report` or `ReportBuild` row,
never by joining the URL onto a folder, and is served only from inside the reports folder
(views._inside_reports): a crafted address is a 404, whatever it holds.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control

from pipeline_ops.models import Report, ReportBuild
from pipeline_ops.pipeline.reports.links import parse_file
from pipeline_ops.views.downloads import REPORT_CSP, _inside_reports

CONTENT_TYPES = {
    "html": "text/html; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def viewers_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Anonymous → the admin login (and back); staff without `view_report` → 403. Checked
    before any lookup, so an address never tells whether a report exists."""

    @wraps(view)
    def checked(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not (request.user.is_staff and request.user.has_perm("pipeline_ops.view_report")):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return checked


@viewers_only
@REPORT_CSP
def report_file(request: HttpRequest, entity: str, filename: str) -> FileResponse:
    """The latest build: the `Report` row is updated in place, so this address stays."""
    stem, ext = _requested(entity, filename)
    report = Report.objects.filter(entity__code=entity, stem=stem).first()
    if report is None:
        raise Http404("No such report")
    return _serve(getattr(report, f"{ext}_path"), ext, filename)


@viewers_only
@REPORT_CSP
def report_build_file(request: HttpRequest, entity: str, build: int, filename: str) -> FileResponse:
    """One kept build, only under its own entity and file name."""
    stem, ext = _requested(entity, filename)
    found = ReportBuild.objects.filter(
        pk=build, report__entity__code=entity, report__stem=stem
    ).first()
    if found is None:
        raise Http404("No such build of this report")
    return _serve(getattr(found, f"{ext}_path"), ext, filename)


def _requested(entity: str, filename: str) -> tuple[str, str]:
    parsed = parse_file(entity, filename)
    if parsed is None:
        raise Http404("No such report file")
    return parsed


def _serve(stored: str, ext: str, filename: str) -> FileResponse:
    if not stored:
        raise Http404("This report has no such file")
    path = _inside_reports(stored)
    response = FileResponse(
        path.open("rb"),
        as_attachment=ext == "xlsx",  # HTML and JSON open in the browser
        filename=filename,
        content_type=CONTENT_TYPES[ext],
    )
    # Behind a login, and the stable address changes with every build.
    patch_cache_control(response, private=True, no_cache=True)
    return response
