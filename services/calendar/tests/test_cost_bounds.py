"""What one user's records may cost everyone's calendar: a series' COUNT and UNTIL, the
length of an event occurrence, a leave and a booking are bounded by settings (422 naming
the field beyond them), and one feed answer holds at most MAX_FEED_ENTRIES entries (the
earliest) and says so."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from calendar_service.app import create_app
from calendar_service.settings import CalendarSettings
from obcms_platform.settings import RunMode
from obcms_platform.testing import ServiceDatabases

from .helpers import change_occurrence, create_event

EVENT = {
    "title": "Stand-up",
    "event_type": "meeting",
    "start": "2026-12-01T09:00:00+08:00",
    "end": "2026-12-01T09:15:00+08:00",
}


def _error(response) -> dict[str, Any]:
    error: dict[str, Any] = response.json()["error"]
    return error


def _refused(response, field: str) -> str:
    """The 422's message, after checking it names `field`."""
    assert response.status_code == 422, response.text
    assert _error(response)["field"] == field, response.text
    message: str = _error(response)["message"]
    return message


@pytest.fixture
def limited_client(
    calendar_databases: ServiceDatabases, redis_url: str, request: pytest.FixtureRequest
) -> Iterator[TestClient]:
    """A calendar app on a fresh database with the settings given as the parameter."""
    settings = CalendarSettings(
        database_url=calendar_databases.fresh(),
        redis_url=redis_url,
        mode=RunMode.TEST,
        **request.param,
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


# --- series -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("recurrence", "field", "says"),
    [
        ({"freq": "daily", "count": 731}, "recurrence.count", "at most 730 occurrences"),
        ({"freq": "weekly", "count": 5000}, "recurrence.count", "at most 730 occurrences"),
        ({"freq": "daily", "until": "2028-12-02"}, "recurrence.until", "on or before 2028-12-01"),
        ({"freq": "yearly", "until": "2126-12-01"}, "recurrence.until", "at most 2 years"),
        ({"freq": "hourly"}, "recurrence.freq", "daily"),
        ({"freq": "minutely"}, "recurrence.freq", "daily"),
        ({"freq": "secondly"}, "recurrence.freq", "daily"),
    ],
)
def test_a_series_beyond_the_limits_is_422_naming_the_part(
    shared_client, staff, recurrence, field, says
):
    response = shared_client.post(
        "/api/v1/events", json={**EVENT, "recurrence": recurrence}, headers=staff.headers
    )
    assert says in _refused(response, field)


def test_series_at_the_limits_and_without_end_are_accepted(client, staff):
    for recurrence in (
        {"freq": "daily", "count": 730},
        {"freq": "daily", "until": "2028-12-01"},
        {"freq": "daily"},  # open-ended: the feed's entry cap bounds it
    ):
        response = client.post(
            "/api/v1/events", json={**EVENT, "recurrence": recurrence}, headers=staff.headers
        )
        assert response.status_code == 201, f"{recurrence}: {response.text}"


def test_changing_a_series_cannot_take_it_beyond_the_limits(client, staff):
    series = client.post(
        "/api/v1/events",
        json={**EVENT, "recurrence": {"freq": "weekly", "until": "2028-11-30"}},
        headers=staff.headers,
    ).json()
    url = f"/api/v1/events/{series['id']}"
    more = client.patch(
        url, json={"recurrence": {"freq": "daily", "count": 1000}}, headers=staff.headers
    )
    _refused(more, "recurrence.count")
    # Moving the start a year earlier leaves the until three years after it.
    earlier = client.patch(
        url,
        json={"start": "2025-12-01T09:00:00+08:00", "end": "2025-12-01T09:15:00+08:00"},
        headers=staff.headers,
    )
    _refused(earlier, "recurrence.until")
    unchanged = client.get(url, headers=staff.headers).json()
    assert unchanged["start"] == series["start"]
    assert unchanged["recurrence"] == series["recurrence"]


# --- length of an event, a leave, a booking -----------------------------------------------


