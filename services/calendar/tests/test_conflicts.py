"""Conflict warnings: people already in another event or on leave (requested too), and the venue
booked, for a time slot (`GET /events/conflicts`) or an event's next occurrences
(`GET /events/{id}/conflicts`)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

MANILA = ZoneInfo("Asia/Manila")


def post(client, caller, path, body):
    response = client.post(f"/api/v1/{path}", json=body, headers=caller.headers)
    assert response.status_code in (200, 201), response.text
    return response.json()


def event(client, caller, start, end, **fields):
    body = {"title": "Meeting", "event_type": "meeting", "start": start, "end": end}
    body.update(fields)
    return post(client, caller, "events", body)


def at(day: date, hour: int, minute: int = 0) -> str:
    return datetime.combine(day, time(hour, minute), MANILA).isoformat()


def summary(items):
    return [(item["kind"], item["user_id"], item["record_id"], item["title"]) for item in items]


@pytest.fixture
def ana():
    return str(uuid.uuid4())


@pytest.fixture
def ben():
    return str(uuid.uuid4())


def test_people_in_other_events_on_leave_and_the_venue_booked(
    client, staff, other_staff, manager, ana, ben
):
    review = event(
        client,
        manager,
        "2038-01-12T09:00:00+08:00",
        "2038-01-12T11:00:00+08:00",
        title="Budget review",
        organizer_id=ben,
        participant_ids=[ana],
    )
    weekly = event(
        client,
        other_staff,
        "2038-01-05T14:00:00+08:00",
        "2038-01-05T15:00:00+08:00",
        title="Tuesday sync",
        participant_ids=[ben],
        recurrence={"freq": "weekly"},
    )
    url = f"/api/v1/events/{weekly['id']}/occurrences"
    # The 12th's occurrence cancelled; the 19th's moved to the 12th, 16:00.
    assert client.delete(f"{url}/20380112", headers=other_staff.headers).status_code == 200
    moved = client.put(
        f"{url}/20380119",
        json={"start": "2038-01-12T16:00:00+08:00", "title": "Tuesday sync (moved)"},
        headers=other_staff.headers,
    )
    assert moved.status_code == 200, moved.text
    event(
        client,
        staff,
        "2038-01-12T10:00:00+08:00",
        "2038-01-12T12:00:00+08:00",
        title="Called off",
        status="cancelled",
        participant_ids=[ana],
    )
    leave = post(
        client,
        manager,
        "leaves",
        {
            "user_id": ana,
            "leave_type": "sick",
            "start_date": "2038-01-12",
            "end_date": "2038-01-12",
            "reason": "surgery",
        },
    )
    post(client, manager, f"leaves/{leave['id']}/approve", {})
    requested = post(
        client,
        manager,
        "leaves",
        {
            "user_id": ben,
            "leave_type": "vacation",
            "start_date": "2038-01-12",
            "end_date": "2038-01-12",
        },
    )  # pending: a conflict that may not happen
    room = post(
        client,
        manager,
        "resources",
        {
            "name": "Room A",
            "resource_type": "room",
            "location": "Cotabato City Hall",
            "booking_requires_approval": True,
        },
    )
    booking = post(
        client,
        other_staff,
        "bookings",
        {"resource_id": room["id"], "start": "2038-01-12T13:00:00", "end": "2038-01-12T14:30:00"},
    )

    def conflicts(**params):
        response = client.get(
            "/api/v1/events/conflicts",
            params={
                "start": "2038-01-12T08:00:00+08:00",
                "end": "2038-01-12T17:00:00+08:00",
                "participant_ids": [ana, ben],
                **params,
            },
            headers=staff.headers,
        )
        assert response.status_code == 200, response.text
        return response.json()["items"]

    found = conflicts(venue="room a")
    assert summary(found) == [
        ("leave", ana, leave["id"], "On leave"),
        ("leave", ben, requested["id"], "On leave"),
        ("event", ana, review["id"], "Budget review"),
        ("event", ben, review["id"], "Budget review"),
        ("booking", None, booking["id"], "Room A booking"),
        ("event", ben, weekly["id"], "Tuesday sync (moved)"),
    ]
    on_leave = found[0]
    assert (on_leave["start"], on_leave["end"], on_leave["all_day"]) == (
        "2038-01-12",
        "2038-01-13",
        True,
    )
    assert "sick" not in str(found)
    assert "surgery" not in str(found)
    assert on_leave["url"] == f"/oobc-management/staff/leave/{leave['id']}/"
    # Requested leave and a pending booking are told as awaiting a decision.
    assert [item["tentative"] for item in found] == [False, True, False, False, True, False]
    assert (found[2]["start"], found[2]["end"], found[2]["all_day"]) == (
        "2038-01-12T01:00:00Z",
        "2038-01-12T03:00:00Z",
        False,
    )
    assert found[2]["url"] == f"/oobc-management/calendar/events/{review['id']}/"
    assert found[4]["url"] == f"/oobc-management/resources/bookings/{booking['id']}/"
    assert found[5]["start"] == "2038-01-12T08:00:00Z"

    # The venue may name the resource's location; editing an event leaves it out.
    by_location = conflicts(venue=" COTABATO city hall ", exclude_event_id=review["id"])
    assert summary(by_location) == [
        ("leave", ana, leave["id"], "On leave"),
        ("leave", ben, requested["id"], "On leave"),
        ("booking", None, booking["id"], "Room A booking"),
        ("event", ben, weekly["id"], "Tuesday sync (moved)"),
    ]
    # Nobody and no venue: nothing to conflict with.
    assert conflicts(participant_ids=[], venue="Room B") == []
    # Touching is no overlap: 11:00-13:00 meets the review's end and the booking's start.
    touching = conflicts(
        start="2038-01-12T11:00:00+08:00", end="2038-01-12T13:00:00+08:00", venue="Room A"
    )
    assert summary(touching) == [
        ("leave", ana, leave["id"], "On leave"),
        ("leave", ben, requested["id"], "On leave"),
    ]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"end": "2038-01-12T10:00:00+08:00"}, "start"),
        ({"start": "2038-01-12T10:00:00+08:00"}, "end"),
        ({"start": "2038-01-12T10:00:00+08:00", "end": "2038-01-12T09:00:00+08:00"}, "end"),
        ({"start": "2038-01-01", "end": "2039-03-01"}, "end"),
        ({"start": "soon", "end": "2038-01-12"}, "start"),
        (
            {"start": "2038-01-12", "end": "2038-01-13", "participant_ids": ["ana"]},
            "participant_ids",
        ),
        ({"start": "2038-01-12", "end": "2038-01-13", "exclude_event_id": "x"}, "exclude_event_id"),
    ],
)
def test_bad_conflict_queries_are_422_naming_the_field(shared_client, staff, params, field):
    response = shared_client.get("/api/v1/events/conflicts", params=params, headers=staff.headers)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == field


def test_an_events_conflicts_over_its_next_occurrences(client, staff, other_staff, manager, ana):
    today = datetime.now(MANILA).date()
    first = today + timedelta(days=14)
    mine = event(
        client,
        staff,
        at(first, 9),
        at(first, 10),
        title="Weekly clinic",
        venue="Room A",
        participant_ids=[ana],
        recurrence={"freq": "weekly", "count": 20},
    )
    other = event(
        client,
        other_staff,
        at(first + timedelta(weeks=1), 9, 30),
        at(first + timedelta(weeks=1), 11),
    )
    too_far = event(  # week 17: beyond the 90 days looked at
        client,
        other_staff,
        at(first + timedelta(weeks=17), 9),
        at(first + timedelta(weeks=17), 10),
        participant_ids=[ana],
    )
    shared = event(
        client,
        other_staff,
        at(first + timedelta(weeks=1), 9),
        at(first + timedelta(weeks=1), 10),
        participant_ids=[ana, str(staff.user_id)],
        title="Case conference",
    )
    day_off = first + timedelta(weeks=2)
    leave = post(
        client,
        manager,
        "leaves",
        {
            "user_id": str(staff.user_id),
            "leave_type": "vacation",
            "start_date": str(day_off),
            "end_date": str(day_off),
        },
    )
    post(client, manager, f"leaves/{leave['id']}/approve", {})
    room = post(client, manager, "resources", {"name": "Room A", "resource_type": "room"})
    ours = post(
        client,
        staff,
        "bookings",
        {
            "resource_id": room["id"],
            "start": at(first, 9),
            "end": at(first, 10),
            "event_id": mine["id"],
        },
    )
    theirs = post(
        client,
        other_staff,
        "bookings",
        {
            "resource_id": room["id"],
            "start": at(first + timedelta(weeks=3), 8),
            "end": at(first + timedelta(weeks=3), 9, 15),
        },
    )

    response = client.get(f"/api/v1/events/{mine['id']}/conflicts", headers=other_staff.headers)

    assert response.status_code == 200, response.text
    found = summary(response.json()["items"])
    assert found == [
        ("event", str(staff.user_id), shared["id"], "Case conference"),
        ("event", ana, shared["id"], "Case conference"),
        ("leave", str(staff.user_id), leave["id"], "On leave"),
        ("booking", None, theirs["id"], "Room A booking"),
    ]
    ids = {item[2] for item in found}
    assert not ids & {mine["id"], other["id"], too_far["id"], ours["id"]}
    missing = client.get(f"/api/v1/events/{uuid.uuid4()}/conflicts", headers=staff.headers)
    assert missing.status_code == 404


def test_an_events_conflicts_are_capped(client, staff, other_staff, ana):
    first = datetime.now(MANILA).date() + timedelta(days=7)
    daily = {"freq": "daily", "count": 80}
    mine = event(
        client, staff, at(first, 9), at(first, 10), participant_ids=[ana], recurrence=daily
    )
    theirs = event(
        client, other_staff, at(first, 9), at(first, 10), participant_ids=[ana], recurrence=daily
    )
    response = client.get(f"/api/v1/events/{mine['id']}/conflicts", headers=staff.headers)
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert len(items) == 50
    assert {item["record_id"] for item in items} == {theirs["id"]}
    # The earliest fifty.
    assert items[0]["start"] == datetime.combine(first, time(1)).isoformat() + "Z"
    assert items[-1]["start"][:10] == str(first + timedelta(days=49))
