"""Events over HTTP: CRUD, recurrence, occurrence overrides, outbox, auth and validation."""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text

from calendar_service.db import bus

from .helpers import change_occurrence, create_event

MANILA = ZoneInfo("Asia/Manila")


# A valid create body; each test changes what it is about.
MEETING = {
    "title": "Meeting",
    "event_type": "meeting",
    "start": "2026-12-01T09:00:00+08:00",
    "end": "2026-12-01T10:00:00+08:00",
}


def make_event(client, caller, **overrides):
    body = {**MEETING, "title": "Coordination meeting", "venue": "Cotabato City", **overrides}
    return create_event(client, caller, body)


def make_series(client, caller, recurrence):
    """A one-hour series from Monday 2026-12-07, 09:00."""
    return make_event(
        client,
        caller,
        start="2026-12-07T09:00:00+08:00",
        end="2026-12-07T10:00:00+08:00",
        recurrence=recurrence,
    )


def refused_create(client, caller, **changes):
    """The error of a create with `changes` to a valid body (which must be a 422)."""
    response = client.post("/api/v1/events", json={**MEETING, **changes}, headers=caller.headers)
    assert response.status_code == 422, response.text
    return response.json()["error"]


def occurrences(client, caller, event_id, start, end):
    response = client.get(
        f"/api/v1/events/{event_id}/occurrences",
        params={"start": start, "end": end},
        headers=caller.headers,
    )
    assert response.status_code == 200, response.text
    return response.json()


def outbox_rows(session):
    return session.execute(
        select(bus.outbox.c.event_type, bus.outbox.c.payload).order_by(bus.outbox.c.created_at)
    ).all()