@pytest.mark.parametrize(
    ("times", "says"),
    [
        ({"end": "2036-12-01T09:00:00+08:00"}, "at most 31 days"),  # ten years
        ({"end": "2027-01-01T09:00:01+08:00"}, "at most 31 days"),
        ({"all_day": True, "start": "2026-12-01", "end": "2027-01-02"}, "at most 31 days"),
    ],
)
def test_an_event_longer_than_31_days_is_422_naming_end(shared_client, staff, times, says):
    response = shared_client.post("/api/v1/events", json={**EVENT, **times}, headers=staff.headers)
    assert says in _refused(response, "end")


def test_an_event_of_31_days_is_accepted(client, staff):
    for times in (
        {"end": "2027-01-01T09:00:00+08:00"},
        {"all_day": True, "start": "2026-12-01", "end": "2027-01-01"},
    ):
        response = client.post("/api/v1/events", json={**EVENT, **times}, headers=staff.headers)
        assert response.status_code == 201, f"{times}: {response.text}"


def test_neither_a_patch_nor_a_moved_occurrence_can_stretch_an_event(client, staff):
    event = create_event(client, staff, EVENT)
    stretched = client.patch(
        f"/api/v1/events/{event['id']}",
        json={"end": "2027-03-01T09:00:00+08:00"},
        headers=staff.headers,
    )
    _refused(stretched, "end")
    series = create_event(client, staff, {**EVENT, "recurrence": {"freq": "weekly", "count": 4}})
    moved = change_occurrence(
        client,
        staff,
        series["id"],
        "20261208",
        start="2026-12-08T09:00:00+08:00",
        end="2027-02-08T09:00:00+08:00",
    )
    _refused(moved, "end")
    assert (
        client.get(f"/api/v1/events/{series['id']}", headers=staff.headers).json()["overrides"]
        == []
    )


@pytest.mark.parametrize(
    ("start_date", "end_date"),
    [("2026-01-01", "2027-01-02"), ("2026-01-01", "2125-12-31")],
    ids=["367 days", "a century"],
)
def test_a_leave_longer_than_366_days_is_422_naming_end_date(
    shared_client, staff, start_date, end_date
):
    response = shared_client.post(
        "/api/v1/leaves",
        json={"leave_type": "vacation", "start_date": start_date, "end_date": end_date},
        headers=staff.headers,
    )
    assert "at most 366 days" in _refused(response, "end_date")


def test_a_leave_of_366_days_is_accepted(client, staff):
    response = client.post(
        "/api/v1/leaves",
        json={"leave_type": "official", "start_date": "2028-01-01", "end_date": "2028-12-31"},
        headers=staff.headers,
    )
    assert response.status_code == 201, response.text


def _resource(client: TestClient, manager) -> str:
    response = client.post(
        "/api/v1/resources",
        json={"name": "Van", "resource_type": "vehicle", "booking_requires_approval": False},
        headers=manager.headers,
    )
    assert response.status_code == 201, response.text
    resource_id: str = response.json()["id"]
    return resource_id


def test_a_booking_longer_than_31_days_is_422_naming_end(client, staff, manager):
    resource = _resource(client, manager)
    for start, end in (
        ("2031-12-01T08:00:00+08:00", "2032-01-01T08:00:01+08:00"),
        ("2031-12-01T08:00:00", "2036-12-01T08:00:00+08:00"),  # without and with an offset
    ):
        response = client.post(
            "/api/v1/bookings",
            json={"resource_id": resource, "start": start, "end": end},
            headers=staff.headers,
        )
        assert "at most 31 days" in _refused(response, "end")
    month = client.post(
        "/api/v1/bookings",
        json={
            "resource_id": resource,
            "start": "2031-12-01T08:00:00",
            "end": "2032-01-01T08:00:00+08:00",
        },
        headers=staff.headers,
    )
    assert month.status_code == 201, month.text


