"""The product's one way to write a time (issue #23): `2026-12-06 23:54 WIB`, in TIME_ZONE
with the zone's short name. The admin (admin/display.py, config/formats), report notes, the
report's header and XLSX, and mail all write times through here."""

from __future__ import annotations

from datetime import UTC, datetime

from django.utils import timezone

DATE = "%Y-%m-%d"
TIME = "%H:%M %Z"


def local_stamp(moment: datetime, *, default_zone: bool = False) -> str:
    """`moment` in the current zone (a request's), or in settings.TIME_ZONE itself when
    `default_zone` (a file or a mail is read outside any request). A naive moment is UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    zone = timezone.get_default_timezone() if default_zone else None
    return timezone.localtime(moment, zone).strftime(f"{DATE} {TIME}")
