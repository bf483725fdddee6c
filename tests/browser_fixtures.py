"""The `page` fixture of the console's browser tests: headless Chromium logged in as olga,
a new Pipeline operator (tests/conftest.py). A test module may define its own `page`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def page(live_server, operator, monkeypatch) -> Iterator:
    from playwright.sync_api import sync_playwright  # only browser tests pay for it

    from tests.test_browser import CHROMIUM_ARGS, log_in

    # Playwright's sync API runs an event loop in this thread; the ORM reads here are safe.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport=DESKTOP)
        log_in(page, live_server.url)
        yield page
        browser.close()
