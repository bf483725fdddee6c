"""Reports in the admin: one row per stable address (`/reports/<ENTITY>/<FILE>`, the latest
build), with when it was last built and how often; its page lists every kept build, newest
first, with the run that made it, the workbook it came from and links to its own files.
History is read-only: builds are written by the `report` stage only (reports/builds.py).
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from pipeline_ops.admin.actions import ReadOnlyAdmin
from pipeline_ops.admin.display import EMPTY, local_time
from pipeline_ops.admin.filters import UnitFilter
from pipeline_ops.admin.scoped import ENTITY_FILTER, EntityScopedAdmin
from pipeline_ops.models import Report, ReportBuild
from pipeline_ops.pipeline.reports import links
from pipeline_ops.views.reports import download_file, download_report

FILE_TYPES = ("html", "json", "xlsx")
SHOWN_BUILDS = 100  # the page stays light for a report rebuilt every night for years
HASH_SHOWN = 12
TABS = {"html": mark_safe(' target="_blank"')}  # the HTML opens in a new tab


def file_links(obj: Report | ReportBuild, url: Callable[[str], str]) -> str:
    """`HTML · JSON · XLSX`: the files `obj` has, each at `url(ext)`; HTML in a new tab."""
    found = [
        format_html('<a href="{}"{}>{}</a>', url(ext), TABS.get(ext, ""), ext.upper())
        for ext in FILE_TYPES
        if getattr(obj, f"{ext}_path")
    ]
    return format_html_join(" · ", "{}", ((link,) for link in found)) if found else EMPTY


@admin.register(Report)
class ReportAdmin(EntityScopedAdmin, ReadOnlyAdmin):
    list_display = (
        "entity", "year", "label", "type", "unit_text", "files", "last_built", "build_count",
        "warning_count",
    )  # fmt: skip
    list_filter = ("type", UnitFilter, ENTITY_FILTER, "year")
    list_select_related = ("entity", "run")
    fieldsets = (
        (None, {"fields": (
            "entity", ("year", "month_start", "month_end"), ("type", "label", "unit"), "files",
            "warnings", "run", ("first_built", "last_built"),
        )}),
        ("Builds, newest first", {"fields": ("build_history",)}),
        ("Stored files", {"classes": ("collapse",), "fields": (
            "stem", "json_path", "html_path", "xlsx_path",
        )}),
    )  # fmt: skip
    readonly_fields = ("files", "first_built", "last_built", "build_history")

    @admin.display(description="unit", ordering="unit")
    def unit_text(self, obj: Report) -> str:
        return obj.unit or "whole entity"

    def get_queryset(self, request) -> QuerySet[Report]:
        return super().get_queryset(request).annotate(builds_kept=Count("builds"))

    @admin.display(description="files")
    def files(self, obj: Report) -> str:
        if not obj.stem:
            return EMPTY
        return file_links(obj, lambda ext: links.stable_path(obj.entity.code, obj.stem, ext))

    @admin.display(description="first built", ordering="created")
    def first_built(self, obj: Report) -> str:
        return local_time(obj.created)

    @admin.display(description="last built", ordering="updated")
    def last_built(self, obj: Report) -> str:
        return local_time(obj.updated)

    @admin.display(description="builds", ordering="builds_kept")
    def build_count(self, obj: Report) -> int:
        return obj.builds_kept

    @admin.display(description="warnings")
    def warning_count(self, obj: Report) -> int:
        return len(obj.warnings or [])

    @admin.display(description="builds")
    def build_history(self, obj: Report) -> str:
        builds = obj.builds.select_related("run").order_by("-generated_at", "-id")
        if not obj.builds_kept:
            return EMPTY
        rows = format_html_join("", "{}", ((_build_row(obj, b),) for b in builds[:SHOWN_BUILDS]))
        more = obj.builds_kept - SHOWN_BUILDS
        note = format_html("<p>… and {} earlier builds.</p>", more) if more > 0 else ""
        return format_html(
            '<table class="report-builds"><thead><tr><th>generated</th><th>by run</th>'
            "<th>workbook</th><th>warnings</th><th>files</th></tr></thead>"
            "<tbody>{}</tbody></table>{}",
            rows,
            note,
        )

    def get_urls(self):
        # The admin's own download URLs (before the stable addresses) keep working.
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


def _build_row(report: Report, build: ReportBuild) -> str:
    run = EMPTY
    if build.run_id:
        url = reverse("admin:pipeline_ops_pipelinerun_change", args=[build.run_id])
        run = format_html('<a href="{}">run {}</a>', url, build.run_id)
    full = build.source_file_hash
    workbook = format_html('<code title="{}">{}</code>', full, full[:HASH_SHOWN]) if full else EMPTY
    code, stem = report.entity.code, report.stem
    return format_html(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        local_time(build.generated_at),
        run,
        workbook,
        len(build.warnings or []),
        file_links(build, lambda ext: links.build_path(code, build.pk, stem, ext)),
    )
