"""The calendar page in a real browser (Debian's Chromium driven by Playwright): entries of
every module render with their colours, the module filter refetches, the week and list
views work, and a click opens the details panel with the entry's link."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from feed_helpers import ok, post, unique
from gateway_helpers import ADMIN_PASSWORD, ServedApp, served, token_for
from playwright.sync_api import Browser, Page, expect

from gateway_service.app import create_app
from gateway_service.settings import GatewaySettings
from obcms_platform.testing.browser import chromium


@pytest.fixture(scope="module")
def gateway(
    make_settings: Callable[..., GatewaySettings], calendar_backend: str
) -> Iterator[ServedApp]:
    with served(create_app(make_settings(calendar_url=calendar_backend))) as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def seeded(gateway: ServedApp) -> dict[str, Any]:
    """This month's entries, so the calendar's initial month view shows them."""
    with httpx.Client(base_url=gateway.url, timeout=30) as client:
        headers = token_for(client, "admin", ADMIN_PASSWORD)
        today = client.get("/api/v1/calendar/feed", headers=headers).json()["generated_at"][:10]
        task = post(client, headers, "/tasks", {"title": unique("Browser task"), "due_date": today})
        event = post(
            client,
            headers,
            "/events",
            {
                "title": unique("Browser meeting"),
                "event_type": "consultation",
                "start": f"{today}T09:00:00+08:00",
                "end": f"{today}T10:00:00+08:00",
            },
        )
        ppa = post(
            client,
            headers,
            "/ppas",
            {"title": unique("Browser PPA"), "category": "obc_request", "start_date": today},
        )
        ok(client.get("/api/v1/calendar/feed", headers=headers), 200)
        return {"task": task, "event": event, "ppa": ppa}


@pytest.fixture
def page(browser: Browser, gateway: ServedApp) -> Iterator[Page]:
    context = browser.new_context(base_url=gateway.url, timezone_id="Asia/Manila")
    page = context.new_page()
    page.goto("/accounts/login/?next=/oobc-management/staff/calendar/")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/oobc-management/staff/calendar/")
    yield page
    context.close()


def test_calendar_page_renders_filters_and_opens_details(page: Page, seeded: dict[str, Any]):
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    task_title = seeded["task"]["title"]
    task = page.locator(".fc-event", has_text=task_title)
    expect(task).to_be_visible()
    expect(page.locator(".fc-event", has_text=seeded["event"]["title"])).to_be_visible()
    expect(page.locator(".fc-event", has_text=seeded["ppa"]["title"]).first).to_be_visible()
    colour = task.evaluate("node => getComputedStyle(node).backgroundColor")
    assert colour == "rgb(124, 58, 237)"  # #7c3aed

    # Unticking a module refetches without it.
    page.uncheck("input[name=modules][value=staff]")
    expect(task).to_have_count(0)
    expect(page.locator(".fc-event", has_text=seeded["event"]["title"])).to_be_visible()
    page.check("input[name=modules][value=staff]")
    expect(task).to_be_visible()

    # A click opens the details panel with the entry's link.
    task.click()
    panel = page.locator("#calendar-details")
    expect(panel).to_be_visible()
    expect(page.locator("#details-title")).to_have_text(task_title)
    expect(page.locator("#details-module")).to_have_text("staff")
    link = page.locator("#details-link")
    assert link.get_attribute("href") == f"/oobc-management/staff/tasks/{seeded['task']['id']}/"

    # Week and list views.
    page.click(".fc-timeGridWeek-button")
    expect(page.locator(".fc-timeGridWeek-view")).to_be_visible()
    page.click(".fc-listMonth-button")
    expect(page.locator(".fc-list-event", has_text=task_title)).to_be_visible()
    assert errors == []
