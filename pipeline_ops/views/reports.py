"""Every report file the product serves, behind one guard (docs/reports.md, "Stable
addresses and earlier builds").

`/reports/<ENTITY>/<FILE>` serves the latest build of a report, `/reports/<ENTITY>/builds/
<id>/<FILE>` one kept build; the admin's download buttons (`…/report/<pk>/download/<kind>/`,
`…/report/files/<ENTITY>/<FILE>`) serve the same files the same way. Each view is
`@report_file_view`: the one permission check (anonymous → login, staff without
`view_report` → 403, before any lookup, so an address never tells whether a report
exists) and the report's CSP. A file is found through its `Report` or `ReportBuild` row,
never by joining a URL onto a folder, and served only from inside the reports folder.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from pathlib import Path

from csp.constants import NONE
from csp.decorators import csp_replace
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, SuspiciousFileOperation
from django.http import FileResponse, Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.utils._os import safe_join
from django.utils.cache import patch_cache_control

from pipeline_ops.models import Report, ReportBuild
from pipeline_ops.pipeline import access
from pipeline_ops.pipeline.paths import data_dir
from pipeline_ops.pipeline.reports.links import parse_file, stable_path

CONTENT_TYPES = {
    "html": "text/html; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
KINDS = {"json": "json", "html": "html", "xlsx": "xlsx", "preview": "html"}
# A report's HTML is a document, not an app: its inline <style> applies, no script runs.
REPORT_CSP = csp_replace({"script-src": [NONE], "form-action": [NONE], "sandbox": True})


def report_guard(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """The one permission check of every report file and page made from one."""

    @wraps(view)
    def checked(request: HttpRequest, *args, **kwargs) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not (request.user.is_staff and request.user.has_perm("pipeline_ops.view_report")):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return checked


def report_file_view(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """The guard of every report file, served under the report's CSP (no script, sandbox)."""
    return REPORT_CSP(report_guard(view))


@report_file_view
def report_file(request: HttpRequest, entity: str, filename: str) -> FileResponse:
    """The latest build: the `Report` row is updated in place, so this address stays."""
    return _latest(request, entity, filename)


def _latest(request: HttpRequest, entity: str, filename: str) -> FileResponse:
    stem, ext = _requested(entity, filename)
    mine = access.visible(request.user, Report.objects.all())  # another entity's: not found
    report = mine.filter(entity__code=entity, stem=stem).first()
    if report is None:
        raise Http404("No such report")
    return _serve(getattr(report, f"{ext}_path"), ext, filename)


@report_file_view
def report_build_file(request: HttpRequest, entity: str, build: int, filename: str) -> FileResponse:
    """One kept build, only under its own entity and file name."""
    stem, ext = _requested(entity, filename)
    mine = access.visible(request.user, ReportBuild.objects.all(), "report__entity")
    found = mine.filter(pk=build, report__entity__code=entity, report__stem=stem).first()
    if found is None:
        raise Http404("No such build of this report")
    return _serve(getattr(found, f"{ext}_path"), ext, filename)


@report_file_view
def download_report(request: HttpRequest, pk: int, kind: str) -> HttpResponseBase:
    """The admin's buttons: a report's file by row and kind (`preview` opens the HTML at its
    stable address)."""
    if kind not in KINDS:
        raise Http404("Unknown file kind")
    report = access.visible(request.user, Report.objects.all()).filter(pk=pk).first()
    if report is None:
        raise Http404("No such report")
    if kind == "preview" and report.stem:
        # At its stable address the report's relative links (its figures' evidence) work.
        return redirect(stable_path(report.entity.code, report.stem, "html"))
    ext = KINDS[kind]
    stored = getattr(report, f"{ext}_path")
    return _serve(stored, ext, Path(stored).name, attach=kind in ("json", "html", "xlsx"))


@report_file_view
def download_file(request: HttpRequest, relpath: str) -> FileResponse:
    """`<ENTITY>/<FILE>` (links inside older reports): the stable address's file."""
    entity, _, filename = relpath.partition("/")
    return _latest(request, entity, filename)


def _requested(entity: str, filename: str) -> tuple[str, str]:
    parsed = parse_file(entity, filename)
    if parsed is None:
        raise Http404("No such report file")
    return parsed


def _inside_reports(stored: str) -> Path:
    """Only files under the reports folder are ever served, whatever a row or URL says."""
    root = (data_dir() / "reports").resolve()
    try:
        path = Path(safe_join(str(root), str(Path(stored).resolve())))
    except (SuspiciousFileOperation, ValueError):
        raise Http404("No such report file") from None
    if not path.is_file():
        raise Http404("No such report file")
    return path


def _serve(stored: str, ext: str, filename: str, attach: bool | None = None) -> FileResponse:
    if not stored:
        raise Http404("This report has no such file")
    response = FileResponse(
        _inside_reports(stored).open("rb"),
        as_attachment=ext == "xlsx" if attach is None else attach,  # HTML, JSON open inline
        filename=filename,
        content_type=CONTENT_TYPES[ext],
    )
    # Behind a login, and the stable address changes with every build.
    patch_cache_control(response, private=True, no_cache=True)
    return response
