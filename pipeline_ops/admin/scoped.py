"""Each admin list, page and filter holds only the entities the person may see (issue #25;
the rule is pipeline/access.py). Another entity's object — or one that does not exist —
answers the same 404, and no filter, search or count names another entity."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from pipeline_ops.pipeline import access


class HiddenObjectsAdmin:
    """For a ModelAdmin whose queryset leaves out what the person may not see."""

    # Who lacks the model's permission is refused (403) before any lookup; only then does
    # another entity's object look like no object at all.
    def history_view(self, request, object_id, extra_context=None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        return super().history_view(request, object_id, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        if not self.has_delete_permission(request):
            raise PermissionDenied
        return super().delete_view(request, object_id, extra_context)

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # Django redirects to the index saying "… doesn't exist"; one 404 for both cases.
        raise Http404("No such object")


class EntityScopedAdmin(HiddenObjectsAdmin):
    """For a ModelAdmin whose rows belong to an entity through `entity_path`."""

    entity_path = "entity"

    def get_queryset(self, request) -> QuerySet:
        queryset = super().get_queryset(request)
        return access.visible(request.user, queryset, self.entity_path)


# Filters over an entity (or a version, a report…) list only what the person's own rows
# point at: Django's RelatedOnlyFieldListFilter reads the scoped queryset above.
ENTITY_FILTER = ("entity", admin.RelatedOnlyFieldListFilter)


def operable(model_admin, request, queryset: QuerySet, path: str = "entity") -> QuerySet:
    """The selected rows whose entity the person operates; the rest are skipped, and the
    person is told how many (an action never acts on an entity they only view)."""
    allowed = access.visible(request.user, queryset, path, access.OPERATE)
    skipped = queryset.count() - allowed.count()
    if skipped:
        text = f"Skipped {skipped} selected row(s): you only view their entity."
        model_admin.message_user(request, text, messages.WARNING)
    return allowed
