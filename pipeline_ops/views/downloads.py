"""Permission-checked downloads and the run progress endpoint (admin-wrapped: admin/)."""

from __future__ import annotations

from pathlib import Path

from csp.constants import NONE
from csp.decorators import csp_replace
from django.core.exceptions import PermissionDenied, SuspiciousFileOperation
from django.http import FileResponse, Http404, HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils._os import safe_join

from pipeline_ops.console.progress import progress_payload
from pipeline_ops.models import PipelineRun, Report
from pipeline_ops.pipeline.paths import data_dir

KINDS = {"json": "json_path", "html": "html_path", "xlsx": "xlsx_path", "preview": "html_path"}


def reports_root() -> Path:
    return (data_dir() / "reports").resolve()


def _inside_reports(stored: str) -> Path:
    """Only files under the reports folder are ever served, whatever a row or URL says."""
    try:
        path = Path(safe_join(str(reports_root()), str(Path(stored).resolve())))
    except (SuspiciousFileOperation, ValueError):
        raise Http404("No such report file") from None
    if not path.is_file():
        raise Http404("No such report file")
    return path


# A report's HTML is a document, not an app: its inline <style> applies, no script runs
# (sandbox). Also the policy of the stable addresses (views/reports.py).
REPORT_CSP = csp_replace({"script-src": [NONE], "form-action": [NONE], "sandbox": True})


@REPORT_CSP
def download_report(request: HttpRequest, pk: int, kind: str) -> FileResponse:
    if not request.user.has_perm("pipeline_ops.view_report"):
        raise PermissionDenied
    if kind not in KINDS:
        raise Http404("Unknown file kind")
    report = get_object_or_404(Report, pk=pk)
    stored = getattr(report, KINDS[kind])
    if not stored:
        raise Http404("This report has no such file")
    path = _inside_reports(stored)
    if kind == "preview":
        return FileResponse(path.open("rb"), content_type="text/html; charset=utf-8")
    return FileResponse(path.open("rb"), as_attachment=True, filename=path.name)


def download_file(request: HttpRequest, relpath: str) -> FileResponse:
    """Reports by file name, e.g. IONS/IONS-2026-02.html (for links inside reports)."""
    if not request.user.has_perm("pipeline_ops.view_report"):
        raise PermissionDenied
    try:
        path = Path(safe_join(str(reports_root()), relpath))
    except SuspiciousFileOperation:
        raise Http404("No such report file") from None
    return FileResponse(_inside_reports(str(path)).open("rb"), as_attachment=True)


def run_progress(request: HttpRequest, pk: int) -> JsonResponse:
    if not request.user.has_perm("pipeline_ops.view_pipelinerun"):
        raise PermissionDenied
    return JsonResponse(progress_payload(get_object_or_404(PipelineRun, pk=pk)))
