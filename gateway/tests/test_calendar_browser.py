"""The calendar page in a real browser (Debian's Chromium driven by Playwright) against the
real calendar, tasks and portfolio services: entries of every module in their module's
colour, the module filter, details over the grid with times in the viewer's zone, creating
events by selecting a slot (one-off and weekly, through the form in a dialog), moving by drag
(kept on reload; a stale drag is put back and says why), who may drag what, the phone's list
view, axe-core on every view and screenshots of each view (test-artifacts/screenshots/).

The browser runs in Berlin's zone on purpose: the page shows the viewer's zone (their
profile's, the office's by default), never the browser's. The entries are in the week of
Monday 9 October 2034, which no other test of the session uses."""

# ruff: noqa: RUF001 - the page's dashes and quotes are the typographic ones

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from feed_helpers import unique
from gateway_helpers import (
    ADMIN_PASSWORD,
    DESKTOP,
    PHONE,
    USER_PASSWORD,
    ServedApp,
    create_user,
    ok,
    post,
    token_for,
)
from playwright.sync_api import Browser, Locator, Page, Route, expect

from gateway_service import formatting
from gateway_service.pages.common import in_words
from obcms_platform.testing.axe import serious_violations, summary
from obcms_platform.testing.browser import new_context

FRONTS_CALENDAR = True  # the conftest gateway fronts the calendar service too

CALENDAR = "/oobc-management/staff/calendar/"
WEEK = "2034-10-09"  # a Monday
BROWSER_ZONE = "Europe/Berlin"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
VIEWS = ("dayGridMonth", "timeGridWeek", "timeGridDay", "listWeek")


@pytest.fixture(scope="module")
def api(gateway: ServedApp) -> Iterator[httpx.Client]:
    """The admin's API client."""
    with httpx.Client(base_url=gateway.url, timeout=30) as client:
        client.headers.update(token_for(client, "admin", ADMIN_PASSWORD))
        yield client


def event_body(title: str, day: str, start: str, end: str, **extra: Any) -> dict[str, Any]:
    return {
        "title": title,
        "event_type": "meeting",
        "start": f"{day}T{start}:00+08:00",
        "end": f"{day}T{end}:00+08:00",
        **extra,
    }


@pytest.fixture(scope="module")
def seeded(api: httpx.Client) -> dict[str, Any]:
    """Entries of every module in the week of WEEK, with a status cue of each kind (the
    leave is pending) and a crowded Saturday (the month view's "+N more")."""
    headers = dict(api.headers)
    meeting = post(
        api,
        headers,
        "/events",
        event_body(unique("Meeting"), "2034-10-10", "09:00", "10:00", venue="Room 2"),
    )
    cancelled = post(
        api,
        headers,
        "/events",
        event_body(unique("Called off"), "2034-10-11", "15:00", "16:00", status="cancelled"),
    )
    task = post(api, headers, "/tasks", {"title": unique("Report"), "due_date": "2034-10-11"})
    done = post(
        api,
        headers,
        "/tasks",
        {"title": unique("Filed"), "due_date": "2034-10-12", "status": "completed"},
    )
    leave = post(
        api,
        headers,
        "/leaves",
        {"leave_type": "official", "start_date": "2034-10-13", "end_date": "2034-10-13"},
    )
    ppa = post(
        api,
        headers,
        "/ppas",
        {"title": unique("Madrasah PPA"), "category": "obc_request", "start_date": WEEK},
    )
    crowd = [
        post(
            api,
            headers,
            "/events",
            {**event_body(unique(f"Crowd {n}"), "2034-10-14", "08:00", "09:00"), "all_day": True},
        )
        for n in range(6)
    ]
    return {
        "meeting": meeting,
        "cancelled": cancelled,
        "task": task,
        "done": done,
        "ppa": ppa,
        "leave": leave,
        "crowd": crowd,
    }


@pytest.fixture(scope="module")
def staff(api: httpx.Client) -> dict[str, Any]:
    """A staff member who owns nothing of the seeded entries, in London's zone."""
    user = create_user(api, dict(api.headers))
    client_headers = token_for(api, user["username"], USER_PASSWORD)
    ok(
        api.patch("/api/v1/users/me", json={"time_zone": "Europe/London"}, headers=client_headers),
        200,
    )
    return {**user, "headers": client_headers}


@pytest.fixture
def open_page(browser: Browser, gateway: ServedApp) -> Iterator[Callable[..., Page]]:
    """Factory: a signed-in calendar page (admin by default) at a viewport size. No page may
    raise or log a script error."""
    contexts = []
    errors: list[str] = []

    def open_page(
        username: str = "admin",
        password: str = ADMIN_PASSWORD,
        viewport: dict[str, int] = DESKTOP,
        **options: Any,
    ) -> Page:
        context = new_context(
            browser, base_url=gateway.url, timezone_id=BROWSER_ZONE, viewport=viewport, **options
        )
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        # Nor log one (a refused font, style or script: the policy and the page disagree);
        # a refused move's 4xx is the browser noting an answer the page handles.
        page.on(
            "console",
            lambda message: (
                errors.append(message.text)
                if message.type == "error"
                and not message.text.startswith("Failed to load resource")
                else None
            ),
        )
        page.goto(f"/accounts/login/?next={CALENDAR}")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_url(f"**{CALENDAR}")
        loaded(page)
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert errors == []


def loaded(page: Page) -> None:
    expect(page.locator("#calendar-loading")).to_be_hidden()


def show(page: Page, view: str, day: str = WEEK) -> None:
    page.evaluate("([view, day]) => window.obcmsCalendar.changeView(view, day)", [view, day])
    expect(page.locator(f".fc-{view}-view")).to_be_visible()
    loaded(page)