def test_create_read_update_delete_with_outbox_events(client, session, staff):
    participants = [str(uuid.uuid4()), str(uuid.uuid4())]
    event = make_event(client, staff, participant_ids=participants, description="Agenda")
    assert event["status"] == "planned"
    assert event["organizer_id"] == str(staff.user_id)
    assert event["participant_ids"] == participants
    assert event["timezone"] == "Asia/Manila"
    assert event["recurrence"] is None

    got = client.get(f"/api/v1/events/{event['id']}", headers=staff.headers)
    assert got.status_code == 200
    assert got.headers["ETag"] == '"1"'

    patched = client.patch(
        f"/api/v1/events/{event['id']}",
        json={"status": "confirmed", "title": "Coordination meeting (moved)"},
        headers={**staff.headers, "If-Match": '"1"'},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["status"] == "confirmed"
    stale = client.patch(
        f"/api/v1/events/{event['id']}",
        json={"status": "completed"},
        headers={**staff.headers, "If-Match": '"1"'},
    )
    assert stale.status_code == 412

    assert client.delete(f"/api/v1/events/{event['id']}", headers=staff.headers).status_code == 204
    assert client.get(f"/api/v1/events/{event['id']}", headers=staff.headers).status_code == 404

    rows = outbox_rows(session)
    assert [row.event_type for row in rows] == ["event.created", "event.updated", "event.deleted"]
    created = rows[0].payload
    assert created["producer"] == "calendar"
    assert created["subject_id"] == event["id"]
    assert created["data"]["title"] == "Coordination meeting"
    assert created["data"]["event_type"] == "meeting"
    assert created["data"]["start"] == "2026-12-01T09:00:00+08:00"
    assert created["data"]["end"] == "2026-12-01T10:00:00+08:00"
    assert created["data"]["status"] == "planned"
    assert rows[1].payload["data"]["status"] == "confirmed"
    assert rows[2].payload["version"] > rows[1].payload["version"]


def test_a_refused_change_writes_no_outbox_row(client, session, staff, other_staff):
    event = make_event(client, staff)
    response = client.patch(
        f"/api/v1/events/{event['id']}", json={"title": "Hijack"}, headers=other_staff.headers
    )
    assert response.status_code == 403
    assert [row.event_type for row in outbox_rows(session)] == ["event.created"]


def test_manager_may_change_anyones_event(client, staff, manager):
    event = make_event(client, staff)
    response = client.patch(
        f"/api/v1/events/{event['id']}", json={"status": "cancelled"}, headers=manager.headers
    )
    assert response.status_code == 200


def test_list_is_paginated_with_total_and_filters(client, staff):
    for day in range(1, 6):
        make_event(
            client,
            staff,
            title=f"Workshop {day}",
            event_type="workshop" if day % 2 else "forum",
            start=f"2026-12-0{day}T09:00:00+08:00",
            end=f"2026-12-0{day}T17:00:00+08:00",
        )
    page = client.get("/api/v1/events", params={"limit": 2}, headers=staff.headers).json()
    assert page["total"] == 5
    assert [item["title"] for item in page["items"]] == ["Workshop 1", "Workshop 2"]
    workshops = client.get(
        "/api/v1/events", params={"event_type": "workshop"}, headers=staff.headers
    ).json()
    assert workshops["total"] == 3


def test_the_recurring_filter_tells_series_from_single_events(client, session, staff):
    make_event(client, staff, title="Budget hearing")
    make_series(client, staff, {"freq": "weekly", "interval": 1, "count": 4})

    def titles(recurring: str) -> list[str]:
        page = client.get(
            "/api/v1/events", params={"recurring": recurring}, headers=staff.headers
        ).json()
        return [item["title"] for item in page["items"]]

    assert titles("false") == ["Budget hearing"]
    assert titles("true") == ["Coordination meeting"]
    # Stored as SQL NULL: the database's own single-event check sees it.
    assert session.scalar(text("SELECT count(*) FROM events WHERE recurrence IS NULL")) == 1


def test_recurring_series_with_moved_and_cancelled_occurrences(client, session, staff):
    series = make_event(
        client,
        staff,
        title="Weekly staff meeting",
        start="2026-12-07T09:00:00+08:00",  # Monday
        end="2026-12-07T10:00:00+08:00",
        recurrence={"freq": "weekly", "by_weekday": [1, 3], "exdates": ["2026-12-09"]},
    )
    assert series["recurrence"]["by_weekday"] == [1, 3]
    event_id = series["id"]
    before = occurrences(client, staff, event_id, "2026-12-07", "2026-12-19")
    assert [o["occurrence_date"] for o in before] == ["2026-12-07", "2026-12-14", "2026-12-16"]

    # Move Monday the 14th to Tuesday the 15th, 14:00, in another room.
    moved = change_occurrence(
        client,
        staff,
        event_id,
        "20261214",
        start="2026-12-15T14:00:00+08:00",
        end="2026-12-15T15:30:00+08:00",
        venue="Room 2",
    )
    assert moved.status_code == 200, moved.text
    # Cancel Wednesday the 16th.
    cancelled = client.delete(
        f"/api/v1/events/{event_id}/occurrences/20261216", headers=staff.headers
    )
    assert cancelled.status_code == 200
    assert cancelled.json()["cancelled"] is True

    after = occurrences(client, staff, event_id, "2026-12-07", "2026-12-19")
    assert [(o["occurrence_date"], o["start"], o["moved"], o["venue"]) for o in after] == [
        ("2026-12-07", "2026-12-07T01:00:00Z", False, "Cotabato City"),
        ("2026-12-14", "2026-12-15T06:00:00Z", True, "Room 2"),
    ]
    # The series itself is untouched.
    again = client.get(f"/api/v1/events/{event_id}", headers=staff.headers).json()
    assert again["start"] == series["start"]
    assert again["recurrence"] == series["recurrence"]
    assert {o["occurrence_date"] for o in again["overrides"]} == {"2026-12-14", "2026-12-16"}

    # A moved occurrence shows in a window that only its new time overlaps.
    only_new_time = occurrences(
        client, staff, event_id, "2026-12-15T12:00:00+08:00", "2026-12-15T18:00:00+08:00"
    )
    assert [o["occurrence_date"] for o in only_new_time] == ["2026-12-14"]

    # Undo the cancellation: the occurrence is back as the series says.
    restored = client.delete(
        f"/api/v1/events/{event_id}/occurrences/20261216/override", headers=staff.headers
    )
    assert restored.status_code == 200
    dates = [
        o["occurrence_date"]
        for o in occurrences(client, staff, event_id, "2026-12-16", "2026-12-17")
    ]
    assert dates == ["2026-12-16"]

    types = [row.event_type for row in outbox_rows(session)]
    assert types == ["event.created", "event.updated", "event.updated", "event.updated"]


def test_a_retitled_occurrence_follows_its_series_and_a_moved_one_stays(client, staff):
    series = make_event(
        client,
        staff,
        title="Weekly staff meeting",
        start="2026-12-07T09:00:00+08:00",  # Monday
        end="2026-12-07T10:00:00+08:00",
        recurrence={"freq": "weekly", "count": 3},
    )
    event_id = series["id"]
    renamed = change_occurrence(client, staff, event_id, "20261214", title="Year-end review")
    assert renamed.status_code == 200, renamed.text
    moved = change_occurrence(
        client,
        staff,
        event_id,
        "20261221",
        start="2026-12-22T14:00:00+08:00",
        end="2026-12-22T15:00:00+08:00",
    )
    assert moved.status_code == 200, moved.text
    version = client.get(f"/api/v1/events/{event_id}", headers=staff.headers).json()["version"]

    later = client.patch(
        f"/api/v1/events/{event_id}",
        json={"start": "2026-12-07T10:30:00+08:00", "end": "2026-12-07T11:30:00+08:00"},
        headers={**staff.headers, "If-Match": f'"{version}"'},
    )
    assert later.status_code == 200, later.text

    after = occurrences(client, staff, event_id, "2026-12-07", "2026-12-31")
    assert [(o["occurrence_date"], o["start"], o["title"]) for o in after] == [
        ("2026-12-07", "2026-12-07T02:30:00Z", "Weekly staff meeting"),
        # Renamed, not moved: at the series' new time with its own title.
        ("2026-12-14", "2026-12-14T02:30:00Z", "Year-end review"),
        # Moved on its own: where it was put.
        ("2026-12-21", "2026-12-22T06:00:00Z", "Weekly staff meeting"),
    ]


def test_a_time_the_clocks_skip_is_refused_naming_it(client, staff):
    """01:30 on the night London's clocks go forward does not exist: it read as "end: must
    be after start" for an hour-long meeting."""
    error = refused_create(
        client,
        staff,
        start="2026-03-29T01:30:00",
        end="2026-03-29T02:30:00",
        timezone="Europe/London",
    )
    assert error["field"] == "start"
    assert error["message"] == (
        "start: 01:30 on Sun 29 Mar 2026 does not exist in Europe/London (the clocks go "
        "forward then); choose another time"
    )
    # The hour after the jump is a time like any other.
    make_event(
        client,
        staff,
        start="2026-03-29T02:30:00",
        end="2026-03-29T03:30:00",
        timezone="Europe/London",
    )


def test_a_series_must_start_on_one_of_its_days(client, staff):
    """Started on a Wednesday, "every week on Tuesday" dropped the Wednesday meeting the
    event and its invitation announced; "the 5th 31st" never happened at all."""
    wednesday = {"start": "2026-12-09T08:00:00+08:00", "end": "2026-12-09T08:30:00+08:00"}
    error = refused_create(
        client, staff, **wednesday, recurrence={"freq": "weekly", "by_weekday": [2], "count": 4}
    )
    assert error["field"] == "recurrence.by_weekday"
    assert "starts on Wed 9 Dec 2026, a day its rule does not give" in error["message"]
    never = refused_create(
        client,
        staff,
        **wednesday,
        recurrence={"freq": "monthly", "by_monthday": [31], "by_setpos": [5]},
    )
    assert never["field"] == "recurrence"
    # Its days including the start, or a first occurrence deleted: a series.
    make_event(client, staff, **wednesday, recurrence={"freq": "weekly", "by_weekday": [2, 3]})
    make_event(
        client,
        staff,
        **wednesday,
        recurrence={"freq": "weekly", "count": 3, "exdates": ["2026-12-09"]},
    )
    # Moved to a day its rule does not give, the series is refused the same way.
    series = make_series(client, staff, {"freq": "weekly", "by_weekday": [1]})
    moved = client.patch(
        f"/api/v1/events/{series['id']}",
        json={"start": "2026-12-08T09:00:00+08:00"},
        headers={**staff.headers, "If-Match": f'"{series["version"]}"'},
    )
    assert moved.status_code == 422, moved.text
    assert moved.json()["error"]["field"] == "recurrence.by_weekday"


def test_occurrence_override_of_a_date_the_series_does_not_have(client, staff):
    series = make_series(client, staff, {"freq": "weekly"})
    response = client.delete(
        f"/api/v1/events/{series['id']}/occurrences/20261208", headers=staff.headers
    )
    assert response.status_code == 404
    bad_day = client.delete(
        f"/api/v1/events/{series['id']}/occurrences/2026-13-40", headers=staff.headers
    )
    assert bad_day.status_code == 422
    assert bad_day.json()["error"]["field"] == "day"
    single = make_event(client, staff)
    refused = client.delete(
        f"/api/v1/events/{single['id']}/occurrences/20261201", headers=staff.headers
    )
    assert refused.status_code == 409


def test_changing_the_series_drops_overrides_of_dates_it_no_longer_has(client, staff):
    series = make_series(client, staff, {"freq": "daily"})
    for day in ("20261208", "20261209"):
        client.delete(f"/api/v1/events/{series['id']}/occurrences/{day}", headers=staff.headers)
    patched = client.patch(
        f"/api/v1/events/{series['id']}",
        json={"recurrence": {"freq": "daily", "interval": 2}},
        headers=staff.headers,
    )
    assert patched.status_code == 200, patched.text
    # Dec 9 is still an occurrence (every 2nd day from the 7th); Dec 8 is not.
    assert [o["occurrence_date"] for o in patched.json()["overrides"]] == ["2026-12-09"]


def test_all_day_event_covers_local_days(client, staff):
    event = make_event(
        client,
        staff,
        all_day=True,
        start="2026-12-24T15:00:00+08:00",
        end="2026-12-24T15:00:00+08:00",
    )
    assert datetime.fromisoformat(event["start"]).astimezone(MANILA).isoformat() == (
        "2026-12-24T00:00:00+08:00"
    )
    assert datetime.fromisoformat(event["end"]).astimezone(MANILA).isoformat() == (
        "2026-12-25T00:00:00+08:00"
    )


def test_naive_times_are_local_times_of_the_event_zone(client, staff):
    event = make_event(
        client,
        staff,
        start="2026-07-01T09:00:00",
        end="2026-07-01T10:00:00",
        timezone="America/New_York",
    )
    assert event["start"] == "2026-07-01T13:00:00Z"


def test_requests_without_a_valid_token_get_401(shared_client):
    client = shared_client
    assert client.get("/api/v1/events").status_code == 401
    assert client.post("/api/v1/events", json={}).status_code == 401
    forged = {"Authorization": "Bearer not-a-token"}
    assert client.get("/api/v1/feed", headers=forged).status_code == 401
    assert client.get("/api/v1/events.ics").status_code == 401
    assert client.post(f"/api/v1/bookings/{uuid.uuid4()}/approve").status_code == 401
    assert client.get("/api/v1/leaves").status_code == 401


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": ""}, "title"),
        ({"event_type": "party"}, "event_type"),
        ({"status": "done"}, "status"),
        ({"start": "tomorrow"}, "start"),
        ({"end": "2026-12-01T08:00:00+08:00"}, "end"),
        ({"start": "2300-01-01T08:00:00+08:00"}, "start"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"participant_ids": ["nope"]}, "participant_ids[0]"),
        ({"recurrence": {"freq": "hourly"}}, "recurrence.freq"),
        ({"recurrence": {"freq": "daily", "interval": 0}}, "recurrence.interval"),
        ({"recurrence": {"freq": "weekly", "by_weekday": [0]}}, "recurrence.by_weekday[0]"),
        ({"recurrence": {"freq": "monthly", "by_monthday": [0]}}, "recurrence.by_monthday[0]"),
        ({"recurrence": {"freq": "weekly", "by_monthday": [3]}}, "recurrence.by_monthday"),
        (
            {"recurrence": {"freq": "daily", "count": 3, "until": "2027-01-01"}},
            "recurrence.until",
        ),
        ({"recurrence": {"freq": "daily", "until": "2026-01-01"}}, "recurrence.until"),
        ({"recurrence": {"freq": "daily", "count": 100000}}, "recurrence.count"),
        ({"recurrence": {"freq": "daily", "bogus": 1}}, "recurrence.bogus"),
        (
            {"recurrence": {"freq": "monthly", "by_weekday": [5], "by_setpos": [0]}},
            "recurrence.by_setpos[0]",
        ),
        (
            {"recurrence": {"freq": "monthly", "by_weekday": [5], "by_setpos": [367]}},
            "recurrence.by_setpos[0]",
        ),
        (
            {"recurrence": {"freq": "yearly", "by_weekday": [5], "by_setpos": [1, -367]}},
            "recurrence.by_setpos[1]",
        ),
        ({"title": "a\x00b"}, "title"),
    ],
)
def test_invalid_input_is_422_naming_the_field(shared_client, staff, changes, field):
    assert refused_create(shared_client, staff, **changes)["field"] == field


