"""The run page's progress endpoint (admin-wrapped: admin/entities.py)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404

from pipeline_ops.console.progress import progress_payload
from pipeline_ops.models import PipelineRun


def run_progress(request: HttpRequest, pk: int) -> JsonResponse:
    if not request.user.has_perm("pipeline_ops.view_pipelinerun"):
        raise PermissionDenied
    return JsonResponse(progress_payload(get_object_or_404(PipelineRun, pk=pk)))
