"""Workbook intake in the admin (docs/intake.md): the version history, whose change page is
the preview page (accept / reject / restore), and the order diff. Both are read-only: rows
come from uploads (views/intake.UploadMixin on the Entity admin) and the worker.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.timezone import localtime

from pipeline_ops.admin.actions import ReadOnlyAdmin
from pipeline_ops.admin.scoped import ENTITY_FILTER, EntityScopedAdmin, operable
from pipeline_ops.console.order_reports import order_reports_url
from pipeline_ops.forms import DecisionForm
from pipeline_ops.models import WorkbookChange, WorkbookVersion
from pipeline_ops.pipeline import access
from pipeline_ops.pipeline.errors import PipelineError
from pipeline_ops.pipeline.intake import decide
from pipeline_ops.pipeline.intake.diff import MONEY
from pipeline_ops.pipeline.intake.report import field_value, order_name, order_words
from pipeline_ops.pipeline.period import MONTH_ABBREVIATIONS
from pipeline_ops.site import lookup_id
from pipeline_ops.views.intake import (
    ACCEPT_PERMISSION,
    RESTORABLE,
    decide_version,
    download_version,
    preview_context,
    version_url,
)

Status = WorkbookVersion.Status
OPEN = (Status.QUEUED, Status.PREVIEWING, Status.PREVIEWED, Status.ACCEPTING)


class DecisionFilter(admin.SimpleListFilter):
    title = "decision"
    parameter_name = "decision"

    def lookups(self, request, model_admin):
        return (("open", "Not decided yet"), ("current", "Current workbook"),
                ("errors", "Previewed with errors"))  # fmt: skip

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(status__in=OPEN)
        if self.value() == "current":
            return queryset.filter(status=Status.ACCEPTED)
        if self.value() == "errors":
            return queryset.filter(summary__errors__gt=0)
        return queryset


@admin.register(WorkbookVersion)
class WorkbookVersionAdmin(EntityScopedAdmin, ReadOnlyAdmin):
    list_display = ("name", "entity_year", "status_badge", "uploaded", "counts", "download")
    list_display_links = ("name",)
    list_filter = (DecisionFilter, "status", ENTITY_FILTER, "year")
    list_select_related = ("entity", "uploaded_by")
    search_fields = ("original_name", "sha256")
    actions = ("restore_versions",)
    exclude = ("upload", "summary")
    change_form_template = "admin/pipeline_ops/workbookversion/preview.html"
    change_list_template = "admin/pipeline_ops/workbookversion/change_list.html"

    def has_accept_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(ACCEPT_PERMISSION)

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj: WorkbookVersion) -> str:
        return format_html('<span class="run-status run-{}">{}</span>', obj.status, obj.status)

    @admin.display(description="version", ordering="-id")
    def name(self, obj: WorkbookVersion) -> str:
        return format_html("{} <small>v{}</small>", obj.original_name or "(no name)", obj.pk)

    @admin.display(description="entity, year", ordering="entity__code")
    def entity_year(self, obj: WorkbookVersion) -> str:
        return f"{obj.entity.code} {obj.year}"

    @admin.display(description="uploaded by, at", ordering="uploaded_at")
    def uploaded(self, obj: WorkbookVersion) -> str:
        when = date_format(localtime(obj.uploaded_at), "SHORT_DATETIME_FORMAT")
        return format_html("{}<br><small>{}</small>", obj.by, when)

    @admin.display(description="preview")
    def counts(self, obj: WorkbookVersion) -> str:
        """`2 errors` over `+12 −3 · 140 changed`: errors, orders added, removed, changed."""
        s = obj.summary
        if "errors" not in s:
            return "—"  # not previewed (yet)
        return format_html(
            '<span class="{}">{} error{}</span><br><small>+{} −{} · {} changed</small>',
            "has-errors" if s["errors"] else "", s["errors"], "" if s["errors"] == 1 else "s",
            s["added"], s["removed"], s["changed"],
        )  # fmt: skip

    @admin.display(description="file")
    def download(self, obj: WorkbookVersion) -> str:
        if not obj.upload:
            return "—"
        url = reverse("admin:pipeline_ops_workbookversion_download", args=[obj.pk])
        return format_html('<a href="{}" title="download">XLSX</a>', url)

    @admin.action(description="Restore this version (a new upload of it, previewed first)",
                  permissions=("accept",))  # fmt: skip
    def restore_versions(self, request: HttpRequest, queryset) -> None:
        restored = 0
        mine = operable(self, request, queryset)
        for version in mine.filter(status__in=RESTORABLE).select_related("entity"):
            copy = decide.restore(version, request.user)
            self.log_addition(request, copy, f"Restored from version {version.pk}.")
            restored += 1
        text = f"Restored {restored} version(s), each queued for preview."
        skipped = len(queryset) - restored
        if skipped:
            text += f" {skipped} skipped: only accepted or superseded versions can be restored."
        self.message_user(request, text, messages.SUCCESS if restored else messages.WARNING)

    def get_urls(self):
        def url(route: str, view, name: str):
            return path(route, self.admin_site.admin_view(view), name=f"pipeline_ops_{name}")

        return [
            url("<int:pk>/download/", download_version, "workbookversion_download"),
            url("<int:pk>/decide/", self.decide_view, "workbookversion_decide"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        version = self.get_object(request, object_id)
        context = {**(extra_context or {})}
        if version is not None:
            context |= preview_context(request, version)
            context["title"] = f"{version.entity.code} {version.year}: {version.original_name}"
            context["subtitle"] = ""
        return super().change_view(request, object_id, form_url, context)

    def decide_view(self, request: HttpRequest, pk: int):
        """The preview page's Accept / Reject / Restore buttons (POST only)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_accept_permission(request):
            raise PermissionDenied
        versions = WorkbookVersion.objects.select_related("entity")
        version = access.get_for(request.user, versions, access.OPERATE, pk=pk)
        form = DecisionForm(request.POST)
        if not form.is_valid():
            self.message_user(request, "Unknown decision: nothing was done.", messages.ERROR)
            return HttpResponseRedirect(version_url(version))
        try:
            version = decide_version(self, request, version, **form.cleaned_data)
        except PipelineError as exc:
            self.message_user(request, f"Not done: {exc}", messages.ERROR)
        return HttpResponseRedirect(version_url(version))