@pytest.mark.parametrize(
    ("recurrence", "says"),
    [
        ({"freq": "monthly", "by_setpos": [2]}, "needs by_weekday or by_monthday"),
        ({"freq": "weekly", "by_weekday": [2], "by_setpos": [2]}, "monthly or yearly"),
        ({"freq": "daily", "by_monthday": [2], "by_setpos": [1]}, "monthly or yearly"),
    ],
)
def test_setpos_only_picks_among_days_of_a_monthly_or_yearly_rule(
    shared_client, staff, recurrence, says
):
    error = refused_create(shared_client, staff, recurrence=recurrence)
    assert error["field"] == "recurrence.by_setpos"
    assert says in error["message"]


def test_patch_invalid_values_are_422(client, staff):
    event = make_event(client, staff)
    url = f"/api/v1/events/{event['id']}"
    response = client.patch(url, json={"title": None}, headers=staff.headers)
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "title"
    response = client.patch(url, json={"end": "2026-11-01T00:00:00Z"}, headers=staff.headers)
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "end"
    assert client.get("/api/v1/events/not-a-uuid", headers=staff.headers).status_code == 422
    nul = client.get("/api/v1/events", params={"q": "a\x00"}, headers=staff.headers)
    assert nul.status_code == 422
    assert nul.json()["error"]["field"] == "q"
    far = client.delete(f"/api/v1/events/{event['id']}/occurrences/99991231", headers=staff.headers)
    assert far.status_code == 422
    assert far.json()["error"]["field"] == "day"