def entry(page: Page, title: str) -> Locator:
    return page.locator(".fc-event", has_text=title)


def centre(locator: Locator) -> tuple[float, float]:
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    assert box is not None
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def slot(page: Page, day: str, time: str) -> tuple[float, float]:
    """A point in the week view's `day` column at `time` (HH:MM, a slot's start)."""
    row = page.locator(f"td.fc-timegrid-slot-lane[data-time='{time}:00']")
    row.scroll_into_view_if_needed()
    row_box = row.bounding_box()
    column_box = page.locator(f"td.fc-timegrid-col[data-date='{day}']").bounding_box()
    assert row_box is not None
    assert column_box is not None
    return column_box["x"] + column_box["width"] / 2, row_box["y"] + row_box["height"] / 2


def drag(page: Page, source: tuple[float, float], target: tuple[float, float]) -> None:
    page.mouse.move(*source)
    page.mouse.down()
    page.mouse.move(source[0] + 3, source[1] + 3, steps=3)
    page.mouse.move(*target, steps=12)
    page.mouse.up()


def api_event(api: httpx.Client, event: dict[str, Any]) -> dict[str, Any]:
    return ok(api.get(f"/api/v1/events/{event['id']}"), 200)


def no_serious_violations(page: Page, where: str) -> None:
    found = serious_violations(page)
    assert found == [], f"{where}:\n{summary(found)}"


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"calendar-{name}.png")


def on_screen(locator: Locator) -> bool:
    """Whether the element is within the page's width (not cut off at either side)."""
    box = locator.bounding_box()
    width = locator.page.viewport_size["width"] if locator.page.viewport_size else 0
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width


