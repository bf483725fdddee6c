"""Start-up checks (`manage.py check`, runserver, qcluster and every command run them)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Warning, register

# Backends that deliver mail to people; the console, file, locmem and dummy ones do not.
DELIVERING = ("smtp",)


@register()
def site_url_for_mail(app_configs=None, **kwargs) -> list[Warning]:
    """Every mail links to SITE_URL (report addresses, run pages), from the admin, the worker
    and the command line alike: mail that reaches people needs it set."""
    delivers = any(kind in settings.EMAIL_BACKEND for kind in DELIVERING)
    if not (delivers and getattr(settings, "SITE_URL_IS_DEFAULT", False)):
        return []
    return [
        Warning(
            f"Mail is configured ({settings.EMAIL_BACKEND}) but SITE_URL is not set: links"
            f" in mail will point at {settings.SITE_URL}.",
            hint="Set SITE_URL to the address staff open the admin at (docs/configuration.md).",
            id="atlas.W001",
        )
    ]