def test_health_and_openapi(shared_client):
    client = shared_client
    assert client.get("/healthz").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert "/api/v1/events/{event_id}/occurrences/{day}" in paths
    assert "/api/v1/feed" in paths


def test_deleting_a_series_removes_its_overrides(client, session, staff):
    series = make_event(client, staff, recurrence={"freq": "daily", "count": 5})
    client.delete(f"/api/v1/events/{series['id']}/occurrences/20261202", headers=staff.headers)
    assert client.delete(f"/api/v1/events/{series['id']}", headers=staff.headers).status_code == 204
    assert session.scalar(text("SELECT count(*) FROM event_occurrences")) == 0


def test_moving_only_the_start_keeps_the_duration_and_search_finds_titles(client, staff):
    event = make_event(client, staff, title="Budget hearing prep")
    moved = client.patch(
        f"/api/v1/events/{event['id']}",
        json={"start": "2026-12-02T13:00:00+08:00"},
        headers=staff.headers,
    )
    assert moved.status_code == 200, moved.text
    assert (moved.json()["start"], moved.json()["end"]) == (
        "2026-12-02T05:00:00Z",
        "2026-12-02T06:00:00Z",
    )
    found = client.get("/api/v1/events", params={"q": "hearing"}, headers=staff.headers).json()
    assert [item["id"] for item in found["items"]] == [event["id"]]
    # Like every other list's `q`: each word, in any order, anywhere in the title.
    for q in ("PREP budget", "  hear  get "):
        found = client.get("/api/v1/events", params={"q": q}, headers=staff.headers).json()
        assert [item["id"] for item in found["items"]] == [event["id"]], q
    unmatched = client.get("/api/v1/events", params={"q": "budget review"}, headers=staff.headers)
    assert unmatched.json()["items"] == []
    assert (
        client.get("/api/v1/events", params={"q": "x%"}, headers=staff.headers).json()["total"] == 0
    )


