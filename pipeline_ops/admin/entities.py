from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.urls import path, reverse
from django.utils.html import format_html

from pipeline_ops.admin.actions import ACTIONS, LaunchPermissionMixin, ReadOnlyAdmin, _make_action
from pipeline_ops.admin.display import local_time, number
from pipeline_ops.admin.filters import OpenFailureFilter, RunFilter
from pipeline_ops.admin.memberships import MembershipInline
from pipeline_ops.admin.runs import RunControlMixin, RunLevelFilter
from pipeline_ops.admin.scoped import ENTITY_FILTER, EntityScopedAdmin
from pipeline_ops.admin.subscriptions import (
    EntitySubscriptionsMixin,  # + subscription, delivery admins
    SubscriptionInline,
)
from pipeline_ops.console.entity_page import page_context
from pipeline_ops.console.order_reports import issue_url
from pipeline_ops.console.outcome import run_title
from pipeline_ops.models import DimensionCache, Entity, PipelineRun, ValidationIssue
from pipeline_ops.pipeline import access
from pipeline_ops.views.intake import UploadMixin
from pipeline_ops.views.progress import run_progress


@admin.register(Entity)
class EntityAdmin(
    EntityScopedAdmin,
    EntitySubscriptionsMixin,
    LaunchPermissionMixin,
    UploadMixin,
    admin.ModelAdmin,
):
    entity_path = "pk"
    inlines = (MembershipInline, SubscriptionInline)
    list_display = ("code", "name", "active", "latest_run", "created_at")
    list_filter = ("active",)
    search_fields = ("code", "name")
    actions = (*(_make_action(key) for key in ACTIONS), "upload_workbook")
    change_form_template = "admin/pipeline_ops/entity/change_form.html"

    def get_readonly_fields(self, request, obj=None):
        # source_dir is a path the worker reads files from: superusers only. Once each: for
        # whoever may not change entities, the mixin has made every field read-only already
        # (the id too, which says nothing to them).
        readonly = tuple(super().get_readonly_fields(request, obj))
        extra = () if request.user.is_superuser else ("source_dir",)
        return tuple(name for name in dict.fromkeys((*readonly, *extra)) if name != "id")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """Outcome first (console/entity_page.py): the board row, latest versions and runs,
        the buttons the user may press. Who may not change entities (operators: they save
        only subscriptions; viewers) sees the entity's code as the title, not "Change"."""
        entity = self.get_object(request, unquote(object_id))
        if entity is not None and self.has_view_or_change_permission(request, entity):
            extra_context = {"entity_page": page_context(request, entity), **(extra_context or {})}
            if not self.edits_entities(request):
                extra_context |= {"title": entity.code, "subtitle": _subtitle(entity),
                                  "edits_entity": False}  # fmt: skip
        return super().change_view(request, object_id, form_url, extra_context)

    def edits_entities(self, request) -> bool:
        return request.user.has_perm("pipeline_ops.change_entity")

    @admin.display(description="Latest run")
    def latest_run(self, obj: Entity) -> str:
        run = obj.runs.filter(parent__isnull=True).first()
        if run is None:
            return "—"
        url = reverse("admin:pipeline_ops_pipelinerun_change", args=[run.pk])
        return format_html('<a href="{}">{} {}</a>', url, run.stage, run.status)

    @admin.display(description="created", ordering="created")
    def created_at(self, obj: Entity) -> str:
        return local_time(obj.created)


def _subtitle(entity: Entity) -> str | None:
    return entity.name if entity.name and entity.name != entity.code else None


class ActiveFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return (("active", "Queued or running"), ("done", "Finished"))

    def queryset(self, request, queryset):
        active = PipelineRun.ACTIVE
        if self.value() == "active":
            return queryset.filter(status__in=active)
        if self.value() == "done":
            return queryset.exclude(status__in=active)
        return queryset


class ChildRunInline(admin.TabularInline):
    model = PipelineRun
    fk_name = "parent"
    fields = ("stage", "status", "started_at", "completed_at", "rows", "error_message")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="rows")
    def rows(self, obj: PipelineRun) -> str:
        return number(obj.row_count)


