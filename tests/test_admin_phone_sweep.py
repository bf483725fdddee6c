"""Every admin page fits a 390 px phone without sideways scrolling (issue #23): wide tables
stack or scroll inside themselves. Real Chromium over the page sweep's rows
(tests/security/test_admin_pages_sweep.py): each registered admin's list, add and change
page, as a superuser, who sees them all. A page added to the admin is swept by itself."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.urls import NoReverseMatch, reverse
from playwright.sync_api import sync_playwright

from tests.security.test_admin_pages_sweep import (  # noqa: F401  (fixtures by name)
    CUSTOM,
    REGISTERED,
    bare_staff,
    quick_passwords,
    rows,
)
from tests.test_browser import CHROMIUM_ARGS, log_in
from tests.test_console_browser import PHONE

pytestmark = pytest.mark.django_db(transaction=True)
WIDTH = "document.documentElement.scrollWidth"


def pages(found: dict) -> list[str]:
    urls = ["/admin/"]
    for model in admin.site._registry:
        label, row = model._meta.label_lower, found.get(model._meta.label_lower)
        for page, args in (("changelist", []), ("add", []), ("change", [row.pk] if row else None)):
            if args is None:
                continue
            try:
                urls.append(reverse(f"admin:{label.replace('.', '_')}_{page}", args=args))
            except NoReverseMatch:
                continue
    return urls + custom_pages(found)


def custom_pages(found: dict) -> list[str]:
    """The sweep's custom admin views that answer a GET with a page (not a file, not JSON,
    not POST-only)."""
    files = ("download", "progress", "report_file")
    return [
        reverse(f"admin:{name}", args=args)
        for name, (arguments, _permission, post_only) in CUSTOM.items()
        if not post_only and not any(word in name for word in files)
        for args in arguments(found)
    ]


def test_every_admin_page_fits_a_390_px_phone(live_server, request, monkeypatch):
    found = request.getfixturevalue("rows")
    assert set(REGISTERED) <= set(found)  # every admin has a row (the page sweep checks it)
    User.objects.create_superuser("phil", "phil@example.com", "pw")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    too_wide = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport=PHONE)
        log_in(page, live_server.url, "phil")
        for url in pages(found):
            page.goto(live_server.url + url)
            width = page.evaluate(WIDTH)
            if width > PHONE["width"]:
                too_wide[url] = width
        browser.close()
    assert too_wide == {}, f"pages wider than 390 px: {too_wide}"
