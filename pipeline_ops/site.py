"""No query string or object id a viewer types makes an admin page fail (docs/admin.md,
"Hostile filter values").

Django's admin turns most bad filter values into IncorrectLookupParameters (its `?e=1`
redirect), but not all: a 30-digit id in a foreign-key filter overflows SQLite's and
PostgreSQL's 64-bit integers (OverflowError, DataError), a huge date-hierarchy year
overflows `datetime`, and PostgreSQL refuses NUL in text. Those were 500s.

The one place that stops them is the admin site itself: AtlasAdminSite (the default site,
via AtlasAdminConfig in INSTALLED_APPS) gives every ModelAdmin registered on it, ours and
those of auth, axes and django-q2, SafeLookupsMixin. Filters of our own that parse an id
use `lookup_id`, which accepts only what a database id can be.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin import AdminSite, ModelAdmin
from django.contrib.admin.apps import AdminConfig
from django.contrib.admin.options import IncorrectLookupParameters
from django.db import DataError, router, transaction
from django.http import HttpRequest

# The largest id a 64-bit integer column holds (SQLite INTEGER, PostgreSQL bigint).
MAX_ID = 2**63 - 1
# What a value can make the database or Django's own parsing raise while a list is built.
LOOKUP_ERRORS = (OverflowError, DataError, ValueError)


def lookup_id(value: str | None) -> int | None:
    """A database id from a query value, or None: ASCII digits only (`"²".isdigit()` is
    True but int() refuses it) and within a 64-bit column."""
    value = value or ""
    if not (value.isascii() and value.isdigit()):
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None


class SafeLookupsMixin:
    """A bad filter value is Django's "incorrect lookup" (`?e=1`); a bad object id is
    "does not exist". Each runs in a savepoint: a statement PostgreSQL refused leaves the
    request's transaction usable for the page that says so."""

    def get_changelist_instance(self, request: HttpRequest) -> Any:
        if any("\x00" in value for values in request.GET.lists() for value in values[1]):
            # PostgreSQL cannot hold NUL in text; refuse it on SQLite too, so both agree.
            raise IncorrectLookupParameters("a query value contains a NUL character")
        try:
            with transaction.atomic(using=router.db_for_read(self.model)):
                return super().get_changelist_instance(request)
        except LOOKUP_ERRORS as exc:
            raise IncorrectLookupParameters(exc) from exc

    def get_object(self, request: HttpRequest, object_id: str, from_field: Any = None) -> Any:
        if "\x00" in object_id:
            return None
        try:
            with transaction.atomic(using=router.db_for_read(self.model)):
                return super().get_object(request, object_id, from_field)
        except LOOKUP_ERRORS:
            return None


class AtlasAdminSite(AdminSite):
    """The default admin site: every admin registered on it gets SafeLookupsMixin, so no
    ModelAdmin (a third-party one included) can be registered without it."""

    site_header = "Atlas Ops"
    site_title = "Atlas Ops"
    index_title = "Operations console"

    def register(self, model_or_iterable: Any, admin_class: Any = None, **options: Any) -> None:
        base = admin_class or ModelAdmin
        if not issubclass(base, SafeLookupsMixin):
            attrs = {"__module__": base.__module__, "__qualname__": base.__qualname__}
            base = type(base.__name__, (SafeLookupsMixin, base), attrs)
        super().register(model_or_iterable, base, **options)


class AtlasAdminConfig(AdminConfig):
    """django.contrib.admin with AtlasAdminSite as `admin.site` (config/settings.py)."""

    default_site = "pipeline_ops.site.AtlasAdminSite"
