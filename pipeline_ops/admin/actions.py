"""Admin actions that launch pipeline stages for the selected entities.

Each launchable stage of the registry becomes one admin action; choosing it shows that
stage's launch form (forms.LaunchForm: only the fields the stage takes) and then queues one
run per selected entity and opens it: the run's page for one entity, the run list filtered
to the entities for several. Kept apart from admin/entities.py (with ReadOnlyAdmin, shared by
admin/intake.py) so the ModelAdmin registrations stay short.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.helpers import AdminForm
from django.db.models import QuerySet
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from pipeline_ops.admin.scoped import operable
from pipeline_ops.forms import LaunchForm
from pipeline_ops.models import Entity, PipelineRun
from pipeline_ops.pipeline import registry
from pipeline_ops.pipeline.errors import PipelineError
from pipeline_ops.pipeline.runs.launch import Work, enqueue

# One admin action per launchable stage of the registry; a chain runs its children.
ACTIONS = {stage.name: stage for stage in registry.launchable()}


def _launch(modeladmin, request, queryset: QuerySet, action: str):
    """Show the launch form until it validates, then queue `action` for every entity."""
    stage = ACTIONS[action]
    data = request.POST if "apply" in request.POST else None
    form = LaunchForm(data, stage=stage)
    entities = list(operable(modeladmin, request, queryset, "pk"))
    if not entities:
        return None
    if not form.is_valid():
        return _form_page(modeladmin, request, form, entities)
    queued = []
    for entity in entities:
        try:
            queued.append(enqueue(_work(stage, entity, form.cleaned_data), user=request.user))
        except PipelineError as exc:
            modeladmin.message_user(request, f"Not queued: {exc}", messages.WARNING)
    if not queued:
        return None  # only the warnings: nothing was queued
    modeladmin.message_user(
        request, f"{stage.label}: queued {len(queued)} run(s).", messages.SUCCESS
    )
    return HttpResponseRedirect(runs_url(queued, entities))


def _work(stage: registry.Stage, entity: Entity, data: dict) -> Work:
    then = stage.children if stage.name == registry.CHAIN else ()
    report_type = data.get("report_type", "monthly")
    extra = (("unit", data["unit"]),) if data.get("unit") else ()  # blank: the whole entity
    return Work(stage.name, entity.code, data["year"], data["months"], report_type, then, extra)


def runs_url(runs: list[PipelineRun], entities: list[Entity]) -> str:
    """The new run's page for one entity; the run list filtered to several entities."""
    if len(entities) == 1 and len(runs) == 1:
        return reverse("admin:pipeline_ops_pipelinerun_change", args=[runs[0].pk])
    pks = ",".join(str(entity.pk) for entity in entities)
    return reverse("admin:pipeline_ops_pipelinerun_changelist") + f"?entity__id__in={pks}"


def _form_page(modeladmin, request, form: LaunchForm, entities: list[Entity]):
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": f"{form.stage.label}…",
        "stage": form.stage,
        "form": form,
        "adminform": AdminForm(form, form.fieldsets(), {}),
        "entities": entities,
        "action": request.POST.get("action"),
        "opts": modeladmin.model._meta,
        "cancel_url": _back(request),
    }
    return TemplateResponse(request, "admin/pipeline_ops/launch_form.html", context)


def _back(request) -> str:
    """Where Cancel goes: the entity page it was launched from (a path of this site only),
    else the entity list with its filters."""
    wanted = request.POST.get("return_to", "")
    safe = url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()})
    return wanted if wanted.startswith("/") and safe else request.get_full_path()


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
