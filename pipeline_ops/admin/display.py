"""How the admin shows things: the site's titles, times in TIME_ZONE with the zone's name,
numbers with thousands separators."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.html import format_html

from pipeline_ops.pipeline import when

EMPTY = "—"


def local_time(value: datetime | None) -> str:
    """`2026-02-03 21:05 WIB` (pipeline/when.py), the full zone name (Asia/Jakarta) on hover."""
    if value is None:
        return EMPTY
    local = timezone.localtime(value)
    # Two unbreakable halves: a narrow column wraps between date and time, never inside.
    return format_html(
        '<time datetime="{}" title="{}"><span class="nowrap">{}</span>'
        ' <span class="nowrap">{}</span></time>',
        value.isoformat(),
        timezone.get_current_timezone_name(),
        local.strftime(when.DATE),
        local.strftime(when.TIME),
    )


def number(value: int | None) -> str:
    """18,000 rather than 18000."""
    return EMPTY if value is None else f"{value:,}"
