"""The aggregated calendar feed against the real calendar, tasks and portfolio services:
format, modules, colours, filter, window, errors, login, ICS, ETag and compression."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from feed_helpers import FEED, PAGE_FEED, feed, ids, unique
from gateway_helpers import (
    ADMIN_PASSWORD,
    ServedApp,
    create_user,
    csrf_header,
    login,
    ok,
    post,
)
from icalendar import Calendar

FRONTS_CALENDAR = True  # the conftest gateway fronts the calendar service too

MANILA = ZoneInfo("Asia/Manila")
WINDOW = {"start": "2031-03-01", "end": "2031-04-01"}
MODULES = ["coordination", "mana", "planning", "resources", "staff"]


@pytest.fixture(scope="module")
def seeded(gateway: ServedApp) -> Iterator[dict[str, Any]]:
    """One record of every kind in March 2031, created through the gateway as admin."""
    with httpx.Client(base_url=gateway.url, timeout=30) as client:
        token = client.post(
            "/api/v1/auth/token", data={"username": "admin", "password": ADMIN_PASSWORD}
        )
        headers = {"Authorization": f"Bearer {ok(token, 200)['access_token']}"}
        event = post(
            client,
            headers,
            "/events",
            {
                "title": unique("Coordination meeting"),
                "event_type": "meeting",
                "start": "2031-03-10T09:00:00+08:00",
                "end": "2031-03-10T10:00:00+08:00",
            },
        )
        series = post(
            client,
            headers,
            "/events",
            {
                "title": unique("Daily stand-up"),
                "event_type": "briefing",
                "start": "2031-03-02T08:00:00+08:00",
                "end": "2031-03-02T08:15:00+08:00",
                "recurrence": {"freq": "daily", "interval": 1, "count": 20},
            },
        )
        task = post(
            client,
            headers,
            "/tasks",
            {
                "title": unique("Prepare report"),
                "start_date": "2031-03-14",
                "due_date": "2031-03-15",
            },
        )
        event_task = post(
            client,
            headers,
            "/tasks",
            {
                "title": unique("Book the venue"),
                "due_date": "2031-03-09",
                "related_event_id": event["id"],
            },
        )
        pending_leave = post(
            client,
            headers,
            "/leaves",
            {"leave_type": "vacation", "start_date": "2031-03-12", "end_date": "2031-03-13"},
        )
        approved_leave = post(
            client,
            headers,
            "/leaves",
            # Filed for a colleague: nobody approves their own leave.
            {
                "user_id": create_user(client, headers)["id"],
                "leave_type": "sick",
                "start_date": "2031-03-20",
                "end_date": "2031-03-20",
            },
        )
        ok(client.post(f"/api/v1/leaves/{approved_leave['id']}/approve", headers=headers), 200)
        room = post(
            client,
            headers,
            "/resources",
            {"name": unique("Room"), "resource_type": "room", "capacity": 10},
        )
        booking = post(
            client,
            headers,
            "/bookings",
            {
                "resource_id": room["id"],
                "start": "2031-03-11T13:00:00+08:00",
                "end": "2031-03-11T15:00:00+08:00",
            },
        )
        ppa = post(
            client,
            headers,
            "/ppas",
            {
                "title": unique("Livelihood programme"),
                "category": "obc_request",
                "start_date": "2031-03-05",
                "target_end_date": "2031-03-25",
            },
        )
        milestone = post(
            client,
            headers,
            f"/ppas/{ppa['id']}/milestones",
            {"title": "Inception", "date": "2031-03-06", "status": "completed"},
        )
        stage = ok(
            client.patch(
                f"/api/v1/ppas/{ppa['id']}/workflow/budget_call",
                json={"due_date": "2031-03-18"},
                headers=headers,
            ),
            200,
        )
        assessment = post(
            client,
            headers,
            "/assessments",
            {
                "title": unique("Needs assessment"),
                "primary_methodology": "kii",
                "assessment_level": "provincial",
                "planned_start_date": "2031-03-08",
                "planned_end_date": "2031-03-28",
            },
        )
        yield {
            "headers": headers,
            "event": event,
            "series": series,
            "task": task,
            "event_task": event_task,
            "pending_leave": pending_leave,
            "approved_leave": approved_leave,
            "booking": booking,
            "ppa": ppa,
            "milestone": milestone,
            "stage": stage,
            "assessment": assessment,
        }


@pytest.fixture
def client(make_client: Callable[[], httpx.Client]) -> httpx.Client:
    return make_client()


def _by_id(payload: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["id"]: entry for entry in payload["events"]}


def test_all_five_modules_with_their_ids_and_colours(client, seeded):
    payload = feed(client, seeded["headers"], **WINDOW)
    assert payload["modules"] == MODULES
    assert payload["sources"] == {"calendar": "ok", "tasks": "ok", "portfolio": "ok"}
    generated = datetime.fromisoformat(payload["generated_at"])
    assert generated.utcoffset() == timedelta(hours=8)
    entries = _by_id(payload)
    ppa = seeded["ppa"]["id"]
    expected = {
        f"coordination-event-{seeded['event']['id']}": "#2563eb",
        f"staff-task-{seeded['task']['id']}": "#7c3aed",
        f"staff-leave-{seeded['pending_leave']['id']}": "#7c3aed",
        f"staff-leave-{seeded['approved_leave']['id']}": "#7c3aed",
        f"resources-booking-{seeded['booking']['id']}": "#be185d",
        f"planning-entry-{ppa}-start": "#0f766e",
        f"planning-entry-{ppa}-target_end": "#0f766e",
        f"planning-entry-{ppa}-milestone-{seeded['milestone']['id']}": "#0f766e",
        f"planning-stage-{seeded['stage']['id']}": "#0f766e",
        f"mana-assessment-{seeded['assessment']['id']}-start": "#b45309",
        f"mana-assessment-{seeded['assessment']['id']}-end": "#b45309",
    }
    for entry_id, colour in expected.items():
        assert entry_id in entries, entry_id
        assert entries[entry_id]["backgroundColor"] == colour, entry_id
        assert entries[entry_id]["borderColor"] == colour
        assert entries[entry_id]["textColor"] == "#f9fafb"
    assert entries[f"planning-stage-{seeded['stage']['id']}"]["extendedProps"]["category"] == (
        "workflow_stage"
    )
    occurrences = [
        i for i in entries if i.startswith(f"coordination-event-{seeded['series']['id']}-")
    ]
    assert len(occurrences) == 20
    assert f"coordination-event-{seeded['series']['id']}-20310302" in occurrences
    task = entries[f"staff-task-{seeded['task']['id']}"]
    assert task["allDay"] is True
    assert (task["start"], task["end"]) == ("2031-03-14", "2031-03-16")
    assert task["extendedProps"]["module"] == "staff"
    assert task["extendedProps"]["url"]
    for entry in payload["events"]:
        assert entry["extendedProps"]["module"] in MODULES
        assert entry["id"].startswith(entry["extendedProps"]["module"] + "-")


def test_no_duplicate_ids_sorted_by_start_and_event_tasks_shown_through_the_event(client, seeded):
    payload = feed(client, seeded["headers"], **WINDOW)
    entry_ids = ids(payload)
    assert len(entry_ids) == len(set(entry_ids))
    assert f"staff-task-{seeded['event_task']['id']}" not in entry_ids
    assert f"coordination-event-{seeded['event']['id']}" in entry_ids

    def start(entry: dict[str, Any]) -> datetime:
        moment = datetime.fromisoformat(entry["start"])
        return moment if moment.tzinfo else moment.replace(tzinfo=MANILA)

    starts = [start(entry) for entry in payload["events"]]
    assert starts == sorted(starts)


def test_module_stats(client, seeded):
    payload = feed(client, seeded["headers"], **WINDOW)
    stats = payload["module_stats"]
    assert sorted(stats) == MODULES
    for module in MODULES:
        entries = [e for e in payload["events"] if e["extendedProps"]["module"] == module]
        assert stats[module]["total"] == len(entries)
        assert stats[module]["upcoming"] == len(entries)  # all in 2031
        done = [e for e in entries if e["extendedProps"]["status"] in {"completed", "approved"}]
        assert stats[module]["completed"] == len(done)
    assert stats["planning"]["completed"] >= 1  # the completed milestone
    assert stats["resources"]["completed"] >= 1  # the approved booking
    assert stats["staff"]["completed"] >= 1  # the approved leave


def test_module_filter(client, seeded):
    payload = feed(client, seeded["headers"], modules="planning,mana", **WINDOW)
    assert payload["modules"] == ["mana", "planning"]
    assert payload["sources"] == {
        "calendar": "not_requested",
        "tasks": "not_requested",
        "portfolio": "ok",
    }
    assert {e["extendedProps"]["module"] for e in payload["events"]} == {"mana", "planning"}
    assert sorted(payload["module_stats"]) == ["mana", "planning"]

    staff = feed(client, seeded["headers"], modules="staff", **WINDOW)
    assert staff["sources"] == {"calendar": "ok", "tasks": "ok", "portfolio": "not_requested"}
    assert {e["extendedProps"]["module"] for e in staff["events"]} == {"staff"}
    categories = {e["extendedProps"]["category"] for e in staff["events"]}
    assert {"task", "leave"} <= categories


def test_repeated_modules_parameter_asks_for_each(client, seeded):
    """`?modules=planning&modules=mana`, as HTML forms and many clients send a list, asks for
    both, as the comma-separated form does (the last one alone was answered)."""
    params = [("modules", "planning"), ("modules", "mana"), *WINDOW.items()]
    payload = ok(client.get(FEED, params=params, headers=seeded["headers"]), 200)
    assert payload["modules"] == ["mana", "planning"]
    assert {e["extendedProps"]["module"] for e in payload["events"]} == {"mana", "planning"}


def test_unknown_module_and_bad_window_are_400(client, seeded):
    for path in (FEED, PAGE_FEED):
        response = client.get(
            path, params={"modules": "staff,astrology"}, headers=seeded["headers"]
        )
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["field"] == "modules"
        assert "modules" in error["message"]
        assert "astrology" in error["message"]
    for params in (
        {"start": "2031-03-01", "end": "2032-06-01"},
        {"start": "2031-03-01"},
        {"start": "yesterday", "end": "2031-03-02"},
        {"start": "2031-03-05", "end": "2031-03-01"},
    ):
        response = client.get(FEED, params=params, headers=seeded["headers"])
        assert response.status_code == 400, params
        assert response.json()["error"]["field"] in {"start", "end"}


def test_default_window_is_the_current_month_plus_and_minus_one(client, seeded):
    today = datetime.now(MANILA).date()
    month = date(today.year, today.month, 1)

    def months(n: int) -> date:
        index = month.year * 12 + month.month - 1 + n
        return date(index // 12, index % 12 + 1, 1)

    dates = {
        "last_month": months(-1),
        "today": today,
        "next_month_end": months(2) - timedelta(days=1),
        "too_early": months(-1) - timedelta(days=1),
        "too_late": months(2),
    }
    created = {
        name: post(
            client,
            seeded["headers"],
            "/tasks",
            {"title": unique(f"Window {name}"), "due_date": day.isoformat()},
        )["id"]
        for name, day in dates.items()
    }
    payload = feed(client, seeded["headers"])
    assert payload["modules"] == MODULES
    assert payload["sources"] == {"calendar": "ok", "tasks": "ok", "portfolio": "ok"}
    present = set(ids(payload))
    for name in ("last_month", "today", "next_month_end"):
        assert f"staff-task-{created[name]}" in present, name
    for name in ("too_early", "too_late"):
        assert f"staff-task-{created[name]}" not in present, name


def test_login_required(client, seeded):
    assert client.get(FEED, params=WINDOW).status_code == 401
    assert client.get(f"{FEED}.ics", params=WINDOW).status_code == 401
    bad = client.get(FEED, headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
    for path in (
        PAGE_FEED,
        "/oobc-management/calendar/feed/ics/",
        "/oobc-management/staff/calendar/",
    ):
        response = client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/accounts/login/?next=")


def test_session_login_reads_the_page_feed_and_its_alias(make_client, seeded):
    browser = make_client()
    assert login(browser, "admin", ADMIN_PASSWORD).status_code == 303
    first = ok(browser.get(PAGE_FEED, params=WINDOW), 200)
    alias = ok(browser.get("/oobc-management/staff/calendar/feed/json/", params=WINDOW), 200)
    api = ok(browser.get(FEED, params=WINDOW), 200)  # the API path takes the session too
    assert ids(first) == ids(alias) == ids(api)
    assert first["sources"] == {"calendar": "ok", "tasks": "ok", "portfolio": "ok"}
    assert csrf_header  # the session is a normal browser session


def test_etag_and_conditional_get(client, seeded):
    first = client.get(FEED, params=WINDOW, headers=seeded["headers"])
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert etag.startswith('W/"')
    assert first.headers["cache-control"] == "private, no-cache"
    again = client.get(FEED, params=WINDOW, headers={**seeded["headers"], "If-None-Match": etag})
    assert again.status_code == 304
    assert again.headers["etag"] == etag
    assert again.content == b""
    other = client.get(
        FEED, params=WINDOW, headers={**seeded["headers"], "If-None-Match": 'W/"other"'}
    )
    assert other.status_code == 200
    # Another module set is another representation.
    filtered = client.get(
        FEED,
        params={**WINDOW, "modules": "staff"},
        headers={**seeded["headers"], "If-None-Match": etag},
    )
    assert filtered.status_code == 200
    assert filtered.headers["etag"] != etag


def test_large_feed_is_gzipped(client, seeded):
    response = client.get(
        FEED, params=WINDOW, headers={**seeded["headers"], "Accept-Encoding": "gzip"}
    )
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in response.headers["vary"].lower()
    assert len(response.content) > 5000  # httpx decoded it
    with httpx.Client(base_url=client.base_url, timeout=30) as raw:
        stream = raw.build_request(
            "GET", FEED, params=WINDOW, headers={**seeded["headers"], "Accept-Encoding": "gzip"}
        )
        raw_response = raw.send(stream, stream=True)
        compressed = b"".join(raw_response.iter_raw())
        raw_response.close()
    assert len(compressed) < len(response.content) / 3
    # A second request: equal but for generated_at (which may have ticked over a second).
    again = json.loads(gzip.decompress(compressed))
    assert again.pop("generated_at")
    assert again == {k: v for k, v in response.json().items() if k != "generated_at"}


def test_ics_feed_parses_back(client, seeded):
    for path in (f"{FEED}.ics", "/oobc-management/calendar/feed/ics/"):
        if path.startswith("/oobc"):
            browser = httpx.Client(base_url=client.base_url, timeout=30)
            login(browser, "admin", ADMIN_PASSWORD)
            response = browser.get(path, params=WINDOW)
            browser.close()
        else:
            response = client.get(path, params=WINDOW, headers=seeded["headers"])
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/calendar")
        calendar = Calendar.from_ical(response.content)
        vevents = {str(v["UID"]): v for v in calendar.walk("VEVENT")}
        payload = feed(client, seeded["headers"], **WINDOW)
        host = httpx.URL(client.base_url).host
        assert set(vevents) == {f"{entry_id}@{host}" for entry_id in ids(payload)}
        task = vevents[f"staff-task-{seeded['task']['id']}@{host}"]
        assert str(task["SUMMARY"]) == seeded["task"]["title"]
        assert str(task["DESCRIPTION"]).startswith("Staff · Task · ")
        assert task.decoded("DTSTART") == date(2031, 3, 14)
        assert task.decoded("DTEND") == date(2031, 3, 16)
        meeting = vevents[f"coordination-event-{seeded['event']['id']}@{host}"]
        assert str(meeting["DESCRIPTION"]).startswith("Coordination · Event · ")
        assert meeting.decoded("DTSTART") == datetime(2031, 3, 10, 1, 0, tzinfo=ZoneInfo("UTC"))
        assert meeting.decoded("DTEND") == datetime(2031, 3, 10, 2, 0, tzinfo=ZoneInfo("UTC"))


def test_calendar_page(make_client, seeded):
    browser = make_client()
    login(browser, "admin", ADMIN_PASSWORD)
    page = browser.get("/oobc-management/staff/calendar/")
    assert page.status_code == 200
    html = page.text
    assert 'href="/oobc-management/staff/calendar/"' in html  # in the navigation
    assert "index.global.min.js" in html
    for module in MODULES:
        assert f'value="{module}"' in html
    scripts = [part.split('"')[0] for part in html.split('src="')[1:]]
    assert scripts
    for src in scripts:
        asset = browser.get(src)
        assert asset.status_code == 200, src
        assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
    stale = browser.get(scripts[0].replace("/static/v/", "/static/v/0ld", 1))
    assert stale.status_code in (200, 404)
    if stale.status_code == 200:
        assert stale.headers["cache-control"] == "no-cache"
