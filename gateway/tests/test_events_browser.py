"""The event form and a resource's week in a real browser (Debian's Chromium driven by
Playwright): the people picker searching people.json by full name, the recurrence fields shown
for the chosen "Repeats", the all-day box switching the time inputs, a resource's week in the
viewer's zone, the leave form's refusal of overlapping days, and screenshots of the pages at
desktop and phone widths (test-artifacts/screenshots/).

The browser runs in Berlin's zone on purpose: the pages show the viewer's zone (the office's,
Asia/Manila, for the admin), never the browser's. The dates are in March 2033, which no other
test of the session uses."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from gateway_helpers import (
    ADMIN_PASSWORD,
    DESKTOP,
    PHONE,
    ServedApp,
    browser_session,
    create_user,
    ok,
    token_for,
)
from playwright.sync_api import Browser, Page, expect

from obcms_platform.testing.axe import serious_violations, summary

FRONTS_CALENDAR = True  # the conftest gateway fronts the calendar service too

EVENTS = "/oobc-management/calendar/events/"
NEW = EVENTS + "new/"
LEAVE = "/oobc-management/staff/leave/"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@pytest.fixture(scope="module")
def api(gateway: ServedApp) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gateway.url, timeout=30) as client:
        client.headers.update(token_for(client, "admin", ADMIN_PASSWORD))
        yield client


@pytest.fixture
def page(browser: Browser, gateway: ServedApp) -> Iterator[Page]:
    with browser_session(
        browser, gateway.url, "admin", ADMIN_PASSWORD, DESKTOP, timezone_id="Europe/Berlin"
    ) as page:
        yield page


def _screenshots(page: Page, name: str, phone_shows: str | None = None) -> None:
    """The page at desktop and phone widths (once `phone_shows` is visible there); at 390 px
    nothing scrolls sideways."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size(DESKTOP)
    page.screenshot(path=SCREENSHOTS / f"{name}-desktop.png", full_page=True)
    page.set_viewport_size(PHONE)
    if phone_shows:
        expect(page.locator(phone_shows)).to_be_visible()
    page.screenshot(path=SCREENSHOTS / f"{name}-phone.png", full_page=True)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name}: {overflow} px of horizontal scroll at 390 px"
    page.set_viewport_size(DESKTOP)


def test_people_picker_and_recurrence_fields(page: Page, api: httpx.Client):
    marker = uuid.uuid4().hex[:6]
    person = create_user(api, {}, full_name=f"Rosalinda Tan {marker}")
    page.goto(f"{NEW}?start=2033-03-07T09:00:00%2B08:00&end=2033-03-07T10:00:00%2B08:00")
    assert serious_violations(page) == [], summary(serious_violations(page))
    start = page.locator("input[name=start]")
    end = page.locator("input[name=end]")
    rule = page.locator("[data-repeat-only]")
    weekly = page.locator("[data-show-for=weekly]")
    monthly = page.locator("[data-show-for=monthly]")
    expect(rule).to_be_hidden()

    page.select_option("select[name=repeats]", "monthly")
    expect(monthly).to_be_visible()
    expect(weekly).to_be_hidden()
    expect(monthly).to_contain_text("(day 7)")
    page.select_option("select[name=repeats]", "weekly")
    expect(weekly).to_be_visible()
    expect(monthly).to_be_hidden()
    expect(page.locator("[data-unit]")).to_have_text("week")
    page.fill("input[name=interval]", "2")
    expect(page.locator("[data-unit]")).to_have_text("weeks")
    expect(page.locator("input[name=weekdays][value='1']")).to_be_checked()  # the start's day
    page.check("input[name=weekdays][value='3']")
    page.check("input[name=ends][value=after]")
    page.fill("input[name=count]", "4")

    # All day: dates only; back: the times return.
    page.check("input[name=all_day]")
    expect(start).to_have_attribute("type", "date")
    expect(start).to_have_value("2033-03-07")
    page.uncheck("input[name=all_day]")
    expect(start).to_have_attribute("type", "datetime-local")
    expect(start).to_have_value("2033-03-07T09:00")
    # Moving the start moves the end with it.
    start.fill("2033-03-07T14:00")
    expect(end).to_have_value("2033-03-07T15:00")

    # The people picker searches people.json by full name.
    page.fill("input[name=title]", f"Browser series {marker}")
    picker = page.locator(".ts-control input")
    picker.fill(f"Tan {marker}")
    option = page.locator(".ts-dropdown .option", has_text=f"Rosalinda Tan {marker}")
    expect(option).to_be_visible()
    option.click()
    expect(page.locator(".ts-control .item", has_text=f"Rosalinda Tan {marker}")).to_be_visible()
    _screenshots(page, "event-form")

    page.click("form[data-event-form] button[type=submit]")
    page.wait_for_url(re.compile(r".*/calendar/events/[0-9a-f-]{36}/\?saved=created$"))
    expect(page.locator("#toast")).to_have_text("Event created")
    facts = page.locator("dl.facts")
    expect(facts).to_contain_text(f"Rosalinda Tan {marker}")
    expect(facts).to_contain_text("Every 2 weeks on Monday and Wednesday, 4 times")
    expect(facts).to_contain_text("Mon 7 Mar 2033, 14:00–15:00")  # noqa: RUF001
    event_id = page.url.split(EVENTS)[1].split("/")[0]
    event = ok(api.get(f"/api/v1/events/{event_id}"), 200)
    assert event["participant_ids"] == [person["id"]]
    occurrences = ok(
        api.get(
            f"/api/v1/events/{event_id}/occurrences",
            params={"start": "2033-03-01", "end": "2033-05-01"},
        ),
        200,
    )
    assert [o["occurrence_date"] for o in occurrences] == [
        "2033-03-07",
        "2033-03-09",
        "2033-03-21",
        "2033-03-23",
    ]
    assert serious_violations(page) == [], summary(serious_violations(page))
    _screenshots(page, "event-page")

    page.goto(f"{EVENTS}{event_id}/edit/?occurrence=2033-03-09")
    expect(page.locator("input[name=start]")).to_have_value("2033-03-09T14:00")
    expect(page.locator("input[name=scope][value=following]")).to_be_visible()
    _screenshots(page, "event-edit")
    page.goto(f"{EVENTS}{event_id}/cancel/?occurrence=2033-03-09")
    assert serious_violations(page) == [], summary(serious_violations(page))
    _screenshots(page, "event-cancel")

    # Refused: every error beside its input, at once.
    page.goto(NEW)
    page.fill("input[name=title]", "")
    page.select_option("select[name=repeats]", "daily")
    page.check("input[name=ends][value=on]")
    page.click("form[data-event-form] button[type=submit]")
    expect(page.locator(".field-error")).to_have_count(2)
    expect(page.locator("[role=alert]")).to_contain_text("Please correct the 2 fields")
    assert serious_violations(page) == [], summary(serious_violations(page))
    _screenshots(page, "event-form-errors")


