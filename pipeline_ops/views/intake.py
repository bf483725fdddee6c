"""Workbook intake in the admin (docs/intake.md): the upload form behind the Entity admin's
"Upload workbook" action and button, the permission-checked download of a stored version,
and what a version's preview page shows. Thin: storing, previewing and deciding live in
pipeline/intake/; the web process only stores the upload and queues the worker's preview.
"""

from __future__ import annotations

from pathlib import Path

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, SuspiciousFileOperation
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.text import get_valid_filename
from django.views.decorators.csrf import csrf_protect

from pipeline_ops.admin.scoped import operable
from pipeline_ops.forms import DecisionForm, UploadForm
from pipeline_ops.models import Entity, WorkbookVersion
from pipeline_ops.pipeline import access
from pipeline_ops.pipeline.errors import PipelineError
from pipeline_ops.pipeline.intake import decide, versions
from pipeline_ops.pipeline.intake.files import open_upload
from pipeline_ops.pipeline.intake.recovery import recover_versions
from pipeline_ops.pipeline.intake.report import signed_rupiah
from pipeline_ops.pipeline.period import MONTH_ABBREVIATIONS
from pipeline_ops.pipeline.reports.labels import rupiah
from pipeline_ops.pipeline.workbook.limits import limit

UPLOAD_PERMISSION = "pipeline_ops.add_workbookversion"
ACCEPT_PERMISSION = "pipeline_ops.accept_workbookversion"
Status = WorkbookVersion.Status
BUSY = (Status.QUEUED, Status.PREVIEWING, Status.ACCEPTING)  # the worker has it: refresh
RESTORABLE = (Status.ACCEPTED, Status.SUPERSEDED)


class LimitedUpload(FileUploadHandler):
    """The first upload handler: hands chunks on to Django's own handlers until a file passes
    `max_bytes`, then skips the rest of it, so nothing more is kept in memory or on disk."""

    def __init__(self, request: HttpRequest, max_bytes: int) -> None:
        super().__init__(request)
        self.max_bytes, self.refused = max_bytes, ""

    def new_file(self, field_name, file_name, content_type, content_length, *args, **kw):
        super().new_file(field_name, file_name, content_type, content_length, *args, **kw)
        if content_length and content_length > self.max_bytes:
            self._refuse()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.max_bytes:
            self._refuse()
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # Django's own handlers keep the file

    def _refuse(self) -> None:
        self.refused = self.file_name or "the file"
        raise SkipFile


class UploadMixin:
    """For the Entity admin: the "Upload workbook…" action, the URL of the upload form (the
    change page's button links to it), and the form itself."""

    def has_upload_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(UPLOAD_PERMISSION)

    @admin.action(description="Upload workbook…", permissions=("upload",))
    def upload_workbook(self, request: HttpRequest, queryset):
        queryset = operable(self, request, queryset, "pk")
        if queryset.count() != 1:
            self.message_user(request, "Choose one entity to upload a workbook for.",
                              messages.WARNING)  # fmt: skip
            return None
        return HttpResponseRedirect(upload_url(queryset.get()))

    def get_urls(self):
        view = self.admin_site.admin_view(self.upload_view)
        return [path("<int:pk>/upload/", view, name="pipeline_ops_entity_upload"),
                *super().get_urls()]  # fmt: skip

    def upload_view(self, request: HttpRequest, pk: int):
        # Upload handlers must be set before the body is read, so this view is exempt from
        # the CSRF middleware (which reads it) and checks the token itself, just below.
        if not self.has_upload_permission(request):
            raise PermissionDenied
        handler = LimitedUpload(request, limit("WORKBOOK_MAX_BYTES"))
        request.upload_handlers.insert(0, handler)
        return csrf_protect(self._upload)(request, pk, handler)

    upload_view.csrf_exempt = True

    def _upload(self, request: HttpRequest, pk: int, handler: LimitedUpload):
        entity = access.get_for(request.user, Entity.objects.all(), access.OPERATE, "pk", pk=pk)
        posted = (request.POST, request.FILES) if request.method == "POST" else (None, None)
        form = UploadForm(*posted, max_bytes=handler.max_bytes, refused=handler.refused)
        if posted[0] is not None and form.is_valid():
            upload, year = form.cleaned_data["file"], form.cleaned_data["year"]
            version = versions.store(entity, year, upload, upload.name, user=request.user)
            versions.queue_preview(version)
            text = f"Uploaded {version.original_name} for {entity.code} {year}: 1 workbook"
            self.message_user(request, f"{text} queued for preview.", messages.SUCCESS)
            return HttpResponseRedirect(version_url(version))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Upload a workbook for {entity.code}",
            "entity": entity,
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/pipeline_ops/entity/upload_form.html", context)


def upload_url(entity: Entity) -> str:
    return reverse("admin:pipeline_ops_entity_upload", args=[entity.pk])


def version_url(version: WorkbookVersion) -> str:
    return reverse("admin:pipeline_ops_workbookversion_change", args=[version.pk])


