"""The stable address of a report: `/reports/<ENTITY>/<stem>.<ext>`, always the latest build.

One place builds these links, for the admin, the run page and the e-mails (absolute, with
settings.SITE_URL).
"""

from __future__ import annotations

from django.conf import settings

EXTENSIONS = ("html", "json", "xlsx")


def stable_path(entity: str, stem: str, ext: str = "html") -> str:
    if ext not in EXTENSIONS:
        raise ValueError(f"unknown report file type {ext!r}")
    return f"/reports/{entity}/{stem}.{ext}"


def stable_url(entity: str, stem: str, ext: str = "html") -> str:
    return settings.SITE_URL + stable_path(entity, stem, ext)
