"""The run page's Cancel, Stop and Re-run buttons: POST-only views, admin-wrapped (login, staff,
CSRF) in admin/runs.RunControlMixin. The work is done by pipeline/runs/control.py."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from pipeline_ops.console.outcome import run_title
from pipeline_ops.models import PipelineRun
from pipeline_ops.pipeline import access
from pipeline_ops.pipeline.runs import control, stopping

LAUNCH = "pipeline_ops.launch_pipelinerun"  # operators: launch, cancel and re-run


def _run_page(pk: int) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("admin:pipeline_ops_pipelinerun_change", args=[pk]))


def _controlled_run(request: HttpRequest, pk: int) -> PipelineRun:
    if not request.user.has_perm(LAUNCH):
        raise PermissionDenied
    runs = PipelineRun.objects.select_related("entity", "parent")
    return access.get_for(request.user, runs, access.OPERATE, pk=pk)  # operators of its entity


@require_POST
def cancel_run(request: HttpRequest, pk: int) -> HttpResponseRedirect:
    run = _controlled_run(request, pk)
    if control.cancel([run], request.user):
        messages.success(request, f"Run {pk} cancelled: it will not start.")
    else:
        run.refresh_from_db()
        messages.warning(request, f"Run {pk} is {run.status}: only a queued run can be cancelled.")
    return _run_page(pk)


@require_http_methods(["GET", "POST"])
def stop_run(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks once more (a stop cannot be taken back); POST asks the run to stop."""
    run = _controlled_run(request, pk)
    if request.method == "GET":
        context = {**admin.site.each_context(request), "run": run, "title": f"Stop run {pk}?",
                   "run_title": run_title(run), "run_url": _run_page(pk).url}  # fmt: skip
        return TemplateResponse(request, "admin/pipeline_ops/pipelinerun/stop_confirm.html",
                                context)  # fmt: skip
    if stopping.request_stop(run, request.user):
        messages.success(request, f"Run {pk} will stop at its next safe point.")
    else:
        run.refresh_from_db()
        messages.warning(request, f"Run {pk} is {run.status}: only a running run can be stopped.")
    return _run_page(pk)


@require_POST
def rerun_run(request: HttpRequest, pk: int) -> HttpResponseRedirect:
    run = _controlled_run(request, pk)
    if not run.can_rerun:
        text = f"Run {pk} is {run.status}: only a failed or cancelled run can be re-run."
        messages.warning(request, text)
        return _run_page(pk)
    queued, refused = control.rerun([run], request.user)
    for reason in refused:
        messages.warning(request, f"Not queued: {reason}")
    if not queued:
        return _run_page(pk)
    messages.success(request, f"Re-queued run {pk} as run {queued[0].pk}.")
    return _run_page(queued[0].pk)