def no_horizontal_scroll(page: Page) -> bool:
    return bool(page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"))


def test_a_timed_entry_continued_on_the_next_row_of_the_month_has_no_midnight(open_page, api):
    """A trip from Saturday evening to Monday morning crosses the month grid's rows: the
    second row shows its title, not "00:00" as if it began at midnight that Monday."""
    title = unique("Field trip")
    trip = event_body(title, "2034-10-28", "20:00", "10:00")
    post(api, dict(api.headers), "/events", {**trip, "end": "2034-10-30T10:00:00+08:00"})
    page = open_page()
    show(page, "dayGridMonth")
    first, continued = entry(page, title).nth(0), entry(page, title).nth(1)
    expect(first).to_contain_text("20:00")
    expect(continued).to_have_text(title)
    assert "Sat 28 Oct 2034, 20:00" in (continued.get_attribute("title") or "")
    # The week views say its real times, not "20:00 - 00:00" and "00:00 - 10:00".
    show(page, "timeGridWeek", "2034-10-23")
    expect(entry(page, title).locator(".fc-event-time")).to_have_text(["20:00 →", "→"])
    show(page, "timeGridWeek", "2034-10-30")
    expect(entry(page, title).locator(".fc-event-time")).to_have_text("→ 10:00")


def test_the_week_opens_at_an_entry_before_the_working_day(open_page, api):
    """A 06:30 stand-up is in view when its week opens (the hours shown began at 08:00, the
    stand-up above them, unseen)."""
    title = unique("Stand-up")
    post(api, dict(api.headers), "/events", event_body(title, "2034-11-07", "06:30", "06:45"))
    page = open_page()
    show(page, "timeGridWeek", "2034-11-06")
    standup = entry(page, title)
    expect(standup).to_be_in_viewport()
    scroller = page.locator(".fc-timegrid-body").locator(
        "xpath=ancestor::div[contains(@class, 'fc-scroller')][1]"
    )
    box, shown = standup.bounding_box(), scroller.bounding_box()
    assert box
    assert shown
    assert shown["y"] <= box["y"]
    assert box["y"] + box["height"] <= shown["y"] + shown["height"]


def test_entries_in_module_colours_and_details_over_the_grid(open_page, seeded):
    page = open_page()
    show(page, "dayGridMonth")
    task = entry(page, seeded["task"]["title"])
    expect(task).to_be_visible()
    expect(entry(page, seeded["meeting"]["title"])).to_be_visible()
    expect(entry(page, seeded["ppa"]["title"]).first).to_be_visible()
    assert task.evaluate("node => getComputedStyle(node).backgroundColor") == "rgb(124, 58, 237)"
    # Status shows by a second cue: struck through, a check mark, a dashed outline.
    cancelled = entry(page, seeded["cancelled"]["title"]).locator(".fc-event-title")
    assert "line-through" in cancelled.evaluate("node => getComputedStyle(node).textDecorationLine")
    done = entry(page, seeded["done"]["title"]).locator(".fc-event-title")
    assert done.evaluate("node => getComputedStyle(node, '::before').content") == '"✓ "'
    pending = page.locator(".fc-daygrid-day[data-date='2034-10-13'] .fc-event")  # the leave
    assert pending.evaluate("node => getComputedStyle(node).outlineStyle") == "dashed"
    expect(page.locator("#calendar-legend")).to_contain_text("struck through")

    # Unticking a module refetches without it; the page says it is loading meanwhile.
    held: list[Route] = []
    page.route("**/calendar/feed/json/?*", lambda route: held.append(route))
    page.uncheck("input[name=modules][value=staff]")
    expect(page.locator("#calendar-loading")).to_be_visible()
    expect(page.locator("#calendar-loading")).to_have_text("Loading the calendar…")
    for route in held:
        route.continue_()
    page.unroute("**/calendar/feed/json/?*")
    loaded(page)
    expect(task).to_have_count(0)
    expect(entry(page, seeded["meeting"]["title"])).to_be_visible()
    page.check("input[name=modules][value=staff]")
    expect(task).to_be_visible()

    # Details over the grid: the grid keeps its width; times in the viewer's zone (the
    # office's), not the browser's.
    width = page.locator("#calendar").evaluate("node => node.offsetWidth")
    entry(page, seeded["meeting"]["title"]).click()
    details = page.locator("#calendar-details")
    expect(details).to_be_visible()
    expect(page.locator("#details-title")).to_have_text(seeded["meeting"]["title"])
    expect(page.locator("#details-when")).to_have_text("Tue 10 Oct 2034, 09:00–10:00")
    expect(page.locator("#details-module")).to_have_text("Coordination")
    expect(page.locator("#details-venue")).to_have_text("Room 2")
    event_page = f"/oobc-management/calendar/events/{seeded['meeting']['id']}/"
    assert page.locator("#details-link").get_attribute("href") == event_page
    assert page.locator("#details-edit").get_attribute("href") == event_page + "edit/"
    assert page.locator("#details-delete").get_attribute("href") == event_page + "delete/"
    assert page.locator("#calendar").evaluate("node => node.offsetWidth") == width
    page.keyboard.press("Escape")
    expect(details).to_be_hidden()

    # The task's details: its due day, no event links.
    task.click()
    expect(page.locator("#details-when")).to_have_text("Wed 11 Oct 2034")
    expect(page.locator("#details-status")).to_have_text("Not started")
    expect(page.locator("#details-edit")).to_be_hidden()
    assert page.locator("#details-link").get_attribute("href") == (
        f"/oobc-management/staff/tasks/{seeded['task']['id']}/"
    )
    page.locator("#calendar-details [data-close]").click()
    expect(details).to_be_hidden()


def test_keyboard_reaches_more_link_and_entries(open_page, seeded):
    page = open_page()
    show(page, "dayGridMonth")
    more = page.locator(".fc-daygrid-more-link").first
    expect(more).to_be_visible()
    more.focus()
    page.keyboard.press("Enter")
    popover = page.locator(".fc-popover")
    expect(popover).to_be_visible()
    expect(popover).to_contain_text(seeded["crowd"][0]["title"])
    crowd = popover.locator(".fc-event", has_text=seeded["crowd"][5]["title"])
    crowd.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#details-title")).to_have_text(seeded["crowd"][5]["title"])
    page.keyboard.press("Escape")

    # Escape gives the focus back to the entry that opened the details, as the close button does.
    show(page, "dayGridMonth")
    meeting = entry(page, seeded["meeting"]["title"])
    meeting.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#details-title")).to_have_text(seeded["meeting"]["title"])
    page.keyboard.press("Escape")
    expect(page.locator("#details-title")).to_be_hidden()
    expect(meeting).to_be_focused()

    # A day's column of the week view: Enter opens a new event on that day; Escape returns.
    show(page, "timeGridWeek")
    column = page.locator("td.fc-timegrid-col[data-date='2034-10-13']")
    column.focus()
    page.keyboard.press("Enter")
    form = page.locator("#event-dialog form")
    expect(form.locator("input[name=start]")).to_have_value("2034-10-13T08:00")
    page.keyboard.press("Escape")
    expect(page.locator("#event-dialog")).to_be_hidden()
    expect(column).to_be_focused()


def test_select_a_slot_creates_a_one_off_event(open_page, api, seeded):
    busy = unique("Budget hearing")
    ok(api.post("/api/v1/events", json=event_body(busy, "2034-10-10", "11:30", "12:30")), 201)
    page = open_page()
    show(page, "timeGridWeek")
    drag(page, slot(page, "2034-10-10", "11:00"), slot(page, "2034-10-10", "11:30"))
    dialog = page.locator("#event-dialog")
    expect(dialog).to_be_visible()
    form = dialog.locator("form")
    expect(form.locator("input[name=start]")).to_have_value("2034-10-10T11:00")
    expect(form.locator("input[name=end]")).to_have_value("2034-10-10T12:00")
    screenshot(page, "desktop-new-event")
    title = unique("Planning session")
    form.locator("input[name=title]").fill(title)
    form.locator("button[type=submit]").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#toast")).to_contain_text(f"Event “{title}” created")
    created = page.locator("td.fc-timegrid-col[data-date='2034-10-10'] .fc-event", has_text=title)
    expect(created).to_be_visible()
    expect(created).to_contain_text("11:00")
    # Its conflicts, one per line, the organizer's own as "you".
    status = page.locator("#calendar-status")
    expect(status).to_contain_text("Please check:")
    expect(status.locator("li")).to_have_text([f"You are in ‘{busy}’ Tue 10 Oct 2034, 11:30–12:30"])
    expect(status.get_by_role("link", name="Open the event")).to_be_visible()
    found = ok(api.get("/api/v1/events", params={"q": title}), 200)["items"]
    assert [(e["start"], e["end"]) for e in found] == [
        ("2034-10-10T03:00:00Z", "2034-10-10T04:00:00Z")
    ]


def test_refused_form_stays_in_the_dialog_with_its_errors(open_page):
    page = open_page()
    page.click("#new-event")
    dialog = page.locator("#event-dialog")
    form = dialog.locator("form")
    expect(form.locator("input[name=title]")).to_be_visible()
    form.locator("input[name=title]").fill("")
    form.locator("button[type=submit]").click()
    expect(dialog).to_be_visible()
    expect(form.locator(".field-error").first).to_be_visible()
    expect(form.locator("input[name=title]")).to_have_attribute("aria-invalid", "true")
    # What came back is what was typed: closing asks first.
    dialog.locator("[data-close]").click()
    page.locator("#discard-dialog").get_by_role("button", name="Discard").click()
    expect(dialog).to_be_hidden()


def test_escape_asks_before_discarding_what_was_typed_in_the_new_event(open_page, api):
    """QA: Escape in the "New event" dialog, or right after choosing a participant (the
    picker's list already closed), threw away everything typed without asking."""
    person = create_user(api, dict(api.headers), "staff", unique("Farida Abubakar"))
    page = open_page()
    dialog = page.locator("#event-dialog")
    question = page.locator("#discard-dialog")
    form = dialog.locator("form")

    # Nothing typed: Escape closes it at once.
    page.click("#new-event")
    expect(form.locator("input[name=title]")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(question).to_be_hidden()

    page.click("#new-event")
    title = form.locator("input[name=title]")
    title.fill("Q1 portfolio review")
    form.locator("input[name=venue]").fill("Conference Room A")
    title.focus()
    page.keyboard.press("Escape")
    expect(question).to_be_visible()
    expect(question.locator("h2")).to_have_text("Discard this event?")
    expect(question.get_by_role("button", name="Keep editing")).to_be_focused()
    screenshot(page, "discard-question")
    no_serious_violations(page, "the discard question")
    # "Keep editing" (Enter on it): the form as it was, focus back in the title.
    page.keyboard.press("Enter")
    expect(question).to_be_hidden()
    expect(dialog).to_be_visible()
    expect(title).to_have_value("Q1 portfolio review")
    expect(title).to_be_focused()

    # A participant chosen in the picker, then Escape: the picker's list closed, the form asks.
    picker = form.locator(".ts-control input")
    picker.fill(person["full_name"][:12])
    page.locator(".ts-dropdown .option", has_text=person["full_name"]).click()
    expect(form.locator(".ts-control .item", has_text=person["full_name"])).to_be_visible()
    page.keyboard.press("Escape")
    expect(question).to_be_visible()
    # Escape in the question is "no": the draft stays.
    page.keyboard.press("Escape")
    expect(question).to_be_hidden()
    expect(dialog).to_be_visible()
    expect(form.locator(".ts-control .item", has_text=person["full_name"])).to_be_visible()

    # The close button too asks; "Discard" closes the form, and a new one is empty.
    dialog.locator("[data-close]").click()
    question.get_by_role("button", name="Discard").click()
    expect(dialog).to_be_hidden()
    page.click("#new-event")
    expect(form.locator("input[name=title]")).to_have_value("")


def test_weekly_event_through_the_dialogs_recurrence_fields(open_page, api):
    page = open_page()
    show(page, "timeGridWeek")
    drag(page, slot(page, "2034-10-11", "16:00"), slot(page, "2034-10-11", "16:00"))
    form = page.locator("#event-dialog form")
    expect(form.locator("input[name=title]")).to_be_visible()
    title = unique("Weekly check-in")
    form.locator("input[name=title]").fill(title)
    form.locator("select[name=repeats]").select_option("weekly")
    form.locator("input[name=ends][value=after]").check()
    form.locator("input[name=count]").fill("3")
    form.locator("button[type=submit]").click()
    expect(page.locator("#event-dialog")).to_be_hidden()
    show(page, "dayGridMonth")
    expect(entry(page, title)).to_have_count(3)
    days = entry(page, title).evaluate_all("nodes => nodes.map(n => n.closest('td').dataset.date)")
    assert days == ["2034-10-11", "2034-10-18", "2034-10-25"]
    (series,) = ok(api.get("/api/v1/events", params={"q": title}), 200)["items"]
    assert (series["recurrence"]["freq"], series["recurrence"]["count"]) == ("weekly", 3)
    # A click on one slot: an hour from 16:00 office time.
    assert (series["start"], series["end"]) == ("2034-10-11T08:00:00Z", "2034-10-11T09:00:00Z")


def test_a_new_series_repeats_on_its_start_day_and_typing_keeps_its_length(open_page):
    """The weekly boxes stayed on the day the form was opened (a Wednesday meeting became
    "every Tuesday"); typing a start hour's leading zero left the end before the start."""
    page = open_page()
    page.goto("/oobc-management/calendar/events/new/")
    form = page.locator("form[data-event-form]")
    form.locator("select[name=repeats]").select_option("weekly")
    form.locator("input[name=start]").fill("2034-10-11T09:00")  # a Wednesday
    checked = "nodes => nodes.filter(n => n.checked).map(n => n.value)"
    assert form.locator("input[name=weekdays]").evaluate_all(checked) == ["3"]
    form.locator("select[name=repeats]").select_option("monthly")
    assert form.locator("select[name=setpos]").input_value() == "2"  # the second Wednesday
    assert form.locator("select[name=setpos_weekday]").input_value() == "3"
    # Once the person chooses the days, they stay chosen.
    form.locator("select[name=repeats]").select_option("weekly")
    form.locator("input[name=weekdays][value='5']").check()
    form.locator("input[name=start]").fill("2034-10-12T09:00")
    assert form.locator("input[name=weekdays]").evaluate_all(checked) == ["3", "5"]

    # By keyboard, a start hour with its leading zero: the end follows, an hour later.
    start = form.locator("input[name=start]")
    start.focus()
    page.keyboard.type("10122034")
    page.keyboard.press("Tab")
    page.keyboard.type("0300P")
    assert start.input_value() == "2034-10-12T15:00"
    assert form.locator("input[name=end]").input_value() == "2034-10-12T16:00"


def test_drag_moves_an_event_and_a_task_and_reload_shows_them(open_page, api, seeded):
    event = post(
        api,
        dict(api.headers),
        "/events",
        event_body(unique("Movable"), "2034-10-10", "13:00", "14:00"),
    )
    series = post(
        api,
        dict(api.headers),
        "/events",
        event_body(
            unique("Series"),
            "2034-10-16",
            "10:00",
            "11:00",
            recurrence={"freq": "weekly", "count": 3},
        ),
    )
    page = open_page()
    show(page, "timeGridWeek")
    drag(page, centre(entry(page, event["title"])), slot(page, "2034-10-12", "13:00"))
    expect(page.locator("#toast")).to_contain_text(
        f"“{event['title']}” moved to Thu 12 Oct 2034, 13:00–14:00"
    )

    # The month view: a task moves to another due date.
    show(page, "dayGridMonth")
    task = seeded["task"]
    drag(
        page,
        centre(entry(page, task["title"])),
        centre(page.locator("td.fc-daygrid-day[data-date='2034-10-13']")),
    )
    expect(page.locator("#toast")).to_contain_text(f"“{task['title']}” moved to Fri 13 Oct 2034")

    # An occurrence of a series: a question asks which occurrences move, this one first.
    show(page, "timeGridWeek", "2034-10-16")
    drag(page, centre(entry(page, series["title"])), slot(page, "2034-10-17", "10:00"))
    question = page.locator("#scope-dialog")
    expect(question).to_contain_text(
        "From Mon 16 Oct 2034, 10:00–11:00 to Tue 17 Oct 2034, 10:00–11:00."
    )
    question.get_by_role("button", name="This occurrence").click()
    expect(question).to_be_hidden()
    expect(page.locator("#toast")).to_contain_text(f"Event “{series['title']}” saved")

    page.reload()
    loaded(page)
    show(page, "timeGridWeek")
    moved = page.locator(
        "td.fc-timegrid-col[data-date='2034-10-12'] .fc-event", has_text=event["title"]
    )
    expect(moved).to_contain_text("13:00")
    expect(
        page.locator(".fc-daygrid-day[data-date='2034-10-13'] .fc-event", has_text=task["title"])
    ).to_be_visible()
    assert (api_event(api, event)["start"], api_event(api, event)["end"]) == (
        "2034-10-12T05:00:00Z",
        "2034-10-12T06:00:00Z",
    )
    assert ok(api.get(f"/api/v1/tasks/{task['id']}"), 200)["due_date"] == "2034-10-13"
    overrides = api_event(api, series)["overrides"]
    assert [(o["occurrence_date"], o["start"]) for o in overrides] == [
        ("2034-10-16", "2034-10-17T02:00:00Z")
    ]
    show(page, "timeGridWeek", "2034-10-16")
    expect(
        page.locator(
            "td.fc-timegrid-col[data-date='2034-10-17'] .fc-event", has_text=series["title"]
        )
    ).to_be_visible()
    expect(
        page.locator(
            "td.fc-timegrid-col[data-date='2034-10-16'] .fc-event", has_text=series["title"]
        )
    ).to_have_count(0)


def test_a_dropped_occurrence_asks_which_in_a_small_question(open_page, api):
    """QA: dropping an occurrence opened the whole event form (title, time zones, repeat
    rules, participants…, "Save changes" below the fold) only to ask "this / following /
    all". Now a small question, as Google Calendar and Outlook ask, by keyboard too; Cancel
    or Escape puts the occurrence back."""
    series = post(
        api,
        dict(api.headers),
        "/events",
        event_body(
            unique("Stand-up"),
            "2034-10-24",
            "10:00",
            "10:30",
            recurrence={"freq": "daily", "count": 3},
        ),
    )
    page = open_page()
    show(page, "timeGridWeek", "2034-10-23")
    question = page.locator("#scope-dialog")

    def on(day: str, on_page: Page = page) -> Locator:
        return on_page.locator(
            f"td.fc-timegrid-col[data-date='{day}'] .fc-event", has_text=series["title"]
        )

    drag(page, centre(on("2034-10-25")), slot(page, "2034-10-25", "12:00"))
    expect(question.locator("h2")).to_have_text(f"Move “{series['title']}”")
    expect(question).to_contain_text(
        "From Wed 25 Oct 2034, 10:00–10:30 to Wed 25 Oct 2034, 12:00–12:30. Move which occurrences?"
    )
    expect(question.get_by_role("button")).to_have_text(
        ["This occurrence", "This and following", "All occurrences", "Cancel"]
    )
    # Small: the choices in view, no form fields; the first choice has the focus.
    expect(question.locator("input, select, textarea")).to_have_count(0)
    box = question.bounding_box()
    assert box is not None
    assert box["height"] < 400
    expect(question.get_by_role("button", name="This occurrence")).to_be_focused()
    expect(page.locator("#event-dialog")).to_be_hidden()
    screenshot(page, "drop-asks-which-occurrences")
    no_serious_violations(page, "the question of a dropped occurrence")

    # Escape: the occurrence is back where it was, nothing changed.
    page.keyboard.press("Escape")
    expect(question).to_be_hidden()
    expect(on("2034-10-25")).to_contain_text("10:00")
    assert api_event(api, series)["version"] == series["version"]
    # Cancel too.
    drag(page, centre(on("2034-10-25")), slot(page, "2034-10-25", "12:00"))
    question.get_by_role("button", name="Cancel").click()
    expect(on("2034-10-25")).to_contain_text("10:00")
    assert api_event(api, series)["version"] == series["version"]

    # By keyboard, "All occurrences": every day's stand-up at 12:00, the series itself moved.
    drag(page, centre(on("2034-10-25")), slot(page, "2034-10-25", "12:00"))
    expect(question.get_by_role("button", name="This occurrence")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(question.get_by_role("button", name="All occurrences")).to_be_focused()
    page.keyboard.press("Enter")
    expect(question).to_be_hidden()
    expect(page.locator("#toast")).to_contain_text(f"Event “{series['title']}” saved")
    for day in ("2034-10-24", "2034-10-25", "2034-10-26"):
        expect(on(day)).to_contain_text("12:00")
    stored = api_event(api, series)
    assert (stored["start"], stored["end"], stored["overrides"]) == (
        "2034-10-24T04:00:00Z",
        "2034-10-24T04:30:00Z",
        [],
    )

    # On a phone the same question, on screen.
    phone = open_page(viewport=PHONE)
    show(phone, "timeGridDay", "2034-10-26")
    drag(phone, centre(on("2034-10-26", phone)), slot(phone, "2034-10-26", "14:00"))
    phone_question = phone.locator("#scope-dialog")
    expect(phone_question.get_by_role("button", name="Cancel")).to_be_visible()
    assert on_screen(phone_question)
    screenshot(phone, "phone-drop-asks-which-occurrences")
    phone_question.get_by_role("button", name="Cancel").click()
    expect(on("2034-10-26", phone)).to_contain_text("12:00")


def test_a_dropped_occurrence_the_series_cannot_follow_opens_the_form_saying_why(open_page, api):
    """A series on "the second Tuesday" moved to a Wednesday for all occurrences: its days
    are the person's to choose, in the form at the new times; closed, the entry goes back."""
    series = post(
        api,
        dict(api.headers),
        "/events",
        event_body(
            unique("Monthly review"),
            "2034-10-10",
            "15:00",
            "16:00",
            recurrence={"freq": "monthly", "by_weekday": [2], "by_setpos": [2], "count": 3},
        ),
    )
    page = open_page()
    show(page, "timeGridWeek")
    drag(page, centre(entry(page, series["title"])), slot(page, "2034-10-11", "15:00"))
    page.locator("#scope-dialog").get_by_role("button", name="All occurrences").click()
    dialog = page.locator("#event-dialog")
    expect(dialog.locator("h2")).to_have_text(f"Move “{series['title']}”")
    expect(dialog.locator("#ev-start-error")).to_have_text(
        "This series repeats on named days: choose its new days under Repeats too"
    )
    expect(dialog.locator("input[name=start]")).to_have_value("2034-10-11T15:00")
    expect(dialog.locator("input[name=scope][value=all]")).to_be_checked()
    dialog.locator("[data-close]").click()
    expect(dialog).to_be_hidden()
    expect(
        page.locator(
            "td.fc-timegrid-col[data-date='2034-10-10'] .fc-event", has_text=series["title"]
        )
    ).to_be_visible()
    assert api_event(api, series)["version"] == series["version"]


def test_a_moved_occurrence_takes_its_room_along_or_says_it_stays_with_working_actions(
    open_page, api
):
    """QA: "Q1 portfolio review" dragged from Thursday to Friday, this occurrence only: the
    room stayed booked on Thursday, the Friday meeting had none, and nothing said so; its
    preparation tasks stayed due on Thursday, unsaid too. Now the room goes with it when it
    is free then, and the move's message says so; a room taken then stays, said in words
    with Release it / Open the booking, which work; the tasks left are said."""
    headers = dict(api.headers)
    room = post(
        api, headers, "/resources", {"name": unique("Conference Room A"), "resource_type": "room"}
    )
    series = post(
        api,
        headers,
        "/events",
        event_body(
            unique("Q1 portfolio review"),
            "2034-11-02",  # a Thursday
            "10:00",
            "11:00",
            recurrence={"freq": "weekly", "count": 3},
        ),
    )

    def book(day: str, start: str = "10:00", end: str = "11:00", **extra: Any) -> dict[str, Any]:
        body = {
            "resource_id": room["id"],
            "start": f"{day}T{start}:00+08:00",
            "end": f"{day}T{end}:00+08:00",
            **extra,
        }
        return post(api, headers, "/bookings", body)

    first = book("2034-11-02", event_id=series["id"])
    second = book("2034-11-09", event_id=series["id"])
    book("2034-11-10", "10:30", "12:00")  # Friday the 10th: taken from 10:30
    post(
        api,
        headers,
        "/tasks",
        {
            "title": unique("Circulate agenda"),
            "due_date": "2034-11-02",
            "related_event_id": series["id"],
        },
    )

    def booking(booking_id: str) -> dict[str, Any]:
        return ok(api.get(f"/api/v1/bookings/{booking_id}"), 200)

    page = open_page()
    status = page.locator("#calendar-status")
    question = page.locator("#scope-dialog")

    def drag_occurrence(day: str, to_day: str) -> None:
        meeting = page.locator(
            f"td.fc-timegrid-col[data-date='{day}'] .fc-event", has_text=series["title"]
        )
        box = meeting.bounding_box()
        assert box is not None
        # Its left edge: the room's booking beside it overlaps its centre.
        drag(page, (box["x"] + 8, centre(meeting)[1]), slot(page, to_day, "10:00"))
        question.get_by_role("button", name="This occurrence").click()

    # Free on Friday: the room goes with the meeting; its task stays, said.
    show(page, "timeGridWeek", "2034-10-30")
    drag_occurrence("2034-11-02", "2034-11-03")
    expect(status).to_contain_text(f"Event “{series['title']}” saved. Please check:")
    expect(status.locator("li").first).to_have_text(
        f"{room['name']} moved with it: booked Fri 3 Nov 2034, 10:00–11:00"
    )
    expect(status).to_contain_text(
        "Its open task keeps its due date, Thu 2 Nov 2034: tasks follow a move of the whole "
        "series only; change it on the event's page to follow this one"
    )
    expect(
        page.locator(
            "td.fc-timegrid-col[data-date='2034-11-03'] .fc-event", has_text=f"{room['name']}"
        )
    ).to_be_visible()
    assert (booking(first["id"])["start"], booking(first["id"])["end"]) == (
        "2034-11-03T02:00:00Z",
        "2034-11-03T03:00:00Z",
    )

    # Taken on Friday the 10th: the meeting moves, its room stays, said, with its actions.
    show(page, "timeGridWeek", "2034-11-06")
    drag_occurrence("2034-11-09", "2034-11-10")
    stays = status.locator("li", has_text=f"{room['name']} stays booked")
    expect(stays).to_have_text(
        f"{room['name']} stays booked on Thu 9 Nov 2034, 10:00–11:00: it is already booked "
        "Fri 10 Nov 2034, 10:30–12:00 (that booking is approved) Release it · Open the booking"
    )
    screenshot(page, "occurrence-moved-room-stays")
    no_serious_violations(page, "a move's message with its actions")
    page.set_viewport_size(PHONE)
    expect(stays.get_by_role("link", name="Release it")).to_be_visible()
    assert on_screen(stays.get_by_role("link", name="Open the booking"))
    assert no_horizontal_scroll(page)
    screenshot(page, "phone-occurrence-moved-room-stays")
    page.set_viewport_size(DESKTOP)
    assert booking(second["id"])["start"] == "2034-11-09T02:00:00Z"
    moved = api_event(api, series)["overrides"]
    assert [(o["occurrence_date"], o["start"]) for o in moved] == [
        ("2034-11-02", "2034-11-03T02:00:00Z"),
        ("2034-11-09", "2034-11-10T02:00:00Z"),
    ]
    # "Release it": the booking's cancel question, then the room is free on Thursday.
    stays.get_by_role("link", name="Release it").click()
    page.get_by_role("button", name="Yes, cancel it").click()
    expect(page.locator("main")).to_contain_text("Cancelled")
    assert booking(second["id"])["status"] == "cancelled"


def test_stale_drag_is_put_back_and_says_it_changed_meanwhile(open_page, api):
    event = post(
        api,
        dict(api.headers),
        "/events",
        event_body(unique("Contested"), "2034-10-09", "13:00", "14:00"),
    )
    page = open_page()
    show(page, "timeGridWeek")
    source = centre(entry(page, event["title"]))
    # Someone else moves it an hour later meanwhile: the page's version is stale.
    ok(
        api.patch(
            f"/api/v1/events/{event['id']}",
            json={"start": "2034-10-09T14:00:00+08:00", "end": "2034-10-09T15:00:00+08:00"},
            headers={"If-Match": f'"{event["version"]}"'},
        ),
        200,
    )
    drag(page, source, slot(page, "2034-10-13", "13:00"))
    status = page.locator("#calendar-status")
    expect(status).to_contain_text(f"“{event['title']}” was not moved")
    expect(status).to_contain_text("changed by someone else meanwhile")
    # Put back, then shown where the other change put it.
    on_monday = page.locator(
        "td.fc-timegrid-col[data-date='2034-10-09'] .fc-event", has_text=event["title"]
    )
    expect(on_monday).to_contain_text("14:00")
    expect(
        page.locator(
            "td.fc-timegrid-col[data-date='2034-10-13'] .fc-event", has_text=event["title"]
        )
    ).to_have_count(0)
    loaded(page)
    # The reason stays once the refetched calendar is shown: it is not the feed's to clear.
    expect(status).to_contain_text("changed by someone else meanwhile")
    assert api_event(api, event)["start"] == "2034-10-09T06:00:00Z"


def test_only_what_a_person_may_change_can_be_dragged_and_times_in_their_zone(
    open_page, api, seeded, staff
):
    own = post(
        api, staff["headers"], "/tasks", {"title": unique("My own task"), "due_date": "2034-10-10"}
    )
    page = open_page(staff["username"], USER_PASSWORD)
    show(page, "timeGridWeek")
    assert "fc-event-draggable" in (entry(page, own["title"]).get_attribute("class") or "")
    meeting = entry(page, seeded["meeting"]["title"])
    assert "fc-event-draggable" not in (meeting.get_attribute("class") or "")
    # London's zone: 09:00 in Manila is 02:00 in London (summer time until 29 October).
    expect(meeting).to_contain_text("02:00")
    meeting.click()
    expect(page.locator("#details-when")).to_have_text("Tue 10 Oct 2034, 02:00–03:00")
    expect(page.locator("#details-edit")).to_be_hidden()


def test_format_helper_says_what_the_server_says(open_page):
    page = open_page()
    zone = formatting.zone_named(None)
    cases = [
        (
            "moment",
            ["2034-10-09T17:30:00Z"],
            formatting.format_moment("2034-10-09T17:30:00Z", zone),
        ),
        ("moment", ["2034-10-10T09:05:00"], formatting.format_moment("2034-10-10T09:05:00", zone)),
        ("day", ["2034-10-10"], formatting.format_day("2034-10-10", zone)),
        ("day", ["2034-10-09T17:30:00Z"], formatting.format_day("2034-10-09T17:30:00Z", zone)),
        (
            "span",
            ["2034-10-10T01:00:00Z", "2034-10-10T02:30:00Z", False],
            formatting.format_span("2034-10-10T01:00:00Z", "2034-10-10T02:30:00Z", False, zone),
        ),
        (
            "span",
            ["2034-10-10T09:00:00+08:00", "2034-10-11T17:00:00+08:00", False],
            formatting.format_span(
                "2034-10-10T09:00:00+08:00", "2034-10-11T17:00:00+08:00", False, zone
            ),
        ),
        (
            "span",
            ["2034-10-10", "2034-10-11", True],
            formatting.format_span("2034-10-10", "2034-10-11", True, zone),
        ),
        (
            "span",
            ["2034-10-10", "2034-10-13", True],
            formatting.format_span("2034-10-10", "2034-10-13", True, zone),
        ),
        ("label", ["not_started"], formatting.label("not_started")),
        ("label", ["obc_request"], formatting.label("obc_request")),
        ("moment", [None], formatting.format_moment(None, zone)),
    ]
    for message in (
        "start: Room C is already booked Fri 13 Oct 2034, 13:00–14:00 (that booking is "
        f"pending, id {'0' * 8}-0000-4000-8000-{'0' * 12})",
        "status: only not_started tasks may be deleted",
        "A refusal naming no field, with e.g. https://host/a_b kept",
    ):
        words = in_words(
            message.split(": ", 1)[1] if message[:6] in ("start:", "status") else message
        )
        cases.append(("refusal", [message], words[0].upper() + words[1:]))
    for name, arguments, expected in cases:
        shown = page.evaluate(
            "([name, args]) => window.obcmsFormat[name](...args)", [name, arguments]
        )
        assert shown == expected, (name, arguments)
    assert formatting.format_span("2034-10-10T01:00:00Z", "2034-10-10T02:30:00Z", False, zone) == (
        "Tue 10 Oct 2034, 09:00–10:30"
    )


def test_a_drag_refused_for_the_events_booking_says_so_in_words(open_page, api):
    headers = dict(api.headers)
    room = post(api, headers, "/resources", {"name": unique("Room"), "resource_type": "room"})
    event = post(
        api, headers, "/events", event_body(unique("Briefing"), "2034-10-10", "13:00", "14:00")
    )
    post(
        api,
        headers,
        "/bookings",
        {
            "resource_id": room["id"],
            "start": "2034-10-10T13:00:00+08:00",
            "end": "2034-10-10T14:00:00+08:00",
            "event_id": event["id"],
        },
    )
    post(
        api,
        headers,
        "/bookings",
        {
            "resource_id": room["id"],
            "start": "2034-10-12T12:00:00+08:00",
            "end": "2034-10-12T14:30:00+08:00",
        },
    )
    page = open_page()
    show(page, "timeGridWeek")
    # Its left edge: the booking beside it overlaps its centre.
    _, y = centre(entry(page, event["title"]))
    box = entry(page, event["title"]).bounding_box()
    assert box is not None
    drag(page, (box["x"] + 8, y), slot(page, "2034-10-12", "13:00"))
    status = page.locator("#calendar-status")
    expect(status).to_contain_text(
        f"“{event['title']}” was not moved: The {room['name']} booked for this event cannot "
        "move with it: it is already booked Thu 12 Oct 2034, 12:00–14:30 (that booking is "
        "approved)"
    )
    expect(status).not_to_contain_text("start:")
    expect(status).not_to_contain_text(" id ")
    screenshot(page, "calendar-drag-refused-by-booking")
    assert api_event(api, event)["start"] == "2034-10-10T05:00:00Z"


def test_a_tap_on_an_empty_slot_of_a_phone_opens_a_new_event_there(open_page):
    """On a touch screen a selection takes a one-second press: a tap did nothing."""
    page = open_page(viewport=PHONE, has_touch=True, is_mobile=True)
    show(page, "timeGridDay", "2034-10-10")
    page.locator("td.fc-timegrid-slot-lane[data-time='10:00:00']").tap()
    page.wait_for_url("**/oobc-management/calendar/events/new/**")
    assert "start=2034-10-10T10%3A00" in page.url
    expect(page.locator("form[data-event-form] input[name=start]")).to_have_value(
        "2034-10-10T10:00"
    )
    expect(page.locator("form[data-event-form] input[name=end]")).to_have_value("2034-10-10T11:00")


def test_every_view_passes_axe_and_fits_a_phone(open_page, seeded):
    page = open_page()
    for view in VIEWS:
        show(page, view)
        screenshot(page, f"desktop-{view}")
        no_serious_violations(page, f"desktop {view}")
    entry(page, seeded["meeting"]["title"]).click()
    expect(page.locator("#calendar-details")).to_be_visible()
    screenshot(page, "desktop-details")
    no_serious_violations(page, "desktop details")

    phone = open_page(viewport=PHONE)
    # The list view by default, its toolbar on screen, nothing wider than the screen.
    expect(phone.locator(".fc-listWeek-view")).to_be_visible()
    for button in (
        ".fc-prev-button",
        ".fc-next-button",
        ".fc-today-button",
        ".fc-dayGridMonth-button",
    ):
        assert on_screen(phone.locator(button)), button
    assert no_horizontal_scroll(phone)
    no_serious_violations(phone, "phone list")
    for view in VIEWS:
        show(phone, view)
        screenshot(phone, f"phone-{view}")
        assert no_horizontal_scroll(phone), view
    # "New event" opens the form's page on a phone.
    phone.click("#new-event")
    phone.wait_for_url("**/oobc-management/calendar/events/new/")
    assert no_horizontal_scroll(phone)
