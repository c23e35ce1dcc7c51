"""The whole product in a real browser: one `obcms-dev run` stack (embedded PostgreSQL and
Redis, the three services, their workers, the relay and the gateway) and Debian's Chromium
driven by Playwright, walked the way a staff user or an admin would.

Everything that crosses the bus (tasks generated for a new PPA, the PPA's progress after its
tasks are completed) converges asynchronously: the tests reload the page until it shows the
result, with generous timeouts, and never time anything. Full-page screenshots of the main
pages land in `test-artifacts/screenshots/` at the repo root.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from gateway_service.formatting import label
from obcms_platform.formatting import format_span
from obcms_platform.mailcatcher import read_maildir
from obcms_platform.testing import deadline, wait_until
from obcms_platform.testing.browser import chromium, new_context
from obcms_platform.testing.devstack import RunningStack, stack_environment, state_folder

# Started first (see the root conftest): minutes of work each, that must not be the tail.
pytestmark = pytest.mark.slow

ADMIN_PASSWORD = "e2e-" + uuid.uuid4().hex
SCREENSHOTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "screenshots"
OFFICE = ZoneInfo("Asia/Manila")
# Seconds on a quiet machine, scaled by OBCMS_TEST_TIME_SCALE.
CONVERGE_SECONDS = 60.0
HTTP_TIMEOUT = deadline(30)
PPAS = "/oobc-management/portfolio/ppas/"
TASKS = "/oobc-management/staff/tasks/"
CALENDAR = "/oobc-management/staff/calendar/"
RESOURCES = "/oobc-management/resources/"


def unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:6]}"


def office_today() -> str:
    return datetime.now(OFFICE).date().isoformat()


def office_tomorrow() -> str:
    """A day a booking can be made for all day long (a booking is for a time to come)."""
    return (datetime.now(OFFICE).date() + timedelta(days=1)).isoformat()


def next_office_hours(hours: int) -> tuple[str, str]:
    """The `hours` from the next whole hour at the office, as a booking form takes them."""
    start = datetime.now(OFFICE).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return (
        start.strftime("%Y-%m-%dT%H:%M"),
        (start + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M"),
    )


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def reload_until(page: Page, url: str, ready: Callable[[], bool], what: str) -> None:
    """Load `url` again and again until `ready()` holds (bus work converging)."""

    def reloaded_and_ready() -> bool:
        page.goto(url)
        return ready()

    wait_until(
        reloaded_and_ready,
        timeout=CONVERGE_SECONDS,
        interval=0.5,
        message=f"{url} to show {what}",
    )


# --- the stack and the browser ------------------------------------------------------------


@pytest.fixture(scope="module")
def state() -> Iterator[Path]:
    """The stack's state folder (its data, logs and caught mail)."""
    with state_folder() as folder:
        yield folder


@pytest.fixture(scope="module")
def gateway(state: Path) -> Iterator[str]:
    """`obcms-dev run` in a fresh state folder on free ports; yields the gateway's URL.
    (The dev stack seeds no demo data, so there is nothing to turn off.)"""
    env, ports = stack_environment(state, OBCMS_ADMIN_PASSWORD=ADMIN_PASSWORD)
    stack = RunningStack(env)
    try:
        stack.wait_for()
        yield f"http://127.0.0.1:{ports['OBCMS_PORT']}"
    finally:
        stack.stop_cleanly()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def sign_in(page: Page) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Administrator (Admin)", exact=True)).to_be_visible()


@pytest.fixture(scope="module")
def signed_in(browser: Browser, gateway: str) -> dict[str, Any]:
    """The admin's browser session (cookies), signed in through the login form once."""
    context = new_context(browser, base_url=gateway, timezone_id="Asia/Manila")
    try:
        page = context.new_page()
        sign_in(page)
        return context.storage_state()
    finally:
        context.close()


