"""Report subscriptions and deliveries in the admin (docs/reports.md, "Subscriptions and
delivery").

Operators (change_reportsubscription) manage everyone's subscriptions, here and inline on
the entity, and retry failed deliveries. Report viewers see and delete only their own
subscriptions and add them with "Subscribe me" (their user's address, no e-mail field).
Thin: the rules live in pipeline/reports/subscriptions.py and delivery.py.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from pipeline_ops.admin.actions import ReadOnlyAdmin
from pipeline_ops.admin.display import local_time
from pipeline_ops.admin.scoped import ENTITY_FILTER, EntityScopedAdmin, operable
from pipeline_ops.models import Entity, ReportDelivery, ReportSubscription
from pipeline_ops.models.reports import REPORT_TYPE_CHOICES
from pipeline_ops.pipeline import access
from pipeline_ops.pipeline.cli import UNITS
from pipeline_ops.pipeline.reports import delivery, subscriptions

MANAGE = "pipeline_ops.change_reportsubscription"  # operators: everyone's subscriptions
SUBSCRIBE = "pipeline_ops.view_report"  # whoever may read reports may ask for them by mail
UNIT_CHOICES = [("", "Whole entity"), *((unit, unit) for unit in UNITS)]


def manages_all(request: HttpRequest) -> bool:
    return request.user.has_perm(MANAGE)


def managed_role(request: HttpRequest) -> str:
    """Everyone's subscriptions of an entity are its operators' to manage; one's own, a
    viewer's (pipeline/access.py)."""
    return access.OPERATE if manages_all(request) else access.VIEW


class SubscriptionForm(forms.ModelForm):
    unit = forms.ChoiceField(choices=UNIT_CHOICES, required=False)

    class Meta:
        model = ReportSubscription
        fields = ("entity", "user", "email", "report_type", "unit", "active")

    def clean(self) -> dict:
        data = super().clean()
        user, entity = data.get("user"), data.get("entity") or self.instance.entity_id
        if user is not None and entity is not None and not access.may(user, entity):
            # A report would reach someone who may not read it: refused where it is made.
            self.add_error("user", f"{user} is not a member of this entity: grant it first.")
        return data


