from __future__ import annotations

from django.contrib import admin, messages
from django.urls import path, reverse
from django.utils.html import format_html

from pipeline_ops.pipeline.runs.launch import Work, enqueue

# admin_intake: workbook versions and their diff; schedule_admin replaces django-q2's.
from . import admin_intake, schedule_admin  # noqa: F401
from .admin_actions import ACTIONS, LaunchPermissionMixin, ReadOnlyAdmin, _make_action
from .models import DimensionCache, Entity, PipelineRun, Report, ValidationIssue
from .pipeline.errors import PipelineError
from .pipeline.period import MonthRange
from .views import download_file, download_report, run_progress
from .views_intake import UploadMixin


@admin.register(Entity)
class EntityAdmin(LaunchPermissionMixin, UploadMixin, admin.ModelAdmin):
    list_display = ("code", "name", "active", "latest_run", "created")
    list_filter = ("active",)
    search_fields = ("code", "name")
    actions = (*(_make_action(key) for key in ACTIONS), "upload_workbook")
    change_form_template = "admin/pipeline_ops/entity/change_form.html"

    def get_readonly_fields(self, request, obj=None):
        # source_dir is a path the worker reads files from: superusers only.
        readonly = tuple(super().get_readonly_fields(request, obj))
        return readonly if request.user.is_superuser else (*readonly, "source_dir")

    @admin.display(description="Latest run")
    def latest_run(self, obj: Entity) -> str:
        run = obj.runs.filter(parent__isnull=True).first()
        if run is None:
            return "—"
        url = reverse("admin:pipeline_ops_pipelinerun_change", args=[run.pk])
        return format_html('<a href="{}">{} {}</a>', url, run.stage, run.status)


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
    fields = ("stage", "status", "started_at", "completed_at", "row_count", "error_message")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PipelineRun)
class PipelineRunAdmin(LaunchPermissionMixin, ReadOnlyAdmin):
    list_display = (
        "id", "stage", "entity", "year", "period", "status_badge", "started_at",
        "duration_text", "row_count", "triggered_by",
    )  # fmt: skip
    list_filter = (ActiveFilter, "status", "stage", "entity", "trigger", "created")
    list_select_related = ("entity", "triggered_by")
    date_hierarchy = "created"
    search_fields = ("error_message", "task_id")
    inlines = (ChildRunInline,)
    actions = ("rerun",)
    change_form_template = "admin/pipeline_ops/pipelinerun/change_form.html"
    # Read-only admin: Django shows every field as text, in this order.
    fields = (
        "entity", "year", "month", "month_end", "stage", "status", "parent", "trigger",
        "triggered_by", "task_id", "pid", "warehouse_id", "created", "started_at",
        "completed_at", "row_count", "source_file_hash", "options", "error_message", "log",
    )  # fmt: skip

    @admin.display(description="period")
    def period(self, obj: PipelineRun) -> str:
        if not obj.month:
            return "year"
        return f"{obj.month:02d}" + (f"–{obj.month_end:02d}" if obj.month_end != obj.month else "")

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj: PipelineRun) -> str:
        return format_html('<span class="run-status run-{}">{}</span>', obj.status, obj.status)

    @admin.display(description="duration")
    def duration_text(self, obj: PipelineRun) -> str:
        return f"{obj.duration.total_seconds():.1f} s" if obj.duration else "—"

    @admin.action(description="Re-run selected failed runs", permissions=("launch",))
    def rerun(self, request, queryset):
        queued = 0
        for run in queryset.filter(status=PipelineRun.Status.FAILED, parent__isnull=True):
            months = MonthRange.of(run.month, run.month_end)
            work = Work(run.stage, run.entity.code, run.year, months,
                        run.options.get("report_type", "monthly"),
                        tuple(run.options.get("then", ())))  # fmt: skip
            try:
                enqueue(work, user=request.user, trigger="admin")
                queued += 1
            except PipelineError as exc:
                self.message_user(request, f"Not queued: {exc}", messages.WARNING)
        self.message_user(request, f"Re-queued {queued} failed run(s).", messages.SUCCESS)

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
class ValidationIssueAdmin(ReadOnlyAdmin):
    list_display = (
        "cell_address",
        "rule",
        "severity",
        "entity",
        "year",
        "month",
        "message",
        "value",
    )
    list_filter = ("severity", "rule", "entity", "year", "month")
    list_select_related = ("entity", "run")
    search_fields = ("cell", "message", "value")

    @admin.display(description="cell", ordering="cell")
    def cell_address(self, obj: ValidationIssue) -> str:
        return format_html("<strong><code>{}</code></strong>", obj.cell)


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    list_display = ("entity", "year", "label", "type", "files", "created", "warning_count")
    list_filter = ("type", "entity", "year")
    list_select_related = ("entity", "run")

    @admin.display(description="files")
    def files(self, obj: Report) -> str:
        links = [
            format_html(
                '<a href="{}">{}</a>',
                reverse("admin:pipeline_ops_report_download", args=[obj.pk, kind]),
                kind.upper(),
            )
            for kind in ("json", "html", "xlsx")
            if getattr(obj, f"{kind}_path")
        ]
        preview = reverse("admin:pipeline_ops_report_download", args=[obj.pk, "preview"])
        if obj.html_path:
            links.append(format_html('<a href="{}" target="_blank">preview</a>', preview))
        return format_html(" · ".join(["{}"] * len(links)), *links) if links else "—"

    @admin.display(description="warnings")
    def warning_count(self, obj: Report) -> int:
        return len(obj.warnings or [])

    def get_urls(self):
        extra = [
            path(
                "<int:pk>/download/<str:kind>/",
                self.admin_site.admin_view(download_report),
                name="pipeline_ops_report_download",
            ),
            path(
                "files/<path:relpath>",
                self.admin_site.admin_view(download_file),
                name="pipeline_ops_report_file",
            ),
        ]
        return extra + super().get_urls()


@admin.register(DimensionCache)
class DimensionCacheAdmin(ReadOnlyAdmin):
    list_display = ("entity", "kind", "key", "ops_id", "label", "updated")
    list_filter = ("kind", "entity")
    list_select_related = ("entity",)
    search_fields = ("key", "label")
