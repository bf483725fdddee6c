"""List filters for derived states the index banner and the run page link to."""

from __future__ import annotations

from django.contrib import admin

from pipeline_ops.console.banner import failing
from pipeline_ops.console.outcome import family
from pipeline_ops.pipeline.period import UNITS
from pipeline_ops.site import lookup_id


class OpenFailureFilter(admin.SimpleListFilter):
    """`?failed=open`: failures no later success of the same work has cleared (the banner's
    count, read from the month-state record)."""

    title = "failures"
    parameter_name = "failed"

    def lookups(self, request, model_admin):
        return (("open", "Open (not cleared since)"),)

    def queryset(self, request, queryset):
        return failing(queryset) if self.value() == "open" else queryset


class RunFilter(admin.SimpleListFilter):
    """`?run=12`: the validation issues of run 12 and its stages (linked from its page)."""

    title = "run"
    parameter_name = "run"

    def _pk(self) -> int | None:
        return lookup_id(self.value())

    def lookups(self, request, model_admin):
        pk = self._pk()
        return ((str(pk), f"Run {pk} and its stages"),) if pk else ()

    def queryset(self, request, queryset):
        pk = self._pk()
        return queryset.filter(family(pk)) if pk else queryset


class UnitFilter(admin.SimpleListFilter):
    """`?unit=TM`: that unit's reports; `?unit=all`: whole-entity reports (blank unit)."""

    title = "unit"
    parameter_name = "unit"

    def lookups(self, request, model_admin):
        return (("all", "Whole entity"), *((unit, unit) for unit in UNITS))

    def queryset(self, request, queryset):
        value = self.value()
        if value == "all":
            return queryset.filter(unit="")
        return queryset.filter(unit=value) if value in UNITS else queryset
