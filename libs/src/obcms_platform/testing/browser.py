"""Debian's Chromium driven by Playwright, for the browser tests (`make chromium` installs it)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

from playwright.sync_api import Browser, BrowserContext, expect, sync_playwright

from obcms_platform.testing.timing import deadline

CHROMIUM = os.environ.get("OBCMS_CHROMIUM", "/usr/bin/chromium")
# Headless as root, and no background calls to Google's hosts (the network is closed).
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


# Playwright's own defaults (30 s for an action or a navigation, 5 s for an assertion),
# stretched like every other test deadline (OBCMS_TEST_TIME_SCALE).
ACTION_TIMEOUT = 30
ASSERTION_TIMEOUT = 5


@contextlib.contextmanager
def chromium() -> Iterator[Browser]:
    """A headless Chromium, closed afterwards; `expect` waits scaled (`ASSERTION_TIMEOUT`)."""
    assert os.path.exists(CHROMIUM), f"Chromium is needed at {CHROMIUM}: run `make chromium`"
    expect.set_options(timeout=deadline(ASSERTION_TIMEOUT) * 1000)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_ARGS))
        try:
            yield browser
        finally:
            browser.close()


def new_context(browser: Browser, **options: Any) -> BrowserContext:
    """A context of `browser` (Playwright's `new_context` options) whose actions and
    navigations wait `ACTION_TIMEOUT`, scaled."""
    context = browser.new_context(**options)
    context.set_default_timeout(deadline(ACTION_TIMEOUT) * 1000)
    return context
