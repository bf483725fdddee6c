"""django-q2's Schedule admin, replaced: for everyone but superusers a Schedule is data.

A Schedule names a callable (`func`, `hook`) and its arguments, and the worker imports and
runs it: in django-q2's stock admin anyone holding `change_schedule` runs code as the worker.
Here operators may only pause, resume and re-time the product's own schedules; superusers
may add and delete, and even they only save callables and arguments from the allow-list in
pipeline_ops.pipeline.runs.schedules.
"""

from __future__ import annotations

# Imported first so django-q2's admins are registered before this module replaces them,
# whatever the order of INSTALLED_APPS.
import django_q.admin as q_admin
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django_q.models import Failure, Schedule, Success

from pipeline_ops.admin.display import EMPTY, local_time
from pipeline_ops.admin.scoped import HiddenObjectsAdmin
from pipeline_ops.pipeline.access import OPERATE, VIEW
from pipeline_ops.pipeline.errors import PipelineError
from pipeline_ops.pipeline.runs.run_now import allowed, last_runs, run_now
from pipeline_ops.pipeline.runs.schedules import TASK_FUNCTIONS, validate_schedule

# Fields that name code, its arguments or where it runs: superusers only.
CODE_FIELDS = ("name", "func", "hook", "args", "kwargs", "cluster", "intended_date_kwarg")
TIMING_FIELDS = ("schedule_type", "minutes", "cron", "next_run", "repeats")
# django-q2 has no "paused" flag; its scheduler skips every schedule whose repeats is 0
# (scheduler.py: `.exclude(repeats=0)`), so that is the pause. Resume repeats forever.
PAUSED = 0
FOREVER = -1


class ScheduleForm(forms.ModelForm):
    class Meta:
        model = Schedule
        fields = (*CODE_FIELDS, *TIMING_FIELDS)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if "next_run" in self.fields:  # django-q2 says "stored in UTC"; people type local time
            zone = timezone.get_current_timezone_name()
            self.fields["next_run"].help_text = f"When this schedule runs next, in {zone} time."

    def clean(self) -> dict:
        data = super().clean()
        # Operators' forms lack the code fields (read-only): nothing of theirs names code.
        if "func" in self.fields and data.get("func"):
            try:
                validate_schedule(
                    data["func"], data.get("hook"), data.get("args"), data.get("kwargs"),
                    data.get("intended_date_kwarg"),
                )  # fmt: skip
            except ValidationError as exc:
                self.add_error(None, exc)
        return data


admin.site.unregister(Schedule)


@admin.register(Schedule)
class ScheduleAdmin(HiddenObjectsAdmin, q_admin.ScheduleAdmin):
    form = ScheduleForm
    list_display = ("id", "name", "schedule_type", "next_run_local", "last_pipeline_run",
                    "get_success", "paused")  # fmt: skip
    actions = ("run_now", "pause", "resume")

    def get_queryset(self, request) -> QuerySet:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        products = queryset.filter(func__in=list(TASK_FUNCTIONS))
        return products.filter(pk__in=[s.pk for s in allowed(request.user, products, VIEW)])

    def get_readonly_fields(self, request, obj=None) -> tuple[str, ...]:
        readonly = tuple(super().get_readonly_fields(request, obj))
        return readonly if request.user.is_superuser else (*readonly, *CODE_FIELDS)

    def has_add_permission(self, request) -> bool:
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None) -> bool:
        # Re-timing or pausing a schedule acts on its entities: an operator's membership.
        mine = obj is None or request.user.is_superuser or allowed(request.user, [obj], OPERATE)
        return bool(mine) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    @admin.display(description="next run", ordering="next_run")
    def next_run_local(self, obj: Schedule) -> str:
        return local_time(obj.next_run)

    @admin.display(description="last run")
    def last_pipeline_run(self, obj: Schedule) -> str:
        # A query per row: schedules are few (the nightly one and one per entity).
        run = last_runs([obj]).get(obj.pk)
        if run is None:
            return EMPTY
        url = reverse("admin:pipeline_ops_pipelinerun_change", args=[run.pk])
        return format_html('<a href="{}">run {} · {}</a> {}', url, run.pk, run.status,
                           local_time(run.completed_at or run.created))  # fmt: skip

    @admin.action(description="Run now (once; the next run stays as it is)",
                  permissions=("change",))  # fmt: skip
    def run_now(self, request, queryset: QuerySet) -> None:
        queued = 0
        for schedule in allowed(request.user, queryset, OPERATE):
            try:
                self.message_user(request, run_now(schedule, request.user), messages.INFO)
                queued += 1
            except PipelineError as exc:
                self.message_user(request, str(exc), messages.ERROR)
        self.message_user(request, f"Queued {queued} schedule(s) once.", messages.SUCCESS)

    @admin.display(description="paused", boolean=True)
    def paused(self, obj: Schedule) -> bool:
        return obj.repeats == PAUSED

    @admin.action(description="Pause selected schedules", permissions=("change",))
    def pause(self, request, queryset: QuerySet) -> None:
        count = self._set_repeats(request, queryset.exclude(repeats=PAUSED), PAUSED, "Paused")
        self.message_user(request, f"Paused {count} schedule(s).", messages.SUCCESS)

    @admin.action(description="Resume selected schedules", permissions=("change",))
    def resume(self, request, queryset: QuerySet) -> None:
        count = self._set_repeats(request, queryset.filter(repeats=PAUSED), FOREVER, "Resumed")
        self.message_user(request, f"Resumed {count} schedule(s).", messages.SUCCESS)

    def _set_repeats(self, request, queryset: QuerySet, repeats: int, verb: str) -> int:
        count = 0
        for schedule in allowed(request.user, queryset, OPERATE):
            # One row at a time, so the admin history says who paused or resumed what.
            Schedule.objects.filter(pk=schedule.pk).update(repeats=repeats)
            self.log_change(request, schedule, f"{verb} (repeats = {repeats}).")
            count += 1
        return count


class SuperuserResubmitMixin:
    """django-q2's "Resubmit" re-queues a stored task's callable and arguments as they are
    (including ones a schedule named before this admin existed): superusers only."""

    def get_actions(self, request) -> dict:
        actions = super().get_actions(request)
        if not request.user.is_superuser:
            actions.pop("resubmit_task", None)
        return actions


for _model, _base in ((Success, q_admin.TaskAdmin), (Failure, q_admin.FailAdmin)):
    admin.site.unregister(_model)
    admin.site.register(_model, type(_base.__name__, (SuperuserResubmitMixin, _base), {}))