@admin.register(PipelineRun)
class PipelineRunAdmin(EntityScopedAdmin, RunControlMixin, LaunchPermissionMixin, ReadOnlyAdmin):
    list_display = (
        "id", "stage", "entity", "period", "status_badge", "started", "duration_text", "rows",
        "launched_by",
    )  # fmt: skip
    # Top-level runs unless asked for child stages; cancel / re-run come from RunControlMixin.
    list_filter = (
        RunLevelFilter, ActiveFilter, OpenFailureFilter, "status", "stage", ENTITY_FILTER,
        "trigger",
        "created",
    )  # fmt: skip
    list_select_related = ("entity", "triggered_by")
    date_hierarchy = "created"
    search_fields = ("error_message", "task_id")
    change_list_template = "admin/pipeline_ops/run_list.html"
    inlines = (ChildRunInline,)
    change_form_template = "admin/pipeline_ops/pipelinerun/change_form.html"
    # Who launched it as text: a link to the user's page would refuse everyone but admins.
    readonly_fields = ("launched_by", "rows")
    # Read-only admin: Django shows every field as text. The outcome (what, period, status,
    # error, next step, what it made) is the page's header (console/outcome.py); the record
    # follows, the technical fields folded away.
    fieldsets = (
        (None, {"fields": (
            "entity", ("year", "month", "month_end"), "stage", "status", "parent",
            "launched_by", ("created", "started_at", "completed_at"), "rows",
            "error_message", "log",
        )}),
        ("Technical", {"classes": ("collapse",), "fields": (
            "task_id", "pid", "warehouse_id", "source_file_hash", "options",
        )}),
    )  # fmt: skip

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The title names what ran and its period: `Sync … · IONS · February 2026`."""
        run = self.get_object(request, unquote(object_id))
        if run is not None and self.has_view_permission(request, run):
            operates = access.may(request.user, run.entity_id, access.OPERATE)
            extra_context = {"title": run_title(run), "subtitle": None,
                             "operates": operates, **(extra_context or {})}  # fmt: skip
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description="period", ordering="year")
    def period(self, obj: PipelineRun) -> str:
        """`2026` (the whole year), `2026-02`, `2026-01–03`: one narrow column; a unit
        report's run adds its unit (`2026-02 TM`)."""
        text = str(obj.year)
        if obj.month:
            end = f"–{obj.month_end:02d}" if obj.month_end not in (None, obj.month) else ""
            text = f"{obj.year}-{obj.month:02d}{end}"
        unit = (obj.options or {}).get("unit")
        return f"{text} {unit}" if unit else text

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj: PipelineRun) -> str:
        return format_html('<span class="run-status run-{}">{}</span>', obj.status, obj.status)

    @admin.display(description="duration")
    def duration_text(self, obj: PipelineRun) -> str:
        return f"{obj.duration.total_seconds():,.1f} s" if obj.duration else "—"

    @admin.display(description="started", ordering="started_at")
    def started(self, obj: PipelineRun) -> str:
        return local_time(obj.started_at)

    @admin.display(description="rows", ordering="row_count")
    def rows(self, obj: PipelineRun) -> str:
        return number(obj.row_count)

    @admin.display(description="launched by", ordering="trigger")
    def launched_by(self, obj: PipelineRun) -> str:
        return f"{obj.trigger} ({obj.triggered_by})" if obj.triggered_by else obj.trigger

    def get_urls(self):
        extra = [
            path(
                "<int:pk>/progress/",
                self.admin_site.admin_view(run_progress),
                name="pipeline_ops_pipelinerun_progress",
            )
        ]
        return extra + super().get_urls()


@admin.register(ValidationIssue)
class ValidationIssueAdmin(EntityScopedAdmin, ReadOnlyAdmin):
    # Entity, year and month share one column so the message has the width to be read.
    list_display = ("cell_address", "severity", "rule", "where", "message", "value", "reports")
    list_filter = ("severity", "rule", ENTITY_FILTER, "year", "month", RunFilter)
    list_select_related = ("entity", "run")
    search_fields = ("cell", "message", "value")
    # Its stylesheet gives the message column room to be read (not a sliver).
    change_list_template = "admin/pipeline_ops/validationissue/change_list.html"

    @admin.display(description="cell", ordering="cell")
    def cell_address(self, obj: ValidationIssue) -> str:
        return format_html("<strong><code>{}</code></strong>", obj.cell)

    @admin.display(description="entity, period", ordering="entity__code")
    def where(self, obj: ValidationIssue) -> str:
        return f"{obj.entity.code} {obj.year}" + (f"-{obj.month:02d}" if obj.month else "")

    @admin.display(description="reports")
    def reports(self, obj: ValidationIssue) -> str:
        """The reports that counted the order on the issue's row (console/order_reports.py);
        none for an issue on no one order (REFERENSI, an organization's)."""
        url = issue_url(obj.entity.code, obj.year, obj.month, obj.rule, obj.cell, obj.value)
        return format_html('<a href="{}" class="order-reports">reports →</a>', url) if url else "—"


@admin.register(DimensionCache)
class DimensionCacheAdmin(EntityScopedAdmin, ReadOnlyAdmin):
    list_display = ("entity", "kind", "key", "ops_id", "label", "updated")
    list_filter = ("kind", ENTITY_FILTER)
    list_select_related = ("entity",)
    search_fields = ("key", "label")