def test_resource_week_in_the_viewers_zone(page: Page, api: httpx.Client):
    marker = uuid.uuid4().hex[:6]
    van = ok(
        api.post("/api/v1/resources", json={"name": f"Van {marker}", "resource_type": "vehicle"})
    )
    ok(
        api.post(
            "/api/v1/bookings",
            json={
                "resource_id": van["id"],
                "start": "2033-03-08T08:00:00+08:00",
                "end": "2033-03-08T09:30:00+08:00",
            },
        )
    )
    page.goto(f"/oobc-management/resources/{van['id']}/?date=2033-03-08")
    booking = page.locator(".resource-week .fc-event")
    expect(booking).to_have_count(1)
    expect(booking).to_contain_text("08:00")  # Manila, not Berlin's 01:00
    expect(booking).to_contain_text("Administrator")
    expect(booking).to_contain_text("08:00 \N{EN DASH} 09:30")  # not "08:00 - 09:30"
    # Dates as the site writes them, not the browser's US words ("Mar 7 - 13, 2033").
    expect(page.locator(".resource-week .fc-toolbar-title")).to_have_text(
        "7 Mar 2033 \N{EN DASH} 13 Mar 2033"
    )
    expect(page.locator(".resource-week .fc-col-header-cell").nth(1)).to_have_text("Tue 8 Mar")
    assert serious_violations(page) == [], summary(serious_violations(page))
    _screenshots(page, "resource-week", phone_shows=".resource-week .fc-timeGridDay-view")


def _occurrences(api: httpx.Client, event_id: str) -> list[tuple[str, str]]:
    """(original date, start in UTC) of each occurrence in April 2033."""
    found = ok(
        api.get(
            f"/api/v1/events/{event_id}/occurrences",
            params={"start": "2033-04-01", "end": "2033-05-01"},
        ),
        200,
    )
    return [(o["occurrence_date"], o["start"][11:16]) for o in found]