def open_context(
    browser: Browser, gateway: str, state: dict[str, Any], **options: Any
) -> BrowserContext:
    return new_context(
        browser, base_url=gateway, timezone_id="Asia/Manila", storage_state=state, **options
    )


@pytest.fixture
def context(browser: Browser, gateway: str, signed_in: dict[str, Any]) -> Iterator[BrowserContext]:
    context = open_context(browser, gateway, signed_in)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


def script_errors(page: Page) -> list[str]:
    """Uncaught script errors of `page` from now on (filled as they happen)."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


@pytest.fixture(scope="module")
def admin_headers(gateway: str) -> dict[str, str]:
    reply = httpx.post(
        f"{gateway}/api/v1/auth/token",
        data={"username": "admin", "password": ADMIN_PASSWORD},
        timeout=HTTP_TIMEOUT,
    )
    assert reply.status_code == 200, reply.text
    return {"Authorization": f"Bearer {reply.json()['access_token']}"}


# --- things made through the pages, shared by the tests ------------------------------------


def create_ppa_through_the_form(page: Page, title: str, start_date: str) -> str:
    page.goto(PPAS)
    page.get_by_role("link", name="New PPA").click()
    form = page.locator("main form").first
    form.get_by_label("Title", exact=True).fill(title)
    form.get_by_label("Category").select_option("oobc_ppa")
    form.get_by_label("Start date").fill(start_date)
    form.get_by_role("button", name="Create PPA").click()
    page.wait_for_url(
        re.compile(r"/oobc-management/portfolio/ppas/[0-9a-f-]{36}/(\?saved=created)?$")
    )
    expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()
    expect(page.locator("#toast")).to_have_text("PPA created")
    return page.url.split("?")[0]


def task_links(page: Page) -> Locator:
    return page.locator("#tasks tbody tr td a")


def wait_for_generated_tasks(page: Page, ppa_url: str, count: int = 10) -> None:
    reload_until(
        page, ppa_url, lambda: task_links(page).count() == count, f"{count} generated tasks"
    )


@pytest.fixture(scope="module")
def ppa(browser: Browser, gateway: str, signed_in: dict[str, Any]) -> dict[str, str]:
    """An `oobc_ppa` PPA starting today, created through the PPA form."""
    context = open_context(browser, gateway, signed_in)
    try:
        title = unique("Solar dryers for Datu Piang")
        url = create_ppa_through_the_form(context.new_page(), title, office_today())
        return {"title": title, "url": url}
    finally:
        context.close()


@pytest.fixture(scope="module")
def resource(browser: Browser, gateway: str, signed_in: dict[str, Any]) -> str:
    """A room (no approval needed), added through the resources page; returns its name."""
    context = open_context(browser, gateway, signed_in)
    try:
        page = context.new_page()
        page.goto(RESOURCES)
        name = unique("Conference room")
        form = page.locator("#resources form")
        form.get_by_label("Name").fill(name)
        form.get_by_label("Type").select_option("room")
        form.get_by_label("Location").fill("Cotabato City")
        form.get_by_role("button", name="Add resource").click()
        expect(page.locator("#resources tbody tr", has_text=name)).to_be_visible()
        return name
    finally:
        context.close()


def book(page: Page, resource_name: str, start: str, end: str, notes: str) -> None:
    page.goto(RESOURCES)
    form = page.locator("#book form")
    form.get_by_label("Resource").select_option(label=f"{resource_name} (Room)")
    form.get_by_label("Start").fill(start)
    form.get_by_label("End").fill(end)
    form.get_by_label("Notes").fill(notes)
    form.get_by_role("button", name="Book", exact=True).click()


# --- the tests ------------------------------------------------------------------------------


def test_admin_logs_in_through_the_login_form(browser: Browser, gateway: str) -> None:
    context = new_context(browser, base_url=gateway, timezone_id="Asia/Manila")
    try:
        page = context.new_page()
        response = page.goto(TASKS)
        assert response is not None
        # Without a session the page sends the browser to the login form.
        expect(page).to_have_url(re.compile(r"/accounts/login/"))
        page.get_by_label("Username").fill("admin")
        page.get_by_label("Password").fill(ADMIN_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(re.compile(re.escape(TASKS) + "$"))
        expect(page.get_by_role("heading", name="Tasks", exact=True)).to_be_visible()
        expect(page.get_by_text("Administrator (Admin)", exact=True)).to_be_visible()
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    finally:
        context.close()


def test_a_new_ppa_gets_its_ten_generated_tasks(page: Page, ppa: dict[str, str]) -> None:
    page.goto(ppa["url"])
    expect(page.locator("#summary")).to_contain_text("OOBC PPA")
    wait_for_generated_tasks(page, ppa["url"])
    expect(page.locator("#tasks h2")).to_have_text("Tasks (0 / 10 completed)")
    screenshot(page, "ppa-detail")


def test_completing_three_tasks_moves_the_ppa_progress_to_30(
    page: Page, ppa: dict[str, str]
) -> None:
    errors = script_errors(page)
    wait_for_generated_tasks(page, ppa["url"])
    task_urls = [task_links(page).nth(i).get_attribute("href") for i in range(3)]
    for url in task_urls:
        assert url is not None
        page.goto(url)
        # The task names its PPA by title (the tasks service heard it over the bus).
        expect(page.get_by_role("link", name=ppa["title"])).to_be_visible()
        page.get_by_role("button", name="Mark complete").click()
        expect(page.get_by_role("button", name="Reopen")).to_be_visible()
        expect(page.locator("dl.facts .badge").first).to_have_text("Completed")

    progress = page.locator("#summary dd", has_text="linked tasks completed")
    reload_until(
        page,
        ppa["url"],
        lambda: "30.0 %" in (progress.text_content() or ""),
        "progress 30.0 %",
    )
    expect(progress).to_contain_text("(3 of 10 linked tasks completed)")
    expect(page.locator("#tasks h2")).to_have_text("Tasks (3 / 10 completed)")
    screenshot(page, "ppa-detail")

    page.goto(TASKS)
    for url in task_urls:
        row = page.locator("table tbody tr", has=page.locator(f"a[href='{url}']"))
        expect(row.locator(".badge").first).to_have_text("Completed")  # status, then priority
    screenshot(page, "tasks-list")

    page.goto("/oobc-management/portfolio/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    # The charts' legends say what the tables beside them say ("OOBC PPA", not "Oobc ppa").
    legend = page.locator("canvas[data-chart='category']").evaluate(
        "canvas => window.Chart.getChart(canvas).data.labels"
    )
    assert any(entry.startswith("OOBC PPA (") for entry in legend), legend
    screenshot(page, "portfolio-dashboard")
    assert errors == []


def test_calendar_shows_every_module_and_filters_them_out(
    page: Page, admin_headers: dict[str, str], ppa: dict[str, str], resource: str, gateway: str
) -> None:
    errors = script_errors(page)
    today = office_today()
    # coordination: a meeting through the JSON API with the admin's bearer token
    meeting = unique("Coordination meeting")
    reply = httpx.post(
        f"{gateway}/api/v1/events",
        json={
            "title": meeting,
            "event_type": "meeting",
            "start": f"{today}T09:00:00+08:00",
            "end": f"{today}T10:00:00+08:00",
        },
        headers=admin_headers,
        timeout=HTTP_TIMEOUT,
    )
    assert reply.status_code == 201, reply.text

    # staff: a leave request through the leave page
    page.goto("/oobc-management/staff/leave/")
    form = page.locator("#request form")
    form.get_by_label("Type").select_option("official")
    form.get_by_label("From").fill(today)
    form.get_by_label("To").fill(today)
    form.get_by_label("Reason").fill("Regional summit")
    form.get_by_role("button", name="Submit request").click()
    expect(page.get_by_role("heading", name="Leave request: official")).to_be_visible()
    expect(page.get_by_text("Regional summit")).to_be_visible()

    # resources: a booking through the resources page
    # (the next hour, on today's calendar unless the day is about to end)
    book(page, resource, *next_office_hours(1), "Calendar check")
    page.wait_for_url(re.compile(r"/resources/bookings/[0-9a-f-]{36}/(\?saved=[\w-]+)?$"))

    # mana: an assessment through the assessments page
    assessment = unique("Rapid needs assessment")
    page.goto("/oobc-management/portfolio/assessments/")
    page.get_by_role("link", name="New assessment").click()
    form = page.locator("main form").first
    form.get_by_label("Title", exact=True).fill(assessment)
    form.get_by_label("Methodology").select_option("desk_review")
    form.get_by_label("Level").select_option("regional")
    form.get_by_label("Planned start").fill(today)
    form.get_by_label("Location").fill("Maguindanao")
    form.get_by_role("button", name="Create assessment").click()
    expect(page.get_by_text(assessment).first).to_be_visible()

    entries = {
        "coordination": meeting,
        "staff": "On leave",  # who is away, never why (leave is private)
        "planning": f"{ppa['title']} (start)",
        "mana": f"{assessment} (start)",
        "resources": f"{resource} booking",
    }

    page.goto(CALENDAR)
    page.get_by_role("button", name="List").click()

    def entry(title: str) -> Locator:
        return page.locator(".fc-list-event", has_text=title)

    for title in entries.values():
        expect(entry(title).first).to_be_visible()
    screenshot(page, "calendar")

    for module, title in entries.items():
        other = next(t for m, t in entries.items() if m != module)
        box = page.get_by_role("checkbox", name=label(module), exact=True)
        box.uncheck()
        expect(entry(title)).to_have_count(0)
        expect(entry(other).first).to_be_visible()
        box.check()
        expect(entry(title).first).to_be_visible()
    expect(page.locator("#calendar-status")).to_be_hidden()
    assert errors == []


def test_an_overlapping_booking_shows_the_conflict(page: Page, resource: str) -> None:
    day = office_tomorrow()
    book(page, resource, f"{day}T09:00", f"{day}T10:00", "Team planning")
    page.wait_for_url(re.compile(r"/resources/bookings/[0-9a-f-]{36}/(\?saved=[\w-]+)?$"))
    expect(page.get_by_text("Team planning")).to_be_visible()
    # It says it worked, and whether the resource is held or waits for a manager.
    expect(page.locator("#toast")).to_have_text(re.compile(r"^(Booked|Booking requested): "))

    book(page, resource, f"{day}T09:30", f"{day}T10:30", "Overlapping")
    # Beside the start it is about: when, in words; the booking's id is the link, not text.
    problem = page.locator("#book-start-error")
    when = format_span(f"{day}T09:00:00+08:00", f"{day}T10:00:00+08:00")
    expect(problem).to_contain_text(f"{resource} is already booked {when} (that booking is ")
    expect(problem).not_to_contain_text(", id ")
    expect(problem.get_by_role("link", name="See the booking in the way")).to_be_visible()
    start = page.locator("#book form input[name=start]")
    expect(start).to_have_attribute("aria-invalid", "true")
    expect(start).to_be_focused()
    # What was typed is kept next to the message.
    expect(page.locator("#book form").get_by_label("Notes")).to_have_value("Overlapping")
    screenshot(page, "resources")


def test_maintenance_mode_shows_the_maintenance_page_then_pages_work_again(
    page: Page, gateway: str, admin_headers: dict[str, str]
) -> None:
    def switch(enabled: bool) -> None:
        reply = httpx.put(
            f"{gateway}/api/v1/admin/maintenance",
            json={"enabled": enabled, "message": "Back after the database upgrade."},
            headers=admin_headers,
            timeout=HTTP_TIMEOUT,
        )
        assert reply.status_code == 200, reply.text

    statuses: list[int] = []

    def status_is(expected: int) -> Callable[[], bool]:
        return lambda: bool(statuses) and statuses[-1] == expected

    page.on("response", lambda r: statuses.append(r.status) if r.url.endswith(TASKS) else None)
    switch(True)
    try:
        reload_until(page, TASKS, status_is(503), "the maintenance page")
        expect(page.get_by_role("heading", name="Scheduled Maintenance")).to_be_visible()
        expect(page).to_have_title(re.compile("Scheduled maintenance"))
        expect(page.get_by_text("Back after the database upgrade.")).to_be_visible()
        screenshot(page, "maintenance")
    finally:
        switch(False)
    reload_until(page, TASKS, status_is(200), "the tasks page again")
    expect(page.get_by_role("heading", name="Tasks", exact=True)).to_be_visible()


def test_phone_viewport_has_no_horizontal_overflow(
    browser: Browser, gateway: str, signed_in: dict[str, Any], ppa: dict[str, str]
) -> None:
    context = open_context(
        browser,
        gateway,
        signed_in,
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    overflow = "document.documentElement.scrollWidth <= window.innerWidth"
    widths = "[document.documentElement.scrollWidth, window.innerWidth]"
    try:
        page = context.new_page()
        page.goto(TASKS)
        expect(page.locator("table tbody tr").first).to_be_visible()
        assert page.evaluate(overflow), page.evaluate(widths)
        screenshot(page, "tasks-list-phone")
        page.goto(CALENDAR)
        expect(page.locator(".fc-listWeek-view")).to_be_visible()  # a phone's default
        expect(page.locator(".fc-list-event").first).to_be_visible()
        assert page.evaluate(overflow), page.evaluate(widths)
        screenshot(page, "calendar-phone")
    finally:
        context.close()


# --- notifications: across the bus to the inbox and the SMTP server -----------------------


USER_PASSWORD = "notify-" + uuid.uuid4().hex


def _token(gateway: str, username: str, password: str) -> dict[str, str]:
    reply = httpx.post(
        f"{gateway}/api/v1/auth/token",
        data={"username": username, "password": password},
        timeout=HTTP_TIMEOUT,
    )
    assert reply.status_code == 200, reply.text
    return {"Authorization": f"Bearer {reply.json()['access_token']}"}


@pytest.fixture(scope="module")
def amina(gateway: str, admin_headers: dict[str, str]) -> dict[str, Any]:
    """A staff member with an address, as the admin creates her."""
    username = f"amina-{uuid.uuid4().hex[:8]}"
    reply = httpx.post(
        f"{gateway}/api/v1/users",
        json={
            "username": username,
            "password": USER_PASSWORD,
            "role": "staff",
            "full_name": "Amina Kusain",
            "email": f"{username}@example.org",
        },
        headers=admin_headers,
        timeout=HTTP_TIMEOUT,
    )
    assert reply.status_code == 201, reply.text
    return {**reply.json(), "headers": _token(gateway, username, USER_PASSWORD)}


def _inbox(gateway: str, person: dict[str, Any]) -> list[dict[str, Any]]:
    reply = httpx.get(
        f"{gateway}/api/v1/notifications", headers=person["headers"], timeout=HTTP_TIMEOUT
    )
    assert reply.status_code == 200, reply.text
    items: list[dict[str, Any]] = reply.json()["items"]
    return items


def _mail_to(state: Path, address: str) -> list[Any]:
    return [m for m in read_maildir(state / "state" / "mail") if address in str(m["To"])]


def _assign_task(gateway: str, admin_headers: dict[str, str], person: dict[str, Any]) -> str:
    title = unique("Prepare the briefing")
    reply = httpx.post(
        f"{gateway}/api/v1/tasks",
        json={"title": title, "assignee_ids": [person["id"]]},
        headers=admin_headers,
        timeout=HTTP_TIMEOUT,
    )
    assert reply.status_code == 201, reply.text
    return title


def test_an_assignment_reaches_the_inbox_and_the_smtp_server_once(
    gateway: str, state: Path, admin_headers: dict[str, str], amina: dict[str, Any]
) -> None:
    title = _assign_task(gateway, admin_headers, amina)

    def notified() -> list[dict[str, Any]]:
        return [n for n in _inbox(gateway, amina) if title in n["title"]]

    wait_until(lambda: len(notified()) == 1, CONVERGE_SECONDS, message="the in-app notification")
    wait_until(
        lambda: any(title in str(m["Subject"]) for m in _mail_to(state, amina["email"])),
        CONVERGE_SECONDS,
        message="the email at the SMTP server",
    )
    [email] = [m for m in _mail_to(state, amina["email"]) if title in str(m["Subject"])]
    assert email["To"] == f"Amina Kusain <{amina['email']}>"
    assert "/go/task/" in email.get_body(("plain",)).get_content()
    assert email.get_body(("html",)) is not None
    assert len(notified()) == 1


def test_approving_leave_tells_the_requester(
    gateway: str, state: Path, admin_headers: dict[str, str], amina: dict[str, Any]
) -> None:
    filed = httpx.post(
        f"{gateway}/api/v1/leaves",
        json={"leave_type": "vacation", "start_date": "2031-12-21", "end_date": "2031-12-23"},
        headers=amina["headers"],
        timeout=HTTP_TIMEOUT,
    )
    assert filed.status_code == 201, filed.text
    approved = httpx.post(
        f"{gateway}/api/v1/leaves/{filed.json()['id']}/approve",
        headers=admin_headers,
        timeout=HTTP_TIMEOUT,
    )
    assert approved.status_code == 200, approved.text
    # Who decided is named: the bootstrap admin, by the full name it is created with.
    expected = (
        "Your vacation leave (Sun 21 Dec 2031 \N{EN DASH} Tue 23 Dec 2031) "
        "was approved by Administrator"
    )
    wait_until(
        lambda: any(n["title"] == expected for n in _inbox(gateway, amina)),
        CONVERGE_SECONDS,
        message="the decision in the requester's inbox",
    )
    wait_until(
        lambda: any(m["Subject"] == expected for m in _mail_to(state, amina["email"])),
        CONVERGE_SECONDS,
        message="the decision by email",
    )


def test_the_bell_rises_with_an_assignment_and_falls_when_read(
    browser: Browser, gateway: str, admin_headers: dict[str, str], amina: dict[str, Any]
) -> None:
    context = new_context(browser, base_url=gateway, timezone_id="Asia/Manila")
    try:
        page = context.new_page()
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(amina["username"])
        page.get_by_label("Password").fill(USER_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        bell = page.locator(".bell")

        def bell_says(label: str) -> bool:
            # The count arrives after the page: the script marks the bell when it has it.
            page.locator(".bell[data-unread]").wait_for(state="attached")
            return bell.get_attribute("aria-label") == label

        page.goto("/notifications/")
        if page.get_by_role("button", name="Mark all as read").count():
            page.get_by_role("button", name="Mark all as read").click()
        expect(bell).to_have_attribute("aria-label", "Notifications")
        title = _assign_task(gateway, admin_headers, amina)
        reload_until(
            page,
            "/",
            lambda: bell_says("Notifications, 1 unread"),
            "the bell counting the new assignment",
        )
        bell.click()
        expect(page.get_by_text(title)).to_be_visible()
        screenshot(page, "notifications-e2e")
        page.get_by_role("button", name="Mark all as read").click()
        expect(page.locator("#toast")).to_have_text("All marked as read")
        expect(bell.locator(".bell-count")).to_be_hidden()
    finally:
        context.close()