class SubscribeForm(forms.Form):
    entity = forms.ModelChoiceField(Entity.objects.filter(active=True))
    report_type = forms.ChoiceField(choices=REPORT_TYPE_CHOICES, initial="monthly")
    unit = forms.ChoiceField(choices=UNIT_CHOICES, required=False)

    def __init__(self, *args, user=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["entity"]
        field.queryset = access.visible(user, field.queryset, "pk")  # only one's own entities
        entities = list(field.queryset[:2])
        if len(entities) == 1:  # one entity: nothing to choose
            self.fields["entity"].initial = entities[0].pk


class SubscriptionInline(admin.TabularInline):
    """On the entity's page, for operators only: a viewer must not see others' addresses."""

    model = ReportSubscription
    form = SubscriptionForm
    fields = ("user", "email", "report_type", "unit", "active")
    extra = 0

    def has_view_permission(self, request, obj=None) -> bool:
        return self._manages(request, obj)

    def has_add_permission(self, request, obj=None) -> bool:
        return self._manages(request, obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._manages(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._manages(request, obj) and super().has_delete_permission(request, obj)

    def _manages(self, request, entity=None) -> bool:
        # `entity`: the page's entity. Its subscribers' addresses are its operators' only.
        mine = entity is None or access.may(request.user, entity, access.OPERATE)
        return manages_all(request) and mine


class EntitySubscriptionsMixin:
    """For the Entity admin: the subscriptions inline. Operators may not change an entity,
    yet manage its subscriptions: for them the page saves, its entity fields read-only."""

    inlines = (SubscriptionInline,)

    def get_inlines(self, request, obj=None):
        # Subscribers are added to an entity that exists: the add form stays the entity's own.
        return super().get_inlines(request, obj) if obj is not None else ()

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) or manages_all(request)

    def get_readonly_fields(self, request, obj=None):
        readonly = tuple(super().get_readonly_fields(request, obj))
        if super().has_change_permission(request, obj):
            return readonly
        editable = (f.name for f in self.model._meta.fields if f.editable)
        return tuple(dict.fromkeys((*readonly, *editable)))  # each field once


@admin.register(ReportSubscription)
class ReportSubscriptionAdmin(EntityScopedAdmin, admin.ModelAdmin):
    form = SubscriptionForm
    list_display = ("entity", "report_type", "unit_name", "recipient_address", "active")
    list_filter = ("active", "report_type", ENTITY_FILTER)
    list_select_related = ("entity", "user")
    change_list_template = "admin/pipeline_ops/reportsubscription/change_list.html"

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "entity":  # only entities the person may subscribe to or manage
            entities = Entity.objects.all()
            kwargs["queryset"] = access.visible(request.user, entities, "pk", managed_role(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)  # the entities one sees
        if manages_all(request):  # everyone's, of the entities one operates
            return access.visible(request.user, queryset, role=access.OPERATE)
        return queryset.filter(user=request.user)

    def get_fields(self, request, obj=None):
        if manages_all(request):
            return super().get_fields(request, obj)
        return ("entity", "report_type", "unit", "active")  # their own: no address fields

    def has_delete_permission(self, request, obj=None) -> bool:
        own = obj is None or manages_all(request) or obj.user_id == request.user.pk
        return own and super().has_delete_permission(request, obj)

    @admin.display(description="unit", ordering="unit")
    def unit_name(self, obj: ReportSubscription) -> str:
        return obj.unit or "whole entity"

    @admin.display(description="sent to")
    def recipient_address(self, obj: ReportSubscription) -> str:
        return obj.recipient or "— (the user has no e-mail address)"

    def history_view(self, request, object_id, extra_context=None):
        # Django looks the row up first: through the own-rows queryset a stranger would be
        # redirected ("does not exist") instead of refused.
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        return super().history_view(request, object_id, extra_context)

    def get_urls(self):
        view = self.admin_site.admin_view(self.subscribe_view)
        return [path("subscribe/", view, name="pipeline_ops_reportsubscription_subscribe"),
                *super().get_urls()]  # fmt: skip

    def subscribe_view(self, request: HttpRequest):
        """ "Subscribe me": a subscription for the signed-in user, to their own address."""
        if not request.user.has_perm(SUBSCRIBE):
            raise PermissionDenied
        form = SubscribeForm(request.POST or None, user=request.user)
        if form.is_valid():
            try:
                made, created = subscriptions.subscribe(request.user, **form.cleaned_data)
            except subscriptions.NoEmailAddress as exc:
                form.add_error(None, str(exc))
            else:
                word = "Subscribed" if created else "Already subscribed"
                self.message_user(request, f"{word}: {made}.", messages.SUCCESS)
                return HttpResponseRedirect(self._after_subscribe(request))
        return TemplateResponse(request, "admin/pipeline_ops/reportsubscription/subscribe.html", {
            **self.admin_site.each_context(request), "title": "Subscribe me to a report",
            "form": form, "opts": self.model._meta, "no_email": not request.user.email,
        })  # fmt: skip

    def _after_subscribe(self, request: HttpRequest) -> str:
        if self.has_view_permission(request):
            return reverse("admin:pipeline_ops_reportsubscription_changelist")
        return reverse("admin:index")


@admin.register(ReportDelivery)
class ReportDeliveryAdmin(EntityScopedAdmin, ReadOnlyAdmin):
    entity_path = "build__report__entity"
    """Outcome first: what happened to each mail, and why it failed."""

    list_display = ("outcome", "error_text", "recipient", "report_build", "failed_tries", "sent")
    list_filter = ("status",)
    list_select_related = ("build__report__entity",)
    search_fields = ("recipient",)
    actions = ("retry",)
    change_list_template = "admin/pipeline_ops/reportdelivery/change_list.html"

    @admin.display(description="status", ordering="status")
    def outcome(self, obj: ReportDelivery) -> str:
        return format_html('<span class="mail-status mail-{}">{}</span>', obj.status, obj.status)

    @admin.display(description="error")
    def error_text(self, obj: ReportDelivery) -> str:
        return obj.error or "—"

    @admin.display(description="report build")
    def report_build(self, obj: ReportDelivery) -> str:
        """The report (its admin page lists the builds) and when this build was made, in the
        admin's time zone like every other time here."""
        report = obj.build.report
        url = reverse("admin:pipeline_ops_report_change", args=[report.pk])
        return format_html('<a href="{}">{}</a> built {}', url, report,
                           local_time(obj.build.generated_at))  # fmt: skip

    @admin.display(description="failed tries", ordering="attempts")
    def failed_tries(self, obj: ReportDelivery) -> int:
        return obj.attempts

    @admin.display(description="sent at", ordering="sent_at")
    def sent(self, obj: ReportDelivery) -> str:
        return local_time(obj.sent_at) if obj.sent_at else "—"

    def has_retry_permission(self, request) -> bool:
        return request.user.has_perm("pipeline_ops.change_reportdelivery")

    @admin.action(description="Retry failed deliveries", permissions=("retry",))
    def retry(self, request, queryset):
        count = delivery.retry_failed(operable(self, request, queryset, self.entity_path))
        self.message_user(request, f"{count} failed delivery(ies) queued again.",
                          messages.SUCCESS if count else messages.WARNING)  # fmt: skip
