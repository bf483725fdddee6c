"""Admin actions that launch pipeline stages for the selected entities.

Each launchable stage of the registry becomes one admin action; choosing it shows a
launch form (year, months, report type) and then queues one run per selected entity.
Kept apart from admin.py (with ReadOnlyAdmin, shared by admin_intake.py) so the ModelAdmin
registrations stay short.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.template.response import TemplateResponse

from pipeline_ops.pipeline.runs.launch import Work, enqueue

from .forms import LaunchForm
from .pipeline import registry
from .pipeline.errors import PipelineError
from .pipeline.period import MonthRange

# One admin action per launchable stage of the registry; a chain runs its children.
ACTIONS = {stage.name: stage for stage in registry.launchable()}


def _launch(modeladmin, request, queryset: QuerySet, action: str):
    """Show the launch form until it validates, then queue `action` for every entity."""
    stage = ACTIONS[action]
    title, then = stage.label, stage.children if stage.name == registry.CHAIN else ()
    data = request.POST if "apply" in request.POST else None
    form = LaunchForm(data, needs_month=stage.needs_month)
    if not form.is_valid():
        context = {
            **modeladmin.admin_site.each_context(request),
            "title": title,
            "form": form,
            "entities": queryset,
            "action": request.POST.get("action"),
            "opts": modeladmin.model._meta,
        }
        return TemplateResponse(request, "admin/pipeline_ops/launch_form.html", context)
    months: MonthRange | None = form.cleaned_data["month"]
    queued, refused = 0, []
    for entity in queryset:
        work = Work(stage.name, entity.code, form.cleaned_data["year"], months,
                    form.cleaned_data["report_type"], then)  # fmt: skip
        try:
            enqueue(work, user=request.user, trigger="admin")
            queued += 1
        except PipelineError as exc:
            refused.append(str(exc))
    for reason in refused:
        modeladmin.message_user(request, f"Not queued: {reason}", messages.WARNING)
    modeladmin.message_user(request, f"{title}: queued {queued} run(s).", messages.SUCCESS)
    return None


def _make_action(key: str):
    """The admin action launching stage `key`, gated by the "launch" permission."""

    def action(modeladmin, request, queryset):
        return _launch(modeladmin, request, queryset, key)

    action.__name__ = f"launch_{key}"
    return admin.action(description=f"{ACTIONS[key].label}…", permissions=("launch",))(action)


class LaunchPermissionMixin:
    """Grants the "launch" action permission to users who may launch pipeline runs."""

    def has_launch_permission(self, request) -> bool:
        return request.user.has_perm("pipeline_ops.launch_pipelinerun")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Run history and mirrors are written by the pipeline only."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