def test_a_search_can_list_the_latest_events_first(client, staff):
    """The site search shows the most recent and coming events, not the oldest."""
    marker = uuid.uuid4().hex[:8]
    starts = ["2026-03-02T09:00:00+08:00", "2027-01-04T09:00:00+08:00", "2026-08-03T09:00:00+08:00"]
    made = [
        make_event(
            client, staff, title=f"Sync {marker}", start=start, end=start.replace("09:", "10:")
        )
        for start in starts
    ]

    def listed(**params: str) -> list[str]:
        found = client.get("/api/v1/events", params={"q": marker, **params}, headers=staff.headers)
        assert found.status_code == 200, found.text
        return [item["id"] for item in found.json()["items"]]

    assert listed() == [made[0]["id"], made[2]["id"], made[1]["id"]]
    assert listed(sort="-start") == [made[1]["id"], made[2]["id"], made[0]["id"]]
    assert (
        client.get("/api/v1/events", params={"sort": "newest"}, headers=staff.headers).status_code
        == 422
    )


def test_staff_cannot_make_someone_else_the_organizer(client, staff, other_staff, manager):
    body = {
        "title": "Meeting",
        "event_type": "meeting",
        "start": "2026-12-02T09:00:00+08:00",
        "end": "2026-12-02T10:00:00+08:00",
    }
    someone = {**body, "organizer_id": str(other_staff.user_id)}
    refused = client.post("/api/v1/events", json=someone, headers=staff.headers)
    assert refused.status_code == 403, refused.text
    yourself = client.post(
        "/api/v1/events", json={**body, "organizer_id": str(staff.user_id)}, headers=staff.headers
    )
    assert yourself.status_code == 201, yourself.text
    handed = client.patch(
        f"/api/v1/events/{yourself.json()['id']}",
        json={"organizer_id": str(other_staff.user_id)},
        headers=staff.headers,
    )
    assert handed.status_code == 403, handed.text
    assert client.post("/api/v1/events", json=someone, headers=manager.headers).status_code == 201


