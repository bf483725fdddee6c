"""Who is a member of which entity (docs/admin.md, "Who sees what"): its own page and an
inline on the entity's page. Only who holds Django's membership permissions — superusers
unless given them — sees or changes these; the two roles hold none (a role that could grant
itself entities would be every role)."""

from __future__ import annotations

from django.contrib import admin

from pipeline_ops.admin.scoped import EntityScopedAdmin
from pipeline_ops.models import Membership


@admin.register(Membership)
class MembershipAdmin(EntityScopedAdmin, admin.ModelAdmin):
    list_display = ("member", "entity_name", "role", "created")
    list_filter = ("role", ("entity", admin.RelatedOnlyFieldListFilter), "group")
    list_select_related = ("user", "group", "entity")
    search_fields = ("user__username", "group__name", "entity__code")
    fields = ("user", "group", "entity", "role")

    def get_queryset(self, request):
        # Every-entity memberships (blank entity) are no one entity's: shown whole or not.
        queryset = admin.ModelAdmin.get_queryset(self, request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(entity__in=self._visible_entities(request))

    def _visible_entities(self, request):
        from pipeline_ops.models import Entity
        from pipeline_ops.pipeline import access

        return access.visible(request.user, Entity.objects.all(), "pk")

    @admin.display(description="member", ordering="user__username")
    def member(self, obj: Membership) -> str:
        return f"user {obj.user}" if obj.user_id else f"group {obj.group}"

    @admin.display(description="entity", ordering="entity__code")
    def entity_name(self, obj: Membership) -> str:
        return obj.entity.code if obj.entity_id else "every entity"


class MembershipInline(admin.TabularInline):
    """On the entity's page: who sees and who operates it."""

    model = Membership
    fields = ("user", "group", "role")
    extra = 0
