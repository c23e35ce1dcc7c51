"""Debian's Chromium driven by Playwright, for the browser tests (`make chromium` installs it)."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page, Request, expect, sync_playwright

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
# How long a loaded page's network stays quiet before its scripts' fetches count as done.
# Playwright's "networkidle" waits half a second, which was most of the time of a check of
# every page.
QUIET_SECONDS = 0.1


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


class NetworkWatch:
    """The requests `page` has open, so that a check can wait until its scripts' fetches
    (the calendar's events, htmx's parts) are answered."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.open: set[Request] = set()
        page.on("request", self._opened)
        page.on("requestfinished", self._closed)
        page.on("requestfailed", self._closed)

    # Playwright takes Python functions as handlers, not a set's built-in methods.
    def _opened(self, request: Request) -> None:
        self.open.add(request)

    def _closed(self, request: Request) -> None:
        self.open.discard(request)

    def settle(self, quiet: float = QUIET_SECONDS) -> None:
        """Returns once no request has been open for `quiet` seconds (call it after the
        page's load: a script's fetch starts before then)."""
        give_up = time.monotonic() + deadline(ACTION_TIMEOUT)
        quiet_since: float | None = None
        while True:
            now = time.monotonic()
            if self.open:
                quiet_since = None
                if now > give_up:
                    raise TimeoutError(f"still loading: {sorted(r.url for r in self.open)}")
            elif quiet_since is None:
                quiet_since = now
            elif now - quiet_since >= quiet:
                return
            # Playwright hands the page's events over while it waits.
            self.page.wait_for_timeout(20)