# --- BYSETPOS over HTTP ------------------------------------------------------------------


def test_last_friday_and_second_tuesday_series_list_their_occurrences(client, staff):
    last_friday = make_event(
        client,
        staff,
        title="Month-end review",
        start="2026-12-25T15:00:00+08:00",
        end="2026-12-25T16:00:00+08:00",
        recurrence={"freq": "monthly", "by_weekday": [5], "by_setpos": [-1]},
    )
    assert last_friday["recurrence"]["by_setpos"] == [-1]
    found = occurrences(client, staff, last_friday["id"], "2027-01-01", "2027-05-01")
    assert [o["occurrence_date"] for o in found] == [
        "2027-01-29",
        "2027-02-26",
        "2027-03-26",
        "2027-04-30",
    ]
    second_tuesday = make_event(
        client,
        staff,
        title="Partners' call",
        start="2027-01-12T09:00:00",
        end="2027-01-12T10:00:00",
        timezone="America/New_York",
        recurrence={"freq": "monthly", "by_weekday": [2], "by_setpos": [2]},
    )
    found = occurrences(client, staff, second_tuesday["id"], "2027-02-01", "2027-04-01")
    # 09:00 New York time before and after DST begins (2027-03-14).
    assert [o["start"] for o in found] == ["2027-02-09T14:00:00Z", "2027-03-09T14:00:00Z"]
    found = occurrences(client, staff, second_tuesday["id"], "2027-04-01", "2027-05-01")
    assert [o["start"] for o in found] == ["2027-04-13T13:00:00Z"]

    feed = client.get(
        "/api/v1/feed",
        params={"start": "2027-04-01", "end": "2027-05-01", "modules": "coordination"},
        headers=staff.headers,
    ).json()
    assert sorted((e["title"], e["start"]) for e in feed["events"]) == [
        ("Month-end review", "2027-04-30T15:00:00+08:00"),
        ("Partners' call", "2027-04-13T09:00:00-04:00"),
    ]
    # Moving one occurrence works by its date like any series'.
    moved = change_occurrence(
        client, staff, last_friday["id"], "20270430", start="2027-04-29T15:00:00+08:00"
    )
    assert moved.status_code == 200, moved.text
    not_one = change_occurrence(client, staff, last_friday["id"], "20270423", cancelled=True)
    assert not_one.status_code == 404