def _version_param(request: HttpRequest) -> int | None:
    """The version the diff is filtered by (the preview page links with it), if any."""
    return lookup_id(request.GET.get("version__id__exact"))


class MonthFilter(admin.SimpleListFilter):
    title = "month"
    parameter_name = "month"

    def lookups(self, request, model_admin):
        """The months the diff (of the chosen version) has."""
        changes = model_admin.get_queryset(request)
        if version := _version_param(request):
            changes = changes.filter(version=version)
        months = sorted(set(changes.values_list("month", flat=True).distinct()))
        return [(str(m), MONTH_ABBREVIATIONS[m - 1]) for m in months if 1 <= m <= 12]

    def queryset(self, request, queryset):
        month = lookup_id(self.value())
        return queryset.filter(month=month) if month else queryset


@admin.register(WorkbookChange)
class WorkbookChangeAdmin(EntityScopedAdmin, ReadOnlyAdmin):
    entity_path = "version__entity"
    list_display = ("kind_badge", "month_name", "order", "changed_fields", "version_link")
    list_display_links = None  # a row is the diff itself: nothing to open
    list_filter = (("version", admin.RelatedOnlyFieldListFilter), MonthFilter, "kind")
    list_select_related = ("version__entity",)
    list_per_page = 100
    search_fields = ("invoice",)
    change_list_template = "admin/pipeline_ops/workbookchange/change_list.html"

    @admin.display(description="kind", ordering="kind")
    def kind_badge(self, obj: WorkbookChange) -> str:
        return format_html('<span class="diff-kind diff-{}">{}</span>', obj.kind, obj.kind)

    @admin.display(description="month", ordering="month")
    def month_name(self, obj: WorkbookChange) -> str:
        return MONTH_ABBREVIATIONS[obj.month - 1] if 1 <= obj.month <= 12 else str(obj.month)

    @admin.display(description="order", ordering="invoice")
    def order(self, obj: WorkbookChange) -> str:
        """The invoice (or the cell of a row without one), then who and how much; an invoice
        links to the reports that counted it (console/order_reports.py)."""
        version, fields = obj.version, obj.fields
        order = fields["order"] if isinstance(fields, dict) else {}  # older previews: none
        name = order_name(obj.invoice, order)
        if obj.invoice and not order.get("cell"):
            url = order_reports_url(version.entity.code, version.year, obj.invoice)
            name = format_html('<a href="{}" title="the reports that counted it">{}</a>', url, name)
        if not order:
            return name
        return format_html(
            '<span class="diff-invoice">{}</span><br><small class="diff-who">{}</small>',
            name, order_words(order),
        )  # fmt: skip

    @admin.display(description="fields: old → new")
    def changed_fields(self, obj: WorkbookChange) -> str:
        fields = obj.fields["fields"] if isinstance(obj.fields, dict) else obj.fields
        if not fields:
            return {"added": "new order", "removed": "order gone"}.get(obj.kind, "—")
        return format_html_join(
            mark_safe("<br>"),
            '<span class="diff-{}"><code>{}</code>: <span class="diff-old">{}</span> → {}</span>',
            (("money" if field in MONEY else "field", field, field_value(field, old),
              field_value(field, new)) for field, old, new in fields),
        )  # fmt: skip

    @admin.display(description="version", ordering="version")
    def version_link(self, obj: WorkbookChange) -> str:
        version = obj.version
        label = f"v{version.pk} {version.entity.code} {version.year}"
        return format_html('<a href="{}">{}</a>', version_url(version), label)

    def get_list_display(self, request):
        shown = super().get_list_display(request)
        return shown[:-1] if _version_param(request) else shown  # one version: no column

    def changelist_view(self, request, extra_context=None):
        context = {"title": "Order diff", **(extra_context or {})}
        mine = access.visible(request.user, WorkbookVersion.objects.all())
        version = mine.filter(pk=_version_param(request)).first()
        if version is not None:
            summary = version.summary
            total = sum(summary.get(kind, 0) for kind in ("added", "removed", "changed"))
            context |= {"diff_version": version, "diff_total": total,
                        "diff_listed": version.changes.count()}  # fmt: skip
            context["title"] = (f"Order diff: {version.entity.code} {version.year},"
                                f" {version.original_name} (version {version.pk})")  # fmt: skip
        return super().changelist_view(request, context)