def diff_url(version: WorkbookVersion, **filters: object) -> str:
    query = "".join(f"&{key}={value}" for key, value in filters.items())
    changes = reverse("admin:pipeline_ops_workbookchange_changelist")
    return f"{changes}?version__id__exact={version.pk}{query}"


def download_name(version: WorkbookVersion) -> str:
    """`v12-IONS_2026_revised.xlsx`: the uploaded name made safe, with the version number."""
    try:
        stem = get_valid_filename(Path(version.original_name).stem)[:100]
    except SuspiciousFileOperation:  # nothing usable left of the name
        stem = f"{version.entity.code}-{version.year}"
    return f"v{version.pk}-{stem}.xlsx"


def download_version(request: HttpRequest, pk: int) -> FileResponse:
    if not request.user.has_perm("pipeline_ops.view_workbookversion"):
        raise PermissionDenied
    version = access.get_for(request.user, WorkbookVersion.objects.select_related("entity"), pk=pk)
    if not version.upload:
        raise Http404("This version has no stored file (a rejected upload's file is deleted).")
    try:  # like a source: a link or FIFO planted in the upload store is never served
        handle = open_upload(version.upload)
    except (PipelineError, FileNotFoundError, SuspiciousFileOperation):
        raise Http404("The stored file of this version is missing.") from None
    return FileResponse(handle, as_attachment=True, filename=download_name(version))


def _amounts(pair: list[int]) -> dict:
    old, new = pair
    delta = signed_rupiah(new - old) if new != old else ""
    return {"old": rupiah(old), "new": rupiah(new), "delta": delta}


def month_row(version: WorkbookVersion, month: dict) -> dict:
    moved = month["added"] or month["removed"] or month["changed"]
    return {
        **month,
        "name": MONTH_ABBREVIATIONS[month["month"] - 1],
        "diff_url": diff_url(version, month=month["month"]) if moved else "",
        "money": [_amounts(month["revenue"]), _amounts(month["collected"])],
    }


def issues_context(request: HttpRequest, summary: dict) -> dict:
    """The preview's issues: all of them, or (`?issues=new`) only those the current
    workbook does not have (same rule, cell or invoice, and message)."""
    only_new = request.GET.get("issues") == "new" and "issues_new" in summary
    total = summary.get("errors", 0) + summary.get("warnings", 0)
    return {
        "issues_new_only": only_new,
        "issues": summary.get("issues_new" if only_new else "issues", []),
        "issue_count": summary.get("new_issues", 0) if only_new else total,
        "all_issue_count": total,
        "new_issue_count": summary.get("new_issues"),
    }


def preview_context(request: HttpRequest, version: WorkbookVersion) -> dict:
    """What the preview page (the version's change page) shows, outcome first."""
    if version.status in BUSY:  # a worker that stopped working on it: say so, stop refreshing
        recover_versions()
        version.refresh_from_db()
    summary, sync = version.summary or {}, version.sync_run
    months = [month_row(version, m) for m in summary.get("months", [])]
    return {
        "version": version,
        "summary": summary,
        "busy": version.status in BUSY or (sync is not None and sync.is_active),
        "can_decide": request.user.has_perm(ACCEPT_PERMISSION)
        and access.may(request.user, version.entity_id, access.OPERATE),
        "months": months,
        "blocked": [m["name"] for m in months if m["blocked"]],
        **issues_context(request, summary),
        "diff_url": diff_url(version),
        "decision_form": DecisionForm(),
        "restorable": version.status in RESTORABLE and bool(version.upload),
    }


def decide_version(
    modeladmin, request: HttpRequest, version: WorkbookVersion, *, decision: str,
    with_errors: bool, queue_sync: bool,
) -> WorkbookVersion:  # fmt: skip
    """The preview page's Accept / Reject / Restore: the version to show next. Raises
    PipelineError, whose message the page shows, when nothing was done."""
    user, label = request.user, f"{version.entity.code} {version.year}"
    if decision == "accept":
        decide.request_accept(version, user, with_errors=with_errors, queue_sync=queue_sync)
        note = "Accepted with errors" if with_errors else "Accepted"
        modeladmin.log_change(request, version, note)
        sync = " and then queues a sync of the changed months" if queue_sync else ""
        text = f"Accepting 1 workbook: the worker makes it the current {label} workbook{sync}."
    elif decision == "reject":
        if not decide.reject(version, user):
            raise PipelineError(f"version {version.pk} is {version.status}: only a queued,"
                                " previewed or failed version can be rejected.")  # fmt: skip
        modeladmin.log_change(request, version, "Rejected")
        text = f"Rejected 1 workbook ({label}); its stored file is deleted."
    else:
        if version.status not in RESTORABLE or not version.upload:
            raise PipelineError(f"version {version.pk} is {version.status}: only accepted or"
                                " superseded versions can be restored.")  # fmt: skip
        copy = decide.restore(version, user)
        modeladmin.log_addition(request, copy, f"Restored from version {version.pk}.")
        text, version = f"Restored 1 version as version {copy.pk}, queued for preview.", copy
    modeladmin.message_user(request, text, messages.SUCCESS)
    return version
