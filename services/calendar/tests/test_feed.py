"""The window feed (DOMAIN.md entry format), its bounded index-backed queries, and ICS."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import text
from sqlalchemy.dialects import postgresql

from calendar_service.calendar_events.service import window_events_statement, window_occurrences
from calendar_service.feed.service import (
    MODULE_EVENTS,
    SERIES,
    feed_entries,
    written_entries_statement,
)
from calendar_service.window import TimeWindow
from obcms_platform.feed import Entry
from obcms_platform.testing.service_probes import recorded_statements, refused_feed

from .helpers import change_occurrence

MANILA = ZoneInfo("Asia/Manila")


def post(client, path, caller, body):
    response = client.post(path, json=body, headers=caller.headers)
    assert response.status_code in (200, 201), response.text
    return response.json()


def get_feed(client, caller, start, end, **params):
    response = client.get(
        "/api/v1/feed", params={"start": start, "end": end, **params}, headers=caller.headers
    )
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def populated(client, staff, manager):
    """One of everything in December 2037."""
    single = post(
        client,
        "/api/v1/events",
        staff,
        {
            "title": "MANA validation workshop",
            "event_type": "workshop",
            "start": "2037-12-10T09:00:00+08:00",
            "end": "2037-12-10T17:00:00+08:00",
            "venue": "Marawi",
        },
    )
    series = post(
        client,
        "/api/v1/events",
        staff,
        {
            "title": "Monday briefing",
            "event_type": "briefing",
            "start": "2037-11-30T08:00:00+08:00",
            "end": "2037-11-30T08:30:00+08:00",
            "recurrence": {"freq": "weekly"},
        },
    )
    client.delete(f"/api/v1/events/{series['id']}/occurrences/20371214", headers=staff.headers)
    holiday = post(
        client,
        "/api/v1/events",
        staff,
        {
            "title": "Rizal Day",
            "event_type": "other",
            "all_day": True,
            "start": "2037-12-30",
            "end": "2037-12-30",
        },
    )
    approved_leave = post(
        client,
        "/api/v1/leaves",
        staff,
        {"leave_type": "vacation", "start_date": "2037-12-21", "end_date": "2037-12-23"},
    )
    post(client, f"/api/v1/leaves/{approved_leave['id']}/approve", manager, {})
    pending_leave = post(
        client,
        "/api/v1/leaves",
        staff,
        {"leave_type": "sick", "start_date": "2037-12-03", "end_date": "2037-12-03"},
    )
    rejected_leave = post(
        client,
        "/api/v1/leaves",
        staff,
        {"leave_type": "emergency", "start_date": "2037-12-04", "end_date": "2037-12-04"},
    )
    post(client, f"/api/v1/leaves/{rejected_leave['id']}/reject", manager, {"reason": "Audit"})
    van = post(client, "/api/v1/resources", manager, {"name": "Van 1", "resource_type": "vehicle"})
    room = post(
        client,
        "/api/v1/resources",
        manager,
        {"name": "Room A", "resource_type": "room", "booking_requires_approval": True},
    )
    van_booking = post(
        client,
        "/api/v1/bookings",
        staff,
        {"resource_id": van["id"], "start": "2037-12-10T07:00:00", "end": "2037-12-10T18:00:00"},
    )
    room_booking = post(
        client,
        "/api/v1/bookings",
        staff,
        {"resource_id": room["id"], "start": "2037-12-11T13:00:00", "end": "2037-12-11T15:00:00"},
    )
    cancelled = post(
        client,
        "/api/v1/bookings",
        staff,
        {"resource_id": van["id"], "start": "2037-12-12T07:00:00", "end": "2037-12-12T08:00:00"},
    )
    post(client, f"/api/v1/bookings/{cancelled['id']}/cancel", staff, {})
    return {
        "single": single,
        "series": series,
        "holiday": holiday,
        "approved_leave": approved_leave,
        "pending_leave": pending_leave,
        "van_booking": van_booking,
        "room_booking": room_booking,
    }


def test_feed_entries_in_the_domain_format(client, staff, populated):
    feed = get_feed(client, staff, "2037-12-01", "2038-01-01")
    assert feed["modules"] == ["coordination", "resources", "staff"]
    by_id = {entry["id"]: entry for entry in feed["events"]}
    assert len(by_id) == len(feed["events"])  # no two entries share an id

    single = by_id[f"coordination-event-{populated['single']['id']}"]
    assert single == {
        "id": f"coordination-event-{populated['single']['id']}",
        "title": "MANA validation workshop",
        "start": "2037-12-10T09:00:00+08:00",
        "end": "2037-12-10T17:00:00+08:00",
        "allDay": False,
        "backgroundColor": "#2563eb",
        "borderColor": "#2563eb",
        "textColor": "#f9fafb",
        "location": "Marawi",  # where, for calendar clients (ICS LOCATION)
        "extendedProps": {
            "module": "coordination",
            "category": "event",
            "objectId": populated["single"]["id"],
            "status": "planned",
            "url": f"/oobc-management/calendar/events/{populated['single']['id']}/",
            "eventType": "workshop",
            "venue": "Marawi",
            "ownerIds": [str(staff.user_id)],
            "peopleIds": [str(staff.user_id)],
            "version": 1,
            "apiUrl": f"/api/v1/events/{populated['single']['id']}",
        },
    }

    series_id = populated["series"]["id"]
    mondays = sorted(key for key in by_id if key.startswith(f"coordination-event-{series_id}-"))
    # Every Monday of December except the cancelled 14th.
    assert [key.rsplit("-", 1)[1] for key in mondays] == ["20371207", "20371221", "20371228"]
    assert by_id[mondays[0]]["start"] == "2037-12-07T08:00:00+08:00"
    assert by_id[mondays[0]]["extendedProps"]["occurrenceDate"] == "20371207"

    holiday = by_id[f"coordination-event-{populated['holiday']['id']}"]
    assert (holiday["start"], holiday["end"], holiday["allDay"]) == (
        "2037-12-30",
        "2037-12-31",
        True,
    )

    leave = by_id[f"staff-leave-{populated['approved_leave']['id']}"]
    assert (leave["start"], leave["end"], leave["allDay"]) == ("2037-12-21", "2037-12-24", True)
    assert leave["backgroundColor"] == "#7c3aed"  # the staff module's
    assert leave["extendedProps"]["module"] == "staff"
    assert leave["extendedProps"]["category"] == "leave"
    assert leave["extendedProps"]["status"] == "approved"
    assert by_id[f"staff-leave-{populated['pending_leave']['id']}"]["backgroundColor"] == "#7c3aed"
    assert not [key for key in by_id if key.startswith("staff-leave-")][2:]  # rejected: not shown

    van = by_id[f"resources-booking-{populated['van_booking']['id']}"]
    assert van["backgroundColor"] == "#be185d"  # the resources module's
    assert van["start"] == "2037-12-10T07:00:00+08:00"
    assert van["extendedProps"]["module"] == "resources"
    assert van["extendedProps"]["status"] == "approved"
    room = by_id[f"resources-booking-{populated['room_booking']['id']}"]
    assert room["backgroundColor"] == "#be185d"  # pending too: status is no colour
    assert len([key for key in by_id if key.startswith("resources-booking-")]) == 2  # not cancelled

    assert len(feed["events"]) == 1 + 3 + 1 + 2 + 2


def test_feed_modules_and_window_bounds(client, staff, populated):
    only_staff = get_feed(client, staff, "2037-12-01", "2038-01-01", modules="staff,planning")
    assert {entry["extendedProps"]["module"] for entry in only_staff["events"]} == {"staff"}
    # A window touching only the afternoon of Dec 10: the workshop and the van booking.
    narrow = get_feed(client, staff, "2037-12-10T12:00:00+08:00", "2037-12-10T13:00:00+08:00")
    assert sorted(entry["extendedProps"]["category"] for entry in narrow["events"]) == [
        "booking",
        "event",
    ]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "2037-12-01", "end": "2037-12-01"}, "end"),
        ({"start": "2037-12-02", "end": "2037-12-01"}, "end"),
        ({"start": "2037-01-01", "end": "2038-03-01"}, "end"),
        ({"start": "2037-12-01"}, "end"),
        ({"end": "2037-12-01"}, "start"),
        ({"start": "yesterday", "end": "2037-12-01"}, "start"),
        ({"start": "2037-12-01", "end": "3000-01-01"}, "end"),
        ({"start": "2037-12-01", "end": "2037-12-31", "modules": "staff,parties"}, "modules"),
    ],
)
def test_bad_windows_are_422(shared_client, staff, params, field):
    assert refused_feed(shared_client, staff, **params)["field"] == field


def test_default_window_is_this_month_plus_minus_one(shared_client, staff):
    feed = shared_client.get("/api/v1/feed", headers=staff.headers).json()
    start = datetime.fromisoformat(feed["start"]).astimezone(MANILA)
    end = datetime.fromisoformat(feed["end"]).astimezone(MANILA)
    today = datetime.now(MANILA).date()
    assert start.day == 1
    assert start.date() < today.replace(day=1) <= today < end.date()
    assert 85 <= (end - start).days <= 93


def test_ics_round_trip_with_stable_uids(client, staff, populated):
    params = {"start": "2037-12-01", "end": "2038-01-01"}
    first = client.get("/api/v1/events.ics", params=params, headers=staff.headers)
    assert first.status_code == 200
    assert first.headers["content-type"].startswith("text/calendar")
    second = client.get("/api/v1/events.ics", params=params, headers=staff.headers)

    def vevents(body: bytes):
        return list(Calendar.from_ical(body).walk("VEVENT"))

    events = vevents(first.content)
    uids = [str(component["UID"]) for component in events]
    assert uids == [str(component["UID"]) for component in vevents(second.content)]
    assert len(set(uids)) == len(uids) == 1 + 3 + 1
    series_id = populated["series"]["id"]
    assert f"coordination-event-{series_id}-20371207@obcms" in uids
    by_uid = {str(component["UID"]): component for component in events}
    workshop = by_uid[f"coordination-event-{populated['single']['id']}@obcms"]
    assert str(workshop["SUMMARY"]) == "MANA validation workshop"
    assert "Module: coordination" in str(workshop["DESCRIPTION"])
    assert workshop["DTSTART"].dt == datetime(2037, 12, 10, 1, tzinfo=UTC)
    assert workshop["DTEND"].dt == datetime(2037, 12, 10, 9, tzinfo=UTC)
    holiday = by_uid[f"coordination-event-{populated['holiday']['id']}@obcms"]
    assert holiday["DTSTART"].dt == date(2037, 12, 30)
    assert holiday["DTEND"].dt == date(2037, 12, 31)

    everything = client.get("/api/v1/feed.ics", params=params, headers=staff.headers)
    modules = {
        str(component["DESCRIPTION"]).splitlines()[0] for component in vevents(everything.content)
    }
    assert modules == {"Module: coordination", "Module: staff", "Module: resources"}
    assert (
        client.get(
            "/api/v1/events.ics", params={"start": "2037-12-01"}, headers=staff.headers
        ).status_code
        == 422
    )


BULK_EVENTS = """
INSERT INTO events (id, title, description, event_type, status, start, "end", all_day, venue,
                    participant_ids, timezone, recurrence, span_end, version, created_at,
                    updated_at)