def test_a_series_stored_before_setpos_reads_and_changes(client, session, staff):
    """Rows written before BYSETPOS have no `by_setpos` key in their recurrence JSON."""
    event_id = uuid.uuid4()
    session.execute(
        text(
            'INSERT INTO events (id, title, description, event_type, status, start, "end",'
            " all_day, venue, organizer_id, participant_ids, timezone, recurrence, span_end,"
            " created_by, version, created_at, updated_at) VALUES (:id, 'Old weekly', '',"
            " 'meeting', 'planned', '2026-12-07T01:00:00Z', '2026-12-07T02:00:00Z', false, '',"
            " :me, '{}', 'Asia/Manila', CAST(:rule AS jsonb), NULL, :me, 1, now(), now())"
        ),
        {
            "id": event_id,
            "me": staff.user_id,
            "rule": '{"freq": "weekly", "interval": 1, "by_weekday": [], "by_monthday": [],'
            ' "count": null, "until": null, "exdates": []}',
        },
    )
    session.commit()
    read = client.get(f"/api/v1/events/{event_id}", headers=staff.headers)
    assert read.status_code == 200, read.text
    assert read.json()["recurrence"]["by_setpos"] == []
    patched = client.patch(
        f"/api/v1/events/{event_id}",
        json={"start": "2026-12-08T09:00:00+08:00"},
        headers=staff.headers,
    )
    assert patched.status_code == 200, patched.text
    dates = [
        o["occurrence_date"]
        for o in occurrences(client, staff, event_id, "2026-12-08", "2026-12-23")
    ]
    assert dates == ["2026-12-08", "2026-12-15", "2026-12-22"]


# --- If-Match on the occurrence routes --------------------------------------------------


def test_occurrence_routes_refuse_a_stale_if_match_with_412(client, staff):
    series = make_series(client, staff, {"freq": "weekly"})
    url = f"/api/v1/events/{series['id']}/occurrences"
    stale = {**staff.headers, "If-Match": '"1"'}

    moved = client.put(
        f"{url}/20261214",
        json={"start": "2026-12-15T09:00:00+08:00"},
        headers={**staff.headers, "If-Match": f'"{series["version"]}"'},
    )
    assert moved.status_code == 200, moved.text
    version = client.get(f"/api/v1/events/{series['id']}", headers=staff.headers).json()["version"]
    assert version > series["version"]
    assert moved.headers["ETag"] == f'"{version}"'

    refused = [
        client.put(f"{url}/20261221", json={"cancelled": True}, headers=stale),
        client.delete(f"{url}/20261221", headers=stale),
        client.delete(f"{url}/20261214/override", headers=stale),
    ]
    assert [response.status_code for response in refused] == [412, 412, 412]
    assert all("reload" in response.json()["error"]["message"] for response in refused)
    after = occurrences(client, staff, series["id"], "2026-12-14", "2026-12-28")
    # Nothing changed: the 14th is still moved, the 21st still there.
    assert [(o["occurrence_date"], o["moved"]) for o in after] == [
        ("2026-12-14", True),
        ("2026-12-21", False),
    ]

    current = {**staff.headers, "If-Match": f'"{version}"'}
    cancelled = client.delete(f"{url}/20261221", headers=current)
    assert cancelled.status_code == 200, cancelled.text
    restored = client.delete(
        f"{url}/20261214/override",
        headers={**staff.headers, "If-Match": cancelled.headers["ETag"]},
    )
    assert restored.status_code == 200, restored.text
    assert restored.headers["ETag"] == f'"{restored.json()["version"]}"'


def test_updated_by_names_who_last_changed_the_event_or_one_of_its_occurrences(
    client, staff, manager
):
    series = make_series(client, staff, {"freq": "weekly"})
    assert series["updated_by"] == str(staff.user_id)
    url = f"/api/v1/events/{series['id']}"

    changed = client.patch(url, json={"venue": "Marawi"}, headers=manager.headers)
    assert changed.status_code == 200, changed.text
    assert changed.json()["updated_by"] == str(manager.user_id)
    assert changed.json()["created_by"] == str(staff.user_id)

    moved = change_occurrence(
        client, staff, series["id"], "20261214", start="2026-12-14T13:00:00+08:00"
    )
    assert moved.status_code == 200, moved.text
    assert client.get(url, headers=staff.headers).json()["updated_by"] == str(staff.user_id)

    restored = client.delete(f"{url}/occurrences/20261214/override", headers=manager.headers)
    assert restored.status_code == 200, restored.text
    assert restored.json()["updated_by"] == str(manager.user_id)

    split = client.post(
        f"{url}/split",
        json={"from_date": "2026-12-21", "changes": {"venue": "Iligan"}},
        headers=staff.headers,
    )
    assert split.status_code == 201, split.text
    assert split.json()["before"]["updated_by"] == str(staff.user_id)
    assert split.json()["after"]["updated_by"] == str(staff.user_id)
