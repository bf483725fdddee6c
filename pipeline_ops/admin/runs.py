"""The run list's level filter and run control for PipelineRunAdmin: the Cancel and Re-run
actions, and the URLs of the run page's buttons (views/runs.py). The work itself is done by
pipeline/runs/control.py; these only ask it and say what happened."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import path, reverse

from pipeline_ops.admin.scoped import operable
from pipeline_ops.pipeline.runs import control, stopping
from pipeline_ops.views.runs import cancel_run, rerun_run, stop_run


class RunLevelFilter(admin.SimpleListFilter):
    """Top-level runs (what someone launched) by default; child stages on request."""

    title = "level"
    parameter_name = "level"

    def lookups(self, request, model_admin):
        return (("all", "With child stages"), ("stages", "Child stages only"))

    def choices(self, changelist):
        for i, choice in enumerate(super().choices(changelist)):
            yield {**choice, "display": "Top-level runs"} if i == 0 else choice

    def queryset(self, request, queryset):
        if self.value() == "all":
            return queryset
        if self.value() == "stages":
            return queryset.filter(parent__isnull=False)
        return queryset.filter(parent__isnull=True)


class RunControlMixin:
    """Cancel queued runs, stop running ones and re-run failed or cancelled ones (the
    "launch" permission)."""

    actions = ("cancel_runs", "stop_runs", "rerun_runs")

    @admin.action(description="Cancel selected queued runs", permissions=("launch",))
    def cancel_runs(self, request, queryset):
        cancelled = control.cancel(operable(self, request, queryset), request.user)
        if cancelled:
            text = f"Cancelled {len(cancelled)} queued run(s): they will not start."
            self.message_user(request, text, messages.SUCCESS)
        else:
            self.message_user(
                request, "Cancelled 0 runs: only queued runs can be cancelled.", messages.WARNING
            )

    @admin.action(description="Stop selected running runs", permissions=("launch",))
    def stop_runs(self, request, queryset):
        runs = operable(self, request, queryset)
        stopped = sum(stopping.request_stop(run, request.user) for run in runs)
        level = messages.SUCCESS if stopped else messages.WARNING
        text = "they end at their next safe point" if stopped else "only running runs can stop"
        self.message_user(request, f"Asked {stopped} run(s) to stop: {text}.", level)

    @admin.action(description="Re-run selected failed or cancelled runs", permissions=("launch",))
    def rerun_runs(self, request, queryset):
        runs = operable(self, request, queryset).select_related("entity", "parent")
        queued, refused = control.rerun(runs, request.user)
        for reason in refused:
            self.message_user(request, f"Not queued: {reason}", messages.WARNING)
        if not queued and not refused:
            text = "Re-queued 0 runs: only failed or cancelled runs can be re-run."
            self.message_user(request, text, messages.WARNING)
        if not queued:
            return None
        self.message_user(request, f"Re-queued {len(queued)} run(s).", messages.SUCCESS)
        if len(queued) == 1:
            url = reverse("admin:pipeline_ops_pipelinerun_change", args=[queued[0].pk])
            return HttpResponseRedirect(url)
        return None

    def get_urls(self):
        view = self.admin_site.admin_view
        extra = [
            path("<int:pk>/cancel/", view(cancel_run), name="pipeline_ops_pipelinerun_cancel"),
            path("<int:pk>/stop/", view(stop_run), name="pipeline_ops_pipelinerun_stop"),
            path("<int:pk>/rerun/", view(rerun_run), name="pipeline_ops_pipelinerun_rerun"),
        ]
        return extra + super().get_urls()
