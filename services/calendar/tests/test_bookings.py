"""Resources and bookings: no double booking (also concurrently), approval rules."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from calendar_service.bookings.schemas import BookingCreate
from calendar_service.bookings.service import create_booking
from calendar_service.db import bus
from obcms_platform.auth import Principal, Role
from obcms_platform.db import Database
from obcms_platform.errors import ConflictError
from obcms_platform.formatting import format_moment
from obcms_platform.testing import assert_error, auth_headers

from .helpers import create_event


def make_resource(client, manager, **overrides):
    body = {"name": "Van 1", "resource_type": "vehicle", "capacity": 12, "location": "Motorpool"}
    body.update(overrides)
    response = client.post("/api/v1/resources", json=body, headers=manager.headers)
    assert response.status_code == 201, response.text
    return response.json()


def book(client, caller, resource_id, start, end, **extra):
    return client.post(
        "/api/v1/bookings",
        json={"resource_id": resource_id, "start": start, "end": end, **extra},
        headers=caller.headers,
    )


def test_resources_crud_and_roles(client, staff, manager):
    refused = client.post(
        "/api/v1/resources", json={"name": "Room A", "resource_type": "room"}, headers=staff.headers
    )
    assert refused.status_code == 403
    room = make_resource(client, manager, name="Room A", resource_type="room", capacity=30)
    assert room["is_available"] is True
    assert room["booking_requires_approval"] is False
    duplicate = client.post(
        "/api/v1/resources",
        json={"name": "room a", "resource_type": "room"},
        headers=manager.headers,
    )
    assert duplicate.status_code == 409
    assert duplicate.json()["error"]["field"] == "name"
    patched = client.patch(
        f"/api/v1/resources/{room['id']}",
        json={"booking_requires_approval": True, "capacity": 25},
        headers=manager.headers,
    )
    assert patched.status_code == 200
    assert patched.json()["booking_requires_approval"] is True
    assert (
        client.patch(
            f"/api/v1/resources/{room['id']}", json={"capacity": 1}, headers=staff.headers
        ).status_code
        == 403
    )
    listing = client.get(
        "/api/v1/resources", params={"resource_type": "room"}, headers=staff.headers
    )
    assert listing.json()["total"] == 1
    bad = client.post(
        "/api/v1/resources", json={"name": "X", "resource_type": "boat"}, headers=manager.headers
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["field"] == "resource_type"
    negative = client.post(
        "/api/v1/resources",
        json={"name": "Y", "resource_type": "room", "capacity": -1},
        headers=manager.headers,
    )
    assert negative.json()["error"]["field"] == "capacity"


def test_auto_approval_and_overlap_refused_with_409(client, session, staff, other_staff, manager):
    van = make_resource(client, manager)
    first = book(client, staff, van["id"], "2031-12-01T08:00:00+08:00", "2031-12-01T12:00:00+08:00")
    assert first.status_code == 201, first.text
    assert first.json()["status"] == "approved"  # no approval needed
    assert first.json()["booked_by"] == str(staff.user_id)

    overlapping = book(
        client, other_staff, van["id"], "2031-12-01T11:00:00+08:00", "2031-12-01T13:00:00+08:00"
    )
    assert overlapping.status_code == 409
    error = overlapping.json()["error"]
    assert error["field"] == "start"
    assert "Van 1" in error["message"]
    assert first.json()["id"] in error["message"]

    # Touching ends are no overlap; another resource is independent.
    assert (
        book(
            client, other_staff, van["id"], "2031-12-01T12:00:00+08:00", "2031-12-01T13:00:00+08:00"
        ).status_code
        == 201
    )
    other_van = make_resource(client, manager, name="Van 2")
    assert (
        book(
            client,
            other_staff,
            other_van["id"],
            "2031-12-01T08:00:00+08:00",
            "2031-12-01T12:00:00+08:00",
        ).status_code
        == 201
    )

    # A cancelled booking frees its slot.
    cancel = client.post(f"/api/v1/bookings/{first.json()['id']}/cancel", headers=staff.headers)
    assert cancel.status_code == 200
    assert cancel.json()["status"] == "cancelled"
    again = book(
        client, other_staff, van["id"], "2031-12-01T09:00:00+08:00", "2031-12-01T10:00:00+08:00"
    )
    assert again.status_code == 201
    types = [row for row in session.scalars(select(bus.outbox.c.event_type))]
    assert types.count("booking.created") == 4
    assert types.count("booking.updated") == 1


def test_concurrent_double_booking_exactly_one_wins(client, manager):
    room = make_resource(client, manager, name="Conference room", resource_type="room")
    callers = [SimpleNamespace(headers=auth_headers(uuid.uuid4())) for _ in range(6)]
    barrier = threading.Barrier(len(callers))
    statuses: list[int] = []
    lock = threading.Lock()

    def attempt(index: int) -> None:
        barrier.wait()
        # Different but overlapping slots: only one can hold the room.
        response = book(
            client,
            callers[index],
            room["id"],
            f"2031-12-02T09:{index:02d}:00+08:00",
            f"2031-12-02T11:{index:02d}:00+08:00",
        )
        with lock:
            statuses.append(response.status_code)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(len(callers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201] + [409] * (len(callers) - 1)
    held = client.get(
        "/api/v1/bookings", params={"resource_id": room["id"]}, headers=manager.headers
    ).json()
    assert held["total"] == 1


def test_the_database_itself_refuses_overlapping_holding_bookings(client, session, manager):
    room = make_resource(client, manager, name="Hall", resource_type="room")
    insert = text(
        'INSERT INTO bookings (id, resource_id, start, "end", status, booked_by, notes, version,'
        " created_at, updated_at) VALUES (:id, :resource, :start, :end, :status, :by, '', 1,"
        " now(), now())"
    )
    values = {
        "resource": room["id"],
        "start": "2031-12-03T09:00:00+08:00",
        "end": "2031-12-03T10:00:00+08:00",
        "by": str(uuid.uuid4()),
    }
    session.execute(insert, {**values, "id": str(uuid.uuid4()), "status": "pending"})
    session.execute(insert, {**values, "id": str(uuid.uuid4()), "status": "rejected"})
    session.commit()
    with pytest.raises(IntegrityError) as raised:
        session.execute(insert, {**values, "id": str(uuid.uuid4()), "status": "approved"})
    assert raised.value.orig.sqlstate == "23P01"
    session.rollback()


def test_approval_required_and_role_rules(client, session, staff, other_staff, manager, admin):
    room = make_resource(client, manager, name="Board room", booking_requires_approval=True)
    pending = book(client, staff, room["id"], "2031-12-04T09:00:00", "2031-12-04T10:00:00")
    assert pending.status_code == 201
    booking = pending.json()
    assert booking["status"] == "pending"
    assert booking["start"] == "2031-12-04T01:00:00Z"  # naive times are office (Manila) times
    # A pending booking holds the slot too.
    assert (
        book(
            client, other_staff, room["id"], "2031-12-04T09:30:00", "2031-12-04T10:30:00"
        ).status_code
        == 409
    )

    url = f"/api/v1/bookings/{booking['id']}"
    assert client.post(f"{url}/approve", headers=staff.headers).status_code == 403
    assert client.post(f"{url}/reject", headers=staff.headers).status_code == 403
    assert client.post(f"{url}/cancel", headers=other_staff.headers).status_code == 403
    approved = client.post(f"{url}/approve", json={"notes": "ok"}, headers=manager.headers)
    assert approved.status_code == 200
    assert approved.json()["status"] == "approved"
    assert approved.json()["approved_by"] == str(manager.user_id)
    # Approving twice or rejecting an approved booking is a refused transition.
    assert client.post(f"{url}/approve", headers=manager.headers).status_code == 409
    assert client.post(f"{url}/reject", headers=admin.headers).status_code == 409
    # A manager may cancel someone's booking; a cancelled booking cannot be cancelled again.
    assert client.post(f"{url}/cancel", headers=manager.headers).json()["status"] == "cancelled"
    assert client.post(f"{url}/cancel", headers=staff.headers).status_code == 409

    second = book(client, staff, room["id"], "2031-12-05T09:00:00", "2031-12-05T10:00:00").json()
    # A rejection says why: the booker is told it.
    for said in (None, {"notes": "  "}):
        unsaid = client.post(
            f"/api/v1/bookings/{second['id']}/reject", json=said, headers=admin.headers
        )
        assert_error(unsaid, 422, "notes")
    rejected = client.post(
        f"/api/v1/bookings/{second['id']}/reject",
        json={"notes": "The room is being repainted"},
        headers=admin.headers,
    )
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["decision_note"] == "The room is being repainted"
    assert (
        client.get(
            "/api/v1/bookings", params={"mine": True, "status": "rejected"}, headers=staff.headers
        ).json()["total"]
        == 1
    )
    unknown = client.post(f"/api/v1/bookings/{uuid.uuid4()}/approve", headers=manager.headers)
    assert unknown.status_code == 404


def test_booking_input_errors(client, staff, manager):
    van = make_resource(client, manager)
    backwards = book(client, staff, van["id"], "2031-12-01T12:00:00Z", "2031-12-01T08:00:00Z")
    assert backwards.status_code == 422
    assert backwards.json()["error"]["field"] == "end"
    missing = book(client, staff, str(uuid.uuid4()), "2031-12-01T08:00:00Z", "2031-12-01T09:00:00Z")
    assert missing.status_code == 422
    assert missing.json()["error"]["field"] == "resource_id"
    garbage = book(client, staff, van["id"], "soon", "2031-12-01T09:00:00Z")
    assert garbage.status_code == 422
    assert garbage.json()["error"]["field"] == "start"
    client.patch(
        f"/api/v1/resources/{van['id']}", json={"is_available": False}, headers=manager.headers
    )
    unavailable = book(client, staff, van["id"], "2031-12-01T08:00:00Z", "2031-12-01T09:00:00Z")
    assert unavailable.status_code == 409
    assert unavailable.json()["error"]["field"] == "resource_id"


def test_a_racing_insert_is_refused_by_the_constraint_with_a_409(client, calendar_db_url, manager):
    """The friendly pre-check cannot see an uncommitted booking; the constraint makes the
    second insert wait for the first transaction and then refuses it (409, not 500)."""
    room = make_resource(client, manager, name="Race room", resource_type="room")
    database = Database(calendar_db_url, pool_size=2)
    data = BookingCreate(
        resource_id=uuid.UUID(room["id"]),
        start=datetime(2031, 12, 6, 9, tzinfo=UTC),
        end=datetime(2031, 12, 6, 10, tzinfo=UTC),
    )
    first = database.session()
    create_booking(first, data, Principal(uuid.uuid4(), frozenset({Role.STAFF})))
    outcome: list[BaseException | str] = []

    def second() -> None:
        with database.session() as session:
            try:
                create_booking(session, data, Principal(uuid.uuid4(), frozenset({Role.STAFF})))
                session.commit()
                outcome.append("created")
            except ConflictError as exc:
                outcome.append(exc)

    thread = threading.Thread(target=second)
    thread.start()
    thread.join(timeout=0.5)
    assert thread.is_alive()  # waiting on the first transaction's row
    first.commit()
    first.close()
    thread.join()
    database.dispose()
    assert len(outcome) == 1
    assert isinstance(outcome[0], ConflictError)
    assert outcome[0].status_code == 409
    assert "Race room" in outcome[0].message


def test_nobody_decides_their_own_booking(client, manager, admin):
    room = make_resource(client, admin, name="Board room", booking_requires_approval=True)
    own = book(
        client, manager, room["id"], "2038-01-11T09:00:00+08:00", "2038-01-11T10:00:00+08:00"
    )
    assert own.status_code == 201, own.text
    refused = client.post(f"/api/v1/bookings/{own.json()['id']}/approve", headers=manager.headers)
    assert refused.status_code == 403, refused.text
    approved = client.post(f"/api/v1/bookings/{own.json()['id']}/approve", headers=admin.headers)
    assert approved.status_code == 200, approved.text


# --- bookings of an event, bookings of a resource's week ---------------------------------


def test_a_booking_may_belong_to_an_event_and_be_listed_by_it(client, staff, other_staff, manager):
    room = make_resource(client, manager, name="Room B", resource_type="room")
    event = create_event(
        client,
        staff,
        {
            "title": "Workshop",
            "event_type": "workshop",
            "start": "2038-01-12T09:00:00+08:00",
            "end": "2038-01-12T12:00:00+08:00",
        },
    )
    for_event = book(
        client,
        staff,
        room["id"],
        "2038-01-12T08:30:00+08:00",
        "2038-01-12T12:00:00+08:00",
        event_id=event["id"],
    )
    assert for_event.status_code == 201, for_event.text
    assert for_event.json()["event_id"] == event["id"]
    # A colleague cannot attach a booking to an event that is not theirs.
    foreign = book(
        client,
        other_staff,
        room["id"],
        "2038-01-12T13:00:00+08:00",
        "2038-01-12T14:00:00+08:00",
        event_id=event["id"],
    )
    assert foreign.status_code == 403, foreign.text
    other = book(
        client, staff, room["id"], "2038-01-13T09:00:00+08:00", "2038-01-13T10:00:00+08:00"
    )
    assert other.json()["event_id"] is None
    read = client.get(f"/api/v1/bookings/{for_event.json()['id']}", headers=staff.headers)
    assert read.json()["event_id"] == event["id"]

    listed = client.get(
        "/api/v1/bookings", params={"event_id": event["id"]}, headers=staff.headers
    ).json()
    assert [item["id"] for item in listed["items"]] == [for_event.json()["id"]]

    unknown = book(
        client,
        staff,
        room["id"],
        "2038-01-14T09:00:00+08:00",
        "2038-01-14T10:00:00+08:00",
        event_id=str(uuid.uuid4()),
    )
    assert unknown.status_code == 422
    assert unknown.json()["error"]["field"] == "event_id"

    # The event gone, the room booked for it is released (it blocked the room for nothing,
    # and waited on a manager's home for a decision about an event that no longer exists);
    # the booking made apart from it stays.
    assert client.delete(f"/api/v1/events/{event['id']}", headers=staff.headers).status_code == 204
    released = client.get(f"/api/v1/bookings/{for_event.json()['id']}", headers=staff.headers)
    assert (released.json()["status"], released.json()["event_id"]) == ("cancelled", None)
    assert released.json()["decision_note"] == "The event “Workshop” was deleted"
    kept = client.get(f"/api/v1/bookings/{other.json()['id']}", headers=staff.headers)
    assert kept.json()["status"] == "approved"
    again = book(
        client, other_staff, room["id"], "2038-01-12T09:00:00+08:00", "2038-01-12T10:00:00+08:00"
    )
    assert again.status_code == 201, again.text  # the room is free again


def test_bookings_of_a_resource_overlapping_a_window(client, staff, manager):
    van = make_resource(client, manager)
    other_van = make_resource(client, manager, name="Van 2")
    times = {
        "before": ("2038-01-02T09:00:00+08:00", "2038-01-02T10:00:00+08:00"),
        "ends at 20:00": ("2038-01-03T18:00:00+08:00", "2038-01-03T20:00:00+08:00"),
        "across the start": ("2038-01-03T20:00:00+08:00", "2038-01-04T07:00:00+08:00"),
        "inside": ("2038-01-05T09:00:00+08:00", "2038-01-05T10:00:00+08:00"),
        "across the end": ("2038-01-10T23:00:00+08:00", "2038-01-11T01:00:00+08:00"),
        "after": ("2038-01-11T01:00:00+08:00", "2038-01-11T03:00:00+08:00"),
    }
    ids = {}
    for name, (start, end) in times.items():
        response = book(client, staff, van["id"], start, end)
        assert response.status_code == 201, response.text
        ids[response.json()["id"]] = name
    assert book(client, staff, other_van["id"], *times["inside"]).status_code == 201

    def listed(ends_after, starts_before):
        response = client.get(
            "/api/v1/bookings",
            params={
                "resource_id": van["id"],
                "ends_after": ends_after,
                "starts_before": starts_before,
            },
            headers=staff.headers,
        )
        assert response.status_code == 200, response.text
        return [ids[item["id"]] for item in response.json()["items"]]

    week = listed("2038-01-04T00:00:00+08:00", "2038-01-11T00:00:00+08:00")
    assert week == ["across the start", "inside", "across the end"]
    # [start, end): a booking ending when the window begins is not in it.
    assert listed("2038-01-03T20:00:00+08:00", "2038-01-04T00:00:00+08:00") == ["across the start"]


def test_an_events_bookings_move_with_it(client, staff, other_staff, manager):
    """The van kept from 07:00 for a 09:00 workshop goes with the workshop to its new day,
    two hours early still; a van a manager must approve waits for approval of its new day;
    a room taken at the new time refuses the move, saying which and when."""
    van = make_resource(client, manager, name="Van 7", booking_requires_approval=True)
    room = make_resource(client, manager, name="Room C", resource_type="room")
    event = create_event(
        client,
        staff,
        {
            "title": "Workshop",
            "event_type": "workshop",
            "start": "2038-02-02T09:00:00+08:00",
            "end": "2038-02-02T12:00:00+08:00",
        },
    )
    van_booking = book(
        client,
        staff,
        van["id"],
        "2038-02-02T07:00:00+08:00",
        "2038-02-02T13:00:00+08:00",
        event_id=event["id"],
    ).json()
    room_booking = book(
        client,
        staff,
        room["id"],
        "2038-02-02T08:30:00+08:00",
        "2038-02-02T12:00:00+08:00",
        event_id=event["id"],
    ).json()
    apart = book(
        client, staff, room["id"], "2038-02-02T14:00:00+08:00", "2038-02-02T15:00:00+08:00"
    ).json()
    assert (
        client.post(
            f"/api/v1/bookings/{van_booking['id']}/approve", headers=manager.headers
        ).json()["status"]
        == "approved"
    )
    in_the_way = book(
        client, other_staff, room["id"], "2038-02-04T08:00:00+08:00", "2038-02-04T09:00:00+08:00"
    )
    assert in_the_way.status_code == 201, in_the_way.text

    def booking(booking_id: str) -> tuple[str, str, str]:
        read = client.get(f"/api/v1/bookings/{booking_id}", headers=staff.headers).json()
        return read["start"], read["end"], read["status"]

    def move(caller, body, version):
        return client.patch(
            f"/api/v1/events/{event['id']}",
            json=body,
            headers={**caller.headers, "If-Match": f'"{version}"'},
        )

    moved = move(staff, {"start": "2038-02-03T09:00:00+08:00"}, 1)
    assert moved.status_code == 200, moved.text
    assert booking(van_booking["id"]) == ("2038-02-02T23:00:00Z", "2038-02-03T05:00:00Z", "pending")
    assert booking(room_booking["id"]) == (
        "2038-02-03T00:30:00Z",
        "2038-02-03T04:00:00Z",
        "approved",
    )
    assert booking(apart["id"])[0] == "2038-02-02T06:00:00Z"  # not the event's: it stays

    refused = move(staff, {"start": "2038-02-04T09:00:00+08:00"}, 2)
    assert refused.status_code == 409, refused.text
    error = refused.json()["error"]
    assert error["field"] == "start"
    assert "Room C booked for this event cannot move with it" in error["message"]
    assert "Thu 4 Feb 2038, 08:00" in error["message"]
    shown = client.get(f"/api/v1/events/{event['id']}", headers=staff.headers).json()
    assert (shown["start"], shown["version"]) == ("2038-02-03T01:00:00Z", 2)
    assert booking(room_booking["id"])[0] == "2038-02-03T00:30:00Z"

    # A manager who may approve the van moves it without asking anyone: an hour longer.
    client.post(f"/api/v1/bookings/{van_booking['id']}/approve", headers=manager.headers)
    longer = move(manager, {"end": "2038-02-03T13:00:00+08:00"}, 2)
    assert longer.status_code == 200, longer.text
    assert booking(van_booking["id"]) == (
        "2038-02-02T23:00:00Z",
        "2038-02-03T06:00:00Z",
        "approved",
    )


def test_a_moved_occurrence_takes_its_own_bookings_along_where_the_resource_is_free(
    client, staff, other_staff, manager
):
    """QA: one occurrence of a weekly meeting dragged from Thursday to Friday left its room
    booked on Thursday, and the Friday meeting without one, unsaid. Now the occurrence's
    bookings (those on its day) go with it; one whose resource is taken at the new time
    stays, and the answer says so, in words; the other occurrences' bookings stay."""
    room = make_resource(client, manager, name="Conference Room A", resource_type="room")
    series = create_event(
        client,
        staff,
        {
            "title": "Q1 portfolio review",
            "event_type": "meeting",
            "start": "2038-02-04T10:00:00+08:00",
            "end": "2038-02-04T11:00:00+08:00",
            "recurrence": {"freq": "weekly", "count": 3},
        },
    )

    def book_for_the_meeting(day: str, start: str = "10:00", end: str = "11:00") -> str:
        booked = book(
            client,
            staff,
            room["id"],
            f"{day}T{start}:00+08:00",
            f"{day}T{end}:00+08:00",
            event_id=series["id"],
        )
        assert booked.status_code == 201, booked.text
        return str(booked.json()["id"])

    first = book_for_the_meeting("2038-02-04", "09:30")  # set up half an hour before
    second = book_for_the_meeting("2038-02-11")
    third = book_for_the_meeting("2038-02-18")
    in_the_way = book(
        client, other_staff, room["id"], "2038-02-12T10:30:00+08:00", "2038-02-12T12:00:00+08:00"
    )
    assert in_the_way.status_code == 201, in_the_way.text

    def times(booking_id: str) -> tuple[str, str]:
        read = client.get(f"/api/v1/bookings/{booking_id}", headers=staff.headers).json()
        return read["start"], read["end"]

    def move(day: str, start: str, end: str, version: int) -> dict[str, Any]:
        moved = client.put(
            f"/api/v1/events/{series['id']}/occurrences/{day}",
            json={"start": start, "end": end},
            headers={**staff.headers, "If-Match": f'"{version}"'},
        )
        assert moved.status_code == 200, moved.text
        body: dict[str, Any] = moved.json()
        return body

    # Thursday's meeting to Friday 14:00: its room goes with it, its half hour before too.
    moved = move("20380204", "2038-02-05T14:00:00+08:00", "2038-02-05T15:00:00+08:00", 1)
    assert moved["bookings"] == [
        {
            "booking_id": first,
            "resource_id": room["id"],
            "resource_name": "Conference Room A",
            "booked_by": str(staff.user_id),
            "start": "2038-02-05T05:30:00Z",
            "end": "2038-02-05T07:00:00Z",
            "status": "approved",
            "moved": True,
            "kept_because": None,
        }
    ]
    assert times(first) == ("2038-02-05T05:30:00Z", "2038-02-05T07:00:00Z")
    assert times(second) == ("2038-02-11T02:00:00Z", "2038-02-11T03:00:00Z")
    history = client.get(f"/api/v1/bookings/{first}/history", headers=staff.headers).json()
    assert history["items"][0]["cause"] == "moved with the occurrence “Q1 portfolio review”"

    # The next Thursday's to Friday 10:00, when the room is taken from 10:30: the meeting
    # moves, its booking stays on Thursday, and the answer says why.
    kept = move("20380211", "2038-02-12T10:00:00+08:00", "2038-02-12T11:00:00+08:00", 2)
    assert kept["start"] == "2038-02-12T02:00:00Z"
    (booking,) = kept["bookings"]
    assert (booking["booking_id"], booking["moved"]) == (second, False)
    assert (booking["start"], booking["end"]) == ("2038-02-11T02:00:00Z", "2038-02-11T03:00:00Z")
    assert booking["kept_because"].startswith(
        "it is already booked Fri 12 Feb 2038, 10:30\N{EN DASH}12:00 (that booking is approved"
    )
    assert times(second) == ("2038-02-11T02:00:00Z", "2038-02-11T03:00:00Z")
    assert times(third) == ("2038-02-18T02:00:00Z", "2038-02-18T03:00:00Z")

    # Renamed only, not moved: its booking is not touched.
    renamed = client.put(
        f"/api/v1/events/{series['id']}/occurrences/20380218",
        json={"title": "Q1 review (final)"},
        headers={**staff.headers, "If-Match": '"3"'},
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["bookings"] == []


def test_a_clash_names_the_booking_in_the_way_in_the_askers_own_time(client, manager):
    """A London colleague read "already booked 22:00-23:30" for the 14:00 booking (Manila
    time) under a form that says times are in his."""
    room = make_resource(client, manager, name="Room L", resource_type="room")
    london = SimpleNamespace(headers=auth_headers(uuid.uuid4(), time_zone="Europe/London"))
    first = book(client, london, room["id"], "2031-12-10T14:00:00Z", "2031-12-10T15:30:00Z")
    assert first.status_code == 201, first.text
    for caller, shown in ((london, "14:00\N{EN DASH}15:30"), (manager, "22:00\N{EN DASH}23:30")):
        # In the caller's zone; someone without one of their own reads the office's.
        clash = book(client, caller, room["id"], "2031-12-10T15:00:00Z", "2031-12-10T16:00:00Z")
        assert clash.status_code == 409
        assert f"already booked Wed 10 Dec 2031, {shown}" in clash.json()["error"]["message"]


# --- a booking is for a time to come -------------------------------------------------------


def test_a_booking_whose_start_has_passed_is_refused(client, staff, manager):
    """QA's case: a room booked for a week ago was approved at once; now it is refused,
    saying when the start was, and nothing is booked or announced."""
    room = make_resource(client, manager, name="Room P", resource_type="room")
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    for start, end in (
        (now - timedelta(days=7), now - timedelta(days=7) + timedelta(hours=2)),
        (now - timedelta(minutes=5), now + timedelta(hours=1)),  # its end still to come
    ):
        refused = book(client, staff, room["id"], start.isoformat(), end.isoformat())
        error = assert_error(refused, 422, "start")
        assert error["message"] == (
            f"start: {format_moment(start)} has passed; a booking is for a time to come"
        )
    listed = client.get(
        "/api/v1/bookings", params={"resource_id": room["id"]}, headers=staff.headers
    )
    assert listed.json()["total"] == 0
    soon = now + timedelta(minutes=10)
    booked = book(
        client, staff, room["id"], soon.isoformat(), (soon + timedelta(hours=1)).isoformat()
    )
    assert booked.status_code == 201, booked.text
    assert booked.json()["status"] == "approved"


def test_bookings_follow_their_event_only_into_time_to_come(client, session, staff, manager):
    """A booking over stays as it was; one under way keeps its start and its end follows the
    event's; one to come follows it, but never into the past: that refuses the event's move."""
    now = datetime.now(UTC).replace(microsecond=0)
    hour = timedelta(hours=1)
    event = create_event(
        client,
        staff,
        {
            "title": "Field day",
            "event_type": "field_visit",
            "start": (now - hour).isoformat(),
            "end": (now + 2 * hour).isoformat(),
        },
    )
    caller = Principal(staff.user_id, frozenset({Role.STAFF}))

    def booked_beforehand(name: str, start: datetime, end: datetime) -> str:
        """Booked the day before it started (as a load of past records does)."""
        resource = make_resource(client, manager, name=name)
        data = BookingCreate(
            resource_id=uuid.UUID(resource["id"]),
            start=start,
            end=end,
            event_id=uuid.UUID(event["id"]),
        )
        booking = create_booking(session, data, caller, now=start - timedelta(days=1))
        session.commit()
        return str(booking.id)

    over = booked_beforehand("Bus 1", now - 3 * hour, now - 2 * hour)
    under_way = booked_beforehand("Van 8", now - hour, now + 2 * hour)
    room = make_resource(client, manager, name="Room D", resource_type="room")
    to_come = book(
        client,
        staff,
        room["id"],
        (now + hour).isoformat(),
        (now + 2 * hour).isoformat(),
        event_id=event["id"],
    ).json()["id"]

    def times(booking_id: str) -> tuple[datetime, datetime]:
        read = client.get(f"/api/v1/bookings/{booking_id}", headers=staff.headers).json()
        return datetime.fromisoformat(read["start"]), datetime.fromisoformat(read["end"])

    def move(body: dict[str, str], version: int):
        return client.patch(
            f"/api/v1/events/{event['id']}",
            json=body,
            headers={**staff.headers, "If-Match": f'"{version}"'},
        )

    # The event runs an hour longer: the van in use keeps its start, its end follows.
    longer = move({"end": (now + 3 * hour).isoformat()}, 1)
    assert longer.status_code == 200, longer.text
    assert times(under_way) == (now - hour, now + 3 * hour)
    assert times(to_come) == (now + hour, now + 3 * hour)
    assert times(over) == (now - 3 * hour, now - 2 * hour)

    # Two hours earlier: the room would start an hour ago; the move is refused, in words.
    earlier = move({"start": (now - 3 * hour).isoformat()}, 2)
    error = assert_error(earlier, 422, "start")
    assert error["message"] == (
        f"start: The Room D booked for this event cannot move with it: "
        f"{format_moment(now - hour)} has passed; a booking is for a time to come"
    )
    assert times(to_come) == (now + hour, now + 3 * hour)
    assert times(under_way) == (now - hour, now + 3 * hour)

    # All an hour later: the room follows; the van in use keeps its start, its end follows.
    later = move({"start": now.isoformat()}, 2)
    assert later.status_code == 200, later.text
    assert times(to_come) == (now + 2 * hour, now + 4 * hour)
    assert times(under_way) == (now - hour, now + 4 * hour)
    assert times(over) == (now - 3 * hour, now - 2 * hour)
