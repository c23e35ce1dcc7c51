"""Personal calendar subscriptions as a calendar client sees them: the ICS addresses of the
account page, fetched without a session and parsed with `icalendar`, against the JSON feed
(same occurrences), Regenerate, the team calendar, deactivation; and leave entries titled
with whose leave it is."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from feed_helpers import FEED, feed, unique
from gateway_helpers import (
    ADMIN_PASSWORD,
    ServedApp,
    ok,
    person,
    post,
    signed_in,
    submit,
    token_for,
)
from icalendar import Calendar

from gateway_service.auth.identity import Identity
from gateway_service.proxy.clients import BackendClients
from obcms_platform.auth import Role

FRONTS_CALENDAR = True  # the conftest gateway fronts the calendar service too

MANILA = ZoneInfo("Asia/Manila")
DASH = "\N{EN DASH}"
ACCOUNT = "/accounts/me/"
REGENERATE = "/accounts/me/calendar-subscription/"
ADDRESS = re.compile(r"https?://[^\"'<\s]+/calendar/ics/[A-Za-z0-9_-]+/(?:mine|team)\.ics")


def _client(gateway: ServedApp) -> httpx.Client:
    return httpx.Client(base_url=gateway.url, timeout=60, follow_redirects=False)


def _at(day: date, hour: int) -> str:
    return datetime.combine(day, time(hour), MANILA).isoformat()


@pytest.fixture(scope="module")
def world(gateway: ServedApp) -> Iterator[dict[str, Any]]:
    """Ana (staff) with an event she is invited to, a weekly series of her own, a task
    assigned to her, her leave and her booking, all a few days ahead; her colleague Ben
    (staff) with his own leave and an event without Ana; Mara, a manager."""
    with _client(gateway) as client:
        admin = token_for(client, "admin", ADMIN_PASSWORD)
        ana = person(client, admin, "staff", unique("Ana Cruz"))
        ben = person(client, admin, "staff", unique("Ben Reyes"))
        mara = person(client, admin, "manager", unique("Mara Santos"))
        day = datetime.now(MANILA).date() + timedelta(days=10)
        meeting = post(
            client,
            admin,
            "/events",
            {
                "title": unique("Coordination meeting"),
                "event_type": "meeting",
                "start": _at(day, 9),
                "end": _at(day, 10),
                "venue": "Conference room A",
                "participant_ids": [ana["id"]],
            },
        )
        series = post(
            client,
            ana["headers"],
            "/events",
            {
                "title": unique("Weekly check-in"),
                "event_type": "briefing",
                "start": _at(day + timedelta(days=1), 14),
                "end": _at(day + timedelta(days=1), 15),
                "recurrence": {"freq": "weekly", "interval": 1, "count": 6},
            },
        )
        others = post(
            client,
            admin,
            "/events",
            {
                "title": unique("Ben's workshop"),
                "event_type": "workshop",
                "start": _at(day, 13),
                "end": _at(day, 16),
                "participant_ids": [ben["id"]],
            },
        )
        task = post(
            client,
            admin,
            "/tasks",
            {
                "title": unique("Draft the minutes"),
                "due_date": str(day + timedelta(days=3)),
                "assignee_ids": [ana["id"]],
            },
        )
        ana_leave = post(
            client,
            ana["headers"],
            "/leaves",
            {
                "leave_type": "vacation",
                "start_date": str(day + timedelta(days=5)),
                "end_date": str(day + timedelta(days=6)),
            },
        )
        ben_leave = post(
            client,
            ben["headers"],
            "/leaves",
            {
                "leave_type": "sick",
                "start_date": str(day + timedelta(days=5)),
                "end_date": str(day + timedelta(days=5)),
            },
        )
        room = post(
            client,
            admin,
            "/resources",
            {"name": unique("Van"), "resource_type": "vehicle", "capacity": 8},
        )
        booking = post(
            client,
            ana["headers"],
            "/bookings",
            {
                "resource_id": room["id"],
                "start": _at(day + timedelta(days=2), 13),
                "end": _at(day + timedelta(days=2), 15),
            },
        )
        yield {
            "admin": admin,
            "ana": ana,
            "ben": ben,
            "mara": mara,
            "meeting": meeting,
            "series": series,
            "others": others,
            "task": task,
            "ana_leave": ana_leave,
            "ben_leave": ben_leave,
            "booking": booking,
        }


def _addresses(gateway: ServedApp, username: str) -> dict[str, str]:
    """The subscription addresses the account page shows to `username`."""
    with _client(gateway) as browser:
        page = signed_in(browser, username).get(ACCOUNT)
    assert page.status_code == 200, page.text
    found = {
        address.rsplit("/", 1)[1].removesuffix(".ics"): address
        for address in ADDRESS.findall(page.text)
    }
    return found


def _fetch(address: str, **headers: str) -> httpx.Response:
    """As a calendar client: no cookie, no token."""
    return httpx.get(address, headers=headers, timeout=60)


def _calendar(address: str) -> Calendar:
    response = _fetch(address)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/calendar")
    assert "private" in response.headers["cache-control"]
    return Calendar.from_ical(response.content)


def _vevents(calendar: Calendar) -> dict[str, Any]:
    return {str(vevent["UID"]).split("@")[0]: vevent for vevent in calendar.walk("VEVENT")}


def _window() -> list[dict[str, str]]:
    """The subscription's window, three months back to the end of the month a year ahead,
    as two JSON feed windows (the feed answers at most 400 days at once)."""
    today = datetime.now(MANILA).date()

    def month(offset: int) -> str:
        index = today.year * 12 + today.month - 1 + offset
        return date(index // 12, index % 12 + 1, 1).isoformat()

    return [{"start": month(-3), "end": month(0)}, {"start": month(0), "end": month(13)}]


def _json_entries(client: httpx.Client, headers: dict[str, str]) -> dict[str, dict[str, Any]]:
    entries: dict[str, dict[str, Any]] = {}
    for window in _window():
        payload = feed(client, headers, **window)
        assert payload["truncated"] is False
        for entry in payload["events"]:
            entries.setdefault(entry["id"], entry)
    return entries


def _when(value: str, all_day: bool) -> date | datetime:
    moment = datetime.fromisoformat(value)
    return moment.date() if all_day else moment


def test_my_ics_address_gives_the_occurrences_of_my_json_feed(gateway, world):
    addresses = _addresses(gateway, world["ana"]["username"])
    assert set(addresses) == {"mine"}  # staff get no team calendar
    vevents = _vevents(_calendar(addresses["mine"]))
    with _client(gateway) as client:
        entries = _json_entries(client, world["ana"]["headers"])
    mine = {
        entry_id: entry
        for entry_id, entry in entries.items()
        if world["ana"]["id"] in entry["extendedProps"].get("peopleIds", [])
    }
    series = world["series"]["id"]
    expected = {
        f"coordination-event-{world['meeting']['id']}",
        f"staff-task-{world['task']['id']}",
        f"staff-leave-{world['ana_leave']['id']}",
        f"resources-booking-{world['booking']['id']}",
    }
    assert expected <= set(mine)
    assert len([i for i in mine if i.startswith(f"coordination-event-{series}-")]) == 6
    assert set(vevents) == set(mine)
    for entry_id, entry in mine.items():
        vevent = vevents[entry_id]
        assert vevent.decoded("DTSTART") == _when(entry["start"], entry["allDay"]), entry_id
        assert vevent.decoded("DTEND") == _when(entry["end"], entry["allDay"]), entry_id
    # A colleague's leave and events are on the team's calendar, not on Ana's.
    assert f"staff-leave-{world['ben_leave']['id']}" in entries
    assert f"staff-leave-{world['ben_leave']['id']}" not in vevents
    assert f"coordination-event-{world['others']['id']}" not in vevents


def test_vevents_carry_location_description_sequence_and_the_calendar_its_name(gateway, world):
    address = _addresses(gateway, world["ana"]["username"])["mine"]
    first = _fetch(address)
    calendar = Calendar.from_ical(first.content)
    assert str(calendar["X-WR-CALNAME"]) == f"OBCMS {DASH} {world['ana']['full_name']}"
    assert calendar.decoded("REFRESH-INTERVAL") == timedelta(hours=1)
    assert str(calendar["X-PUBLISHED-TTL"]) == "PT1H"
    meeting_id = f"coordination-event-{world['meeting']['id']}"
    meeting = _vevents(calendar)[meeting_id]
    host = httpx.URL(gateway.url).host
    assert str(meeting["UID"]) == f"{meeting_id}@{host}"
    assert str(meeting["LOCATION"]) == "Conference room A"
    page = f"{gateway.url}/oobc-management/calendar/events/{world['meeting']['id']}/"
    assert str(meeting["DESCRIPTION"]) == f"Coordination · Event · Planned\n{page}"
    assert str(meeting["URL"]) == page
    sequence = int(meeting["SEQUENCE"])
    leave = _vevents(calendar)[f"staff-leave-{world['ana_leave']['id']}"]
    assert leave.decoded("DTSTART") == date.fromisoformat(world["ana_leave"]["start_date"])
    assert "SEQUENCE" in leave
    # Nothing changed: 304. The meeting moves: a new version, a new SEQUENCE.
    etag = first.headers["etag"]
    assert _fetch(address, **{"If-None-Match": etag}).status_code == 304
    with _client(gateway) as client:
        moved = client.patch(
            f"/api/v1/events/{world['meeting']['id']}",
            json={"venue": "Conference room B"},
            headers=world["admin"],
        )
    assert moved.status_code == 200, moved.text
    again = _fetch(address, **{"If-None-Match": etag})
    assert again.status_code == 200
    meeting = _vevents(Calendar.from_ical(again.content))[meeting_id]
    assert str(meeting["LOCATION"]) == "Conference room B"
    assert int(meeting["SEQUENCE"]) > sequence


def test_an_events_venue_and_description_reach_the_subscription(gateway, world):
    """What a calendar client shows of an event: where (LOCATION) and what it is about (the
    event's own description, after the kind and the page's address)."""
    day = datetime.now(MANILA).date() + timedelta(days=12)
    with _client(gateway) as client:
        briefing = post(
            client,
            world["admin"],
            "/events",
            {
                "title": unique("Budget briefing"),
                "event_type": "briefing",
                "start": _at(day, 9),
                "end": _at(day, 11),
                "venue": "Session hall, 2nd floor",
                "description": "Bring the Q3 figures.\nAgenda: ceilings, then funding.",
                "participant_ids": [world["ana"]["id"]],
            },
        )
    calendar = _calendar(_addresses(gateway, world["ana"]["username"])["mine"])
    vevent = _vevents(calendar)[f"coordination-event-{briefing['id']}"]
    assert str(vevent["LOCATION"]) == "Session hall, 2nd floor"
    page = f"{gateway.url}/oobc-management/calendar/events/{briefing['id']}/"
    assert str(vevent["DESCRIPTION"]) == (
        f"Coordination · Event · Planned\n{page}\n\n"
        "Bring the Q3 figures.\nAgenda: ceilings, then funding."
    )


def test_regenerate_ends_the_old_address_and_the_page_keeps_showing_the_new_one(gateway, world):
    username = world["ana"]["username"]
    old = _addresses(gateway, username)["mine"]
    assert _addresses(gateway, username)["mine"] == old  # the same address on every look
    assert _fetch(old).status_code == 200
    with _client(gateway) as browser:
        signed_in(browser, username).get(ACCOUNT)
        refused = submit(browser, REGENERATE)
        assert refused.status_code == 422
        assert "confirm" in refused.text
        assert _fetch(old).status_code == 200  # not confirmed: nothing changed
        done = submit(browser, REGENERATE, {"confirm": "yes"})
        assert done.status_code == 303
        shown = browser.get(done.headers["location"])
    assert "the old one no longer works" in shown.text
    new = ADDRESS.findall(shown.text)[0]
    assert new != old
    assert _fetch(old).status_code == 404
    assert _fetch(new).status_code == 200
    assert _addresses(gateway, username)["mine"] == new


def test_the_team_calendar_is_for_managers_and_wrong_addresses_are_404(gateway, world):
    staff = _addresses(gateway, world["ana"]["username"])["mine"]
    assert _fetch(staff.replace("/mine.ics", "/team.ics")).status_code == 404
    manager = _addresses(gateway, world["mara"]["username"])
    assert set(manager) == {"mine", "team"}
    team = _calendar(manager["team"])
    assert str(team["X-WR-CALNAME"]) == f"OBCMS {DASH} team"
    uids = set(_vevents(team))
    assert f"staff-leave-{world['ben_leave']['id']}" in uids
    assert f"staff-leave-{world['ana_leave']['id']}" in uids
    assert f"coordination-event-{world['others']['id']}" in uids
    base = staff.split("/calendar/ics/")[0]
    for token in ("x" * 43, "not-a-token", "a" * 300, "%00"):
        assert _fetch(f"{base}/calendar/ics/{token}/mine.ics").status_code == 404, token


def test_a_deactivated_users_address_stops_working(gateway, make_settings):
    with _client(gateway) as client:
        admin = token_for(client, "admin", ADMIN_PASSWORD)
        leaver = person(client, admin, "staff", unique("Leaving Person"))
        address = _addresses(gateway, leaver["username"])["mine"]
        assert _fetch(address).status_code == 200
        response = client.patch(
            f"/api/v1/users/{leaver['id']}", json={"is_active": False}, headers=admin
        )
        assert response.status_code == 200, response.text
        assert _fetch(address).status_code == 404
        response = client.patch(
            f"/api/v1/users/{leaver['id']}", json={"is_active": True}, headers=admin
        )
        assert response.status_code == 200, response.text
    # Back at work: the old address stays dead; the account page offers a new one.
    assert _fetch(address).status_code == 404
    assert _addresses(gateway, leaver["username"])["mine"] != address


def test_leave_entries_say_whose_leave_it_is(gateway, world, make_settings, calendar_backend):
    day = date.fromisoformat(world["ana_leave"]["start_date"])
    window = {"start": str(day), "end": str(day + timedelta(days=2))}
    # Someone with no account of the gateway's: the gateway refuses to file for them, so the
    # leave is filed at the service itself (as one filed before that check was).
    mara = world["mara"]
    manager = Identity(uuid.UUID(mara["id"]), mara["username"], mara["full_name"], Role.MANAGER)
    internal = BackendClients(make_settings()).internal_headers("calendar", manager)
    stranger = ok(
        httpx.post(
            f"{calendar_backend}/api/v1/leaves",
            json={
                "user_id": str(uuid.uuid4()),
                "leave_type": "vacation",
                "start_date": str(day),
                "end_date": str(day),
            },
            headers=internal,
        )
    )
    with _client(gateway) as client:
        entries = {e["id"]: e for e in feed(client, world["ben"]["headers"], **window)["events"]}
        ana = world["ana"]
        assert entries[f"staff-leave-{world['ana_leave']['id']}"]["title"] == (
            f"{ana['full_name']} {DASH} on leave"
        )
        assert entries[f"staff-leave-{world['ben_leave']['id']}"]["title"] == (
            f"{world['ben']['full_name']} {DASH} on leave"
        )
        assert entries[f"staff-leave-{stranger['id']}"]["title"] == "On leave"
        # A new name shows on the next load (the cached parts hold "On leave", not names).
        renamed = unique("Ana Cruz-Lim")
        rename = {"full_name": renamed}
        response = client.patch(f"/api/v1/users/{ana['id']}", json=rename, headers=world["admin"])
        assert response.status_code == 200, response.text
        again = ok(client.get(FEED, params=window, headers=world["ben"]["headers"]), 200)
        back = {"full_name": ana["full_name"]}
        response = client.patch(f"/api/v1/users/{ana['id']}", json=back, headers=world["admin"])
        assert response.status_code == 200, response.text
    titles = {e["id"]: e["title"] for e in again["events"]}
    assert titles[f"staff-leave-{world['ana_leave']['id']}"] == f"{renamed} {DASH} on leave"
