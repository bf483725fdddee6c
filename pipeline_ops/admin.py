from __future__ import annotations

from django.contrib import admin

from .models import DimensionCache, Entity, PipelineRun, Report, ValidationIssue


@admin.register(Entity)
class EntityAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "active", "created")
    list_filter = ("active",)
    search_fields = ("code", "name")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Run history and mirrors are written by the pipeline only."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PipelineRun)
class PipelineRunAdmin(ReadOnlyAdmin):
    list_display = ("id", "stage", "entity", "year", "month", "status", "started_at", "row_count")
    list_filter = ("status", "stage", "entity")
    list_select_related = ("entity",)


@admin.register(ValidationIssue)
class ValidationIssueAdmin(ReadOnlyAdmin):
    list_display = ("cell", "rule", "severity", "entity", "year", "month", "message")
    list_filter = ("severity", "rule", "entity")
    list_select_related = ("entity",)


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    list_display = ("entity", "year", "label", "type", "created")
    list_select_related = ("entity",)


@admin.register(DimensionCache)
class DimensionCacheAdmin(ReadOnlyAdmin):
    list_display = ("entity", "kind", "key", "ops_id", "updated")
    list_filter = ("kind", "entity")
    list_select_related = ("entity",)