SELECT gen_random_uuid(), 'Event ' || g, '', 'meeting', 'planned', s, s + interval '1 hour',
       false, '', '{}', 'Asia/Manila', NULL, s + interval '1 hour', 1, now(), now()
FROM generate_series(1, :n) AS g,
     LATERAL (SELECT timestamptz '2020-01-01 09:00+08' + g * interval '5 hours') AS t(s)
"""
BULK_SERIES = """
INSERT INTO events (id, title, description, event_type, status, start, "end", all_day, venue,
                    participant_ids, timezone, recurrence, span_end, version, created_at,
                    updated_at)
SELECT gen_random_uuid(), 'Series ' || g, '', 'meeting', 'planned', s, s + interval '1 hour',
       false, '', '{}', 'Asia/Manila', CAST(:rule AS jsonb), CAST(:span_end AS timestamptz), 1,
       now(), now()
FROM generate_series(1, :n) AS g,
     LATERAL (SELECT timestamptz '2020-01-06 07:00+08' + g * interval '1 day') AS t(s)
"""


def test_one_month_window_among_10000_events_is_exact_and_index_backed(client, session, staff):
    session.execute(text(BULK_EVENTS), {"n": 12_000})
    # 10 unbounded weekly series since 2020 and 20 weekly series that ended in 2021.
    session.execute(
        text(BULK_SERIES), {"n": 10, "rule": '{"freq": "weekly", "interval": 1}', "span_end": None}
    )
    session.execute(
        text(BULK_SERIES),
        {
            "n": 20,
            "rule": '{"freq": "weekly", "interval": 1, "until": "2021-06-30"}',
            "span_end": "2021-07-01T00:00:00+08:00",
        },
    )
    session.commit()
    session.execute(text("ANALYZE events"))
    session.commit()

    start = datetime(2024, 3, 1, tzinfo=MANILA)
    end = datetime(2024, 4, 1, tzinfo=MANILA)
    engine = client.app.state.database.engine
    with recorded_statements(engine) as statements:
        feed = get_feed(client, staff, start.isoformat(), end.isoformat(), modules="coordination")

    # The expected single events, independently: every 5 hours from 2020-01-01 09:00 +08.
    origin = datetime(2020, 1, 1, 9, tzinfo=MANILA)
    expected_singles = {
        g
        for g in range(1, 12_001)
        if start - timedelta(hours=1) < origin + timedelta(hours=5 * g) < end
    }
    singles = [e for e in feed["events"] if e["title"].startswith("Event ")]
    assert {int(e["title"].split()[1]) for e in singles} == expected_singles
    # Each unbounded weekly series has 4 or 5 occurrences in March 2024; ended ones none.
    occurrences = [e for e in feed["events"] if e["title"].startswith("Series ")]
    per_series: dict[str, int] = {}
    for entry in occurrences:
        per_series[entry["title"]] = per_series.get(entry["title"], 0) + 1
    assert len(per_series) == 10
    assert set(per_series.values()) <= {4, 5}
    march = [date(2024, 3, 1) + timedelta(days=d) for d in range(31)]
    series_weekdays = [(date(2020, 1, 6) + timedelta(days=g)).weekday() for g in range(1, 11)]
    assert sum(per_series.values()) == sum(
        1 for weekday in series_weekdays for day in march if day.weekday() == weekday
    )
    assert len(statements) <= 3  # events, overrides (and nothing per event)

    compiled = window_events_statement(TimeWindow(start, end)).compile(
        dialect=postgresql.psycopg.dialect()
    )
    with engine.connect() as connection:
        plan = "\n".join(
            row[0]
            for row in connection.exec_driver_sql("EXPLAIN " + str(compiled), compiled.params)
        )
    assert "ix_events__span" in plan
    assert "Seq Scan on events" not in plan


def test_an_occurrence_moved_outside_its_series_span_shows_in_its_new_window(client, staff):
    series = post(
        client,
        "/api/v1/events",
        staff,
        {
            "title": "Three-day training",
            "event_type": "orientation",
            "start": "2037-12-01T09:00:00+08:00",
            "end": "2037-12-01T12:00:00+08:00",
            "recurrence": {"freq": "daily", "count": 3},
        },
    )
    moved = change_occurrence(
        client,
        staff,
        series["id"],
        "20371203",
        start="2038-01-15T09:00:00+08:00",
        end="2038-01-15T12:00:00+08:00",
    )
    assert moved.status_code == 200, moved.text
    december = get_feed(client, staff, "2037-12-01", "2038-01-01", modules="coordination")
    assert [e["id"][-8:] for e in december["events"]] == ["20371201", "20371202"]
    january = get_feed(client, staff, "2038-01-01", "2038-02-01", modules="coordination")
    assert [(e["id"][-8:], e["start"]) for e in january["events"]] == [
        ("20371203", "2038-01-15T09:00:00+08:00")
    ]
    assert january["events"][0]["extendedProps"]["moved"] is True


def test_weekly_series_in_a_dst_zone_stays_at_local_time_in_the_feed(client, staff):
    post(
        client,
        "/api/v1/events",
        staff,
        {
            "title": "New York sync",
            "event_type": "meeting",
            "start": "2037-10-26T09:00:00",  # a Monday, EDT; local time of the zone below
            "end": "2037-10-26T09:30:00",
            "timezone": "America/New_York",
            "recurrence": {"freq": "weekly", "until": "2037-11-16"},
        },
    )
    feed = get_feed(client, staff, "2037-10-01", "2037-12-31", modules="coordination")
    # DST ends on 2037-11-01: same wall-clock time, different offset.
    assert [entry["start"] for entry in feed["events"]] == [
        "2037-10-26T09:00:00-04:00",
        "2037-11-02T09:00:00-05:00",
        "2037-11-09T09:00:00-05:00",
        "2037-11-16T09:00:00-05:00",
    ]


def test_feed_entries_say_who_may_change_them_and_whose_they_are(client, staff, manager):
    colleague, guest = str(uuid.uuid4()), str(uuid.uuid4())
    series = post(
        client,
        "/api/v1/events",
        manager,
        {
            "title": "Planning",
            "event_type": "planning",
            "start": "2038-02-01T09:00:00+08:00",
            "end": "2038-02-01T10:00:00+08:00",
            "organizer_id": str(staff.user_id),
            "participant_ids": [colleague, str(staff.user_id), guest],
            "recurrence": {"freq": "weekly", "count": 2},
        },
    )
    moved = change_occurrence(
        client, staff, series["id"], "20380208", start="2038-02-09T09:00:00+08:00"
    )
    assert moved.status_code == 200, moved.text
    leave = post(
        client,
        "/api/v1/leaves",
        manager,
        {
            "user_id": str(staff.user_id),
            "leave_type": "sick",
            "start_date": "2038-02-03",
            "end_date": "2038-02-03",
        },
    )
    van = post(client, "/api/v1/resources", manager, {"name": "Van 9", "resource_type": "vehicle"})
    booking = post(
        client,
        "/api/v1/bookings",
        staff,
        {"resource_id": van["id"], "start": "2038-02-02T07:00:00", "end": "2038-02-02T18:00:00"},
    )

    feed = get_feed(client, staff, "2038-02-01", "2038-03-01")

    props = {entry["id"]: entry["extendedProps"] for entry in feed["events"]}
    owners = sorted([str(staff.user_id), str(manager.user_id)])  # organizer, creator
    first = props[f"coordination-event-{series['id']}-20380201"]
    moved_one = props[f"coordination-event-{series['id']}-20380208"]
    for occurrence in (first, moved_one):
        assert occurrence["ownerIds"] == owners
        assert occurrence["peopleIds"] == sorted([*owners, colleague, guest])
        assert occurrence["recurring"] is True
        assert occurrence["apiUrl"] == f"/api/v1/events/{series['id']}"
        assert occurrence["version"] == 2  # the moved occurrence changed the series
    assert (first["occurrenceDate"], moved_one["moved"]) == ("20380201", True)
    on_leave = props[f"staff-leave-{leave['id']}"]
    assert on_leave["ownerIds"] == owners  # the person on leave and who filed it
    assert on_leave["peopleIds"] == [str(staff.user_id)]
    assert on_leave["version"] == 1
    assert "apiUrl" not in on_leave
    booked = props[f"resources-booking-{booking['id']}"]
    assert (booked["ownerIds"], booked["peopleIds"]) == ([str(staff.user_id)], [str(staff.user_id)])
    assert booked["version"] == 1
    assert "apiUrl" not in booked
    assert "recurring" not in booked


def test_entries_written_by_postgresql_are_those_python_builds(
    client, session, staff, manager, populated
):
    # Every kind: timed and all-day single events (one in a zone whose offset is negative and
    # changes in the window, one with participants and an organizer), series occurrences,
    # leave, bookings with and without notes; text with quotes, accents, control characters.
    organizer, participant = str(uuid.uuid4()), str(uuid.uuid4())
    for index, day in enumerate(("2037-10-30", "2037-11-02", "2037-12-15")):
        post(
            client,
            "/api/v1/events",
            manager,  # may name another organizer
            {
                "title": f'New York "call" {index}',
                "event_type": "meeting",
                "start": f"{day}T21:30:00",
                "end": f"{day}T23:00:00",
                "timezone": "America/New_York",
                "description": "Tab\there\nand a “curly” ñ",
                "organizer_id": organizer if index == 0 else None,
                "participant_ids": [participant, str(staff.user_id)],
            },
        )
    post(
        client,
        "/api/v1/events",
        staff,
        {
            "title": "Two-day retreat \\ backslash",
            "event_type": "other",
            "all_day": True,
            "start": "2037-11-27",
            "end": "2037-11-28",
            "timezone": "Asia/Tokyo",
            "venue": 'Hall "B"',
        },
    )
    resource = post(
        client, "/api/v1/resources", manager, {"name": 'Room "Ñ"', "resource_type": "room"}
    )
    post(
        client,
        "/api/v1/bookings",
        staff,
        {
            "resource_id": resource["id"],
            "start": "2037-12-28T13:15:00",
            "end": "2037-12-28T15:00:00",
            "notes": 'Bring the "projector"\n',
        },
    )

    window = TimeWindow(datetime(2037, 10, 1, tzinfo=MANILA), datetime(2038, 1, 1, tzinfo=MANILA))
    modules = ["coordination", "staff", "resources"]
    by_python = sorted(feed_entries(session, window, modules), key=Entry.sort_key)
    served = get_feed(client, staff, "2037-10-01", "2038-01-01")["events"]
    kinds = {entry["extendedProps"]["category"] for entry in served}
    assert kinds == {"event", "leave", "booking"}
    # The fixture's single, 4 Mondays (one cancelled), holiday, 2 leaves, 2 bookings; ours.
    assert len(served) == len(by_python) == 1 + 4 + 1 + 2 + 2 + 3 + 1 + 1
    for entry, expected in zip(served, by_python, strict=True):
        assert entry == expected.to_feed()


def test_postgresql_writes_every_single_event_and_python_expands_only_series(
    client, session, staff, populated
):
    # A single event's recurrence is stored as JSON null, not SQL NULL: were single events
    # told by ``IS NULL``, PostgreSQL would write none of them and Python would build them all
    # (the same feed, at several times the cost).
    window = TimeWindow(datetime(2037, 12, 1, tzinfo=MANILA), datetime(2038, 1, 1, tzinfo=MANILA))
    parameters = {
        "first_day": date(2037, 12, 1),
        "last_day": date(2037, 12, 31),
        "window_start": window.start,
        "window_end": window.end,
    }
    written = session.execute(written_entries_statement((MODULE_EVENTS,)), parameters).all()
    expanded = window_occurrences(session, window, SERIES)

    assert {entry_id for _, entry_id, _ in written} == {
        f"coordination-event-{populated['single']['id']}",
        f"coordination-event-{populated['holiday']['id']}",
    }
    assert {item.event.id for item in expanded} == {uuid.UUID(populated["series"]["id"])}
