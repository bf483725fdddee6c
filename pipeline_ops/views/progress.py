"""The run page's progress endpoint (admin-wrapped: admin/entities.py)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, JsonResponse

from pipeline_ops.console.progress import progress_payload
from pipeline_ops.models import PipelineRun
from pipeline_ops.pipeline import access


def run_progress(request: HttpRequest, pk: int) -> JsonResponse:
    if not request.user.has_perm("pipeline_ops.view_pipelinerun"):
        raise PermissionDenied
    return JsonResponse(progress_payload(access.get_for(request.user, PipelineRun.objects, pk=pk)))