def test_this_and_following_then_one_cancelled_with_the_leave_warned(page: Page, api: httpx.Client):
    """A weekly check-in moves to 15:00 from its third Monday on; the second Monday is then
    called off; a participant's approved leave on the last Monday is named on the page."""
    marker = uuid.uuid4().hex[:6]
    person = create_user(api, {}, full_name=f"Joy Mangudadatu {marker}")
    manager = ok(
        api.post(
            "/api/v1/users",
            json={
                "username": f"approver-{marker}",
                "password": "user-password-for-tests",
                "full_name": f"Approver {marker}",
                "role": "manager",
            },
        )
    )
    leave = ok(
        api.post(
            "/api/v1/leaves",
            json={
                "user_id": person["id"],
                "leave_type": "vacation",
                "start_date": "2033-04-25",
                "end_date": "2033-04-25",
            },
        )
    )
    approver = token_for(api, manager["username"], "user-password-for-tests")
    ok(api.post(f"/api/v1/leaves/{leave['id']}/approve", headers=approver), 200)
    series = ok(
        api.post(
            "/api/v1/events",
            json={
                "title": f"Weekly check-in {marker}",
                "event_type": "meeting",
                "start": "2033-04-04T10:00:00+08:00",
                "end": "2033-04-04T11:00:00+08:00",
                "participant_ids": [person["id"]],
                "recurrence": {"freq": "weekly", "count": 4},
            },
        )
    )

    # This and following, from the third Monday: 15:00 instead of 10:00.
    page.goto(f"{EVENTS}{series['id']}/edit/?occurrence=2033-04-18")
    start = page.locator("input[name=start]")
    expect(start).to_have_value("2033-04-18T10:00")
    start.fill("2033-04-18T15:00")
    expect(page.locator("input[name=end]")).to_have_value("2033-04-18T16:00")
    page.check("input[name=scope][value=following]")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url(re.compile(r".*/calendar/events/[0-9a-f-]{36}/\?saved=saved.*"))
    later_id = page.url.split(EVENTS)[1].split("/")[0]
    assert later_id != series["id"]
    expect(page.locator("#toast")).to_contain_text("saved")
    expect(page.locator("dl.facts")).to_contain_text("Mon 18 Apr 2033, 15:00–16:00")  # noqa: RUF001
    # The participant's leave on the last Monday is named (never its type or reason).
    expect(page.locator("#conflicts")).to_contain_text(
        f"Joy Mangudadatu {marker} is on leave Mon 25 Apr 2033"
    )
    expect(page.locator("#conflicts")).not_to_contain_text("vacation")
    assert _occurrences(api, series["id"]) == [("2033-04-04", "02:00"), ("2033-04-11", "02:00")]
    assert _occurrences(api, later_id) == [("2033-04-18", "07:00"), ("2033-04-25", "07:00")]

    # One occurrence of the earlier half called off, after a confirmation.
    page.goto(f"{EVENTS}{series['id']}/cancel/?occurrence=2033-04-11")
    page.check("input[name=scope][value=this]")
    expect(page.locator("form button.danger")).to_have_text("Cancel this occurrence")
    page.locator("form button.danger").click()
    page.wait_for_url(re.compile(rf".*/calendar/events/{series['id']}/\?saved=cancelled.*"))
    expect(page.locator("#toast")).to_contain_text("cancelled")
    assert _occurrences(api, series["id"]) == [("2033-04-04", "02:00")]
    assert _occurrences(api, later_id) == [("2033-04-18", "07:00"), ("2033-04-25", "07:00")]


def test_the_leave_form_says_an_overlap_beside_from_and_links_the_request_in_the_way(
    page: Page, api: httpx.Client
):
    """Leave overlapping a pending request of mine: the refusal stands beside "From" with a
    link to that request, and the row's inputs stay in line at desktop width."""
    body = {"leave_type": "vacation", "start_date": "2033-03-21", "end_date": "2033-03-25"}
    first = ok(api.post("/api/v1/leaves", json=body))
    page.goto(LEAVE)
    form = page.locator("#request form")
    form.locator("input[name=start_date]").fill("2033-03-24")
    form.locator("input[name=end_date]").fill("2033-03-28")
    form.get_by_role("button", name="Submit request").click()
    error = form.locator("#f-start_date-error")
    expect(error).to_contain_text("These days overlap leave already pending for Mon 21")
    expect(error).not_to_contain_text(first["id"])  # linked, not printed
    in_the_way = error.get_by_role("link", name="See that request")
    expect(in_the_way).to_have_attribute("href", f"{LEAVE}{first['id']}/")
    expect(form.locator("input[name=start_date]")).to_have_attribute(
        "aria-describedby", "f-start_date-error"
    )
    row = [
        form.locator("select[name=leave_type]"),
        form.locator("input[name=start_date]"),
        form.locator("input[name=end_date]"),
        form.locator(".ts-control"),  # the people picker of "For"
    ]
    tops = [box["y"] for box in (control.bounding_box() for control in row) if box]
    _screenshots(page, "leave-overlap")
    assert len(tops) == len(row), "every input of the row is shown"
    assert max(tops) - min(tops) < 1, tops
    in_the_way.click()
    expect(page).to_have_url(f"{page.url.split(LEAVE)[0]}{LEAVE}{first['id']}/")