@pytest.mark.parametrize(
    "limited_client",
    [
        {
            "max_series_occurrences": 5,
            "max_series_years": 1,
            "max_event_days": 1,
            "max_leave_days": 3,
            "max_booking_days": 1,
        }
    ],
    indirect=True,
)
def test_every_limit_is_a_setting(limited_client, staff, manager):
    client = limited_client

    def event(**changes: Any):
        return client.post("/api/v1/events", json={**EVENT, **changes}, headers=staff.headers)

    assert event(recurrence={"freq": "daily", "count": 5}).status_code == 201
    assert "at most 5 occurrences" in _refused(
        event(recurrence={"freq": "daily", "count": 6}), "recurrence.count"
    )
    assert event(recurrence={"freq": "daily", "until": "2027-12-01"}).status_code == 201
    _refused(event(recurrence={"freq": "daily", "until": "2027-12-02"}), "recurrence.until")
    assert event(end="2026-12-02T09:00:00+08:00").status_code == 201
    assert "at most 1 days" in _refused(event(end="2026-12-02T09:00:01+08:00"), "end")

    def leave(end_date: str):
        body = {"leave_type": "sick", "start_date": "2026-12-01", "end_date": end_date}
        return client.post("/api/v1/leaves", json=body, headers=staff.headers)

    assert leave("2026-12-03").status_code == 201
    assert "at most 3 days" in _refused(leave("2026-12-04"), "end_date")

    resource = _resource(client, manager)

    def booking(start: str, end: str):
        body = {"resource_id": resource, "start": start, "end": end}
        return client.post("/api/v1/bookings", json=body, headers=staff.headers)

    assert booking("2031-12-01T08:00:00", "2031-12-02T08:00:00").status_code == 201
    _refused(booking("2031-12-03T08:00:00", "2031-12-04T08:00:01"), "end")


# --- the feed's entry cap -----------------------------------------------------------------


def test_twenty_open_ended_daily_series_fill_the_feed_only_up_to_its_cap(client, staff):
    """The finding: 20 daily series without end turned a 13-month feed into 8,000 entries.
    The answer now holds the earliest 5,000 and says it was cut short."""
    for number in range(20):
        response = client.post(
            "/api/v1/events",
            json={
                **EVENT,
                "title": f"Daily {number}",
                "start": "2026-01-01T09:00:00+08:00",
                "end": "2026-01-01T09:15:00+08:00",
                "recurrence": {"freq": "daily"},
            },
            headers=staff.headers,
        )
        assert response.status_code == 201, response.text
    window = {"start": "2026-01-01", "end": "2027-02-01"}  # 396 days: 7,920 occurrences
    response = client.get("/api/v1/feed", params=window, headers=staff.headers)
    assert response.status_code == 200
    assert response.headers["X-Feed-Truncated"] == "true"
    assert response.headers["X-Feed-Limit"] == "5000"
    body = response.json()
    assert body["truncated"] is True
    assert body["entry_limit"] == 5000
    days = Counter(entry["start"][:10] for entry in body["events"])
    # The earliest: all 20 occurrences of each of the first 250 days, nothing later.
    first_days = {(date(2026, 1, 1) + timedelta(days=n)).isoformat() for n in range(250)}
    assert days == Counter({day: 20 for day in first_days})
    ics = client.get("/api/v1/feed.ics", params=window, headers=staff.headers)
    assert ics.headers["X-Feed-Truncated"] == "true"
    assert ics.text.count("BEGIN:VEVENT") == 5000
    # A month of the same series is far below the cap, and says so.
    month = client.get(
        "/api/v1/feed", params={"start": "2026-03-01", "end": "2026-04-01"}, headers=staff.headers
    )
    assert month.headers["X-Feed-Truncated"] == "false"
    assert month.json()["truncated"] is False
    assert len(month.json()["events"]) == 20 * 31


@pytest.mark.parametrize("limited_client", [{"max_feed_entries": 3}], indirect=True)
def test_the_entry_cap_is_a_setting(limited_client, staff):
    client = limited_client
    series = {**EVENT, "recurrence": {"freq": "daily", "count": 5}}
    assert client.post("/api/v1/events", json=series, headers=staff.headers).status_code == 201
    window = {"start": "2026-12-01", "end": "2027-01-01"}
    response = client.get("/api/v1/feed", params=window, headers=staff.headers)
    body = response.json()
    assert (body["truncated"], body["entry_limit"]) == (True, 3)
    assert [entry["start"][:10] for entry in body["events"]] == [
        "2026-12-01",
        "2026-12-02",
        "2026-12-03",
    ]
    assert response.headers["X-Feed-Limit"] == "3"
    events_ics = client.get("/api/v1/events.ics", params=window, headers=staff.headers)
    assert events_ics.text.count("BEGIN:VEVENT") == 3
    assert events_ics.headers["X-Feed-Truncated"] == "true"
