""" "This and following": `POST /events/{id}/split` ends a series before one of its
occurrences and starts a new series there with the changes applied."""

from __future__ import annotations

from sqlalchemy import select

from calendar_service.db import bus

from .helpers import change_occurrence, create_event


def make_event(client, caller, **fields):
    body = {
        "title": "Weekly staff meeting",
        "event_type": "meeting",
        "start": "2026-12-07T09:00:00+08:00",  # a Monday
        "end": "2026-12-07T10:00:00+08:00",
        "venue": "Room 1",
        "recurrence": {"freq": "weekly"},
    }
    return create_event(client, caller, {**body, **fields})


def current(client, caller, event_id):
    response = client.get(f"/api/v1/events/{event_id}", headers=caller.headers)
    assert response.status_code == 200, response.text
    return response.json()


def if_match(caller, event):
    return {**caller.headers, "If-Match": f'"{event["version"]}"'}


def split(client, caller, event, from_date, changes=None, version=None):
    headers = {**caller.headers, "If-Match": f'"{version or event["version"]}"'}
    return client.post(
        f"/api/v1/events/{event['id']}/split",
        json={"from_date": from_date, "changes": changes or {}},
        headers=headers,
    )


def occurrences(client, caller, event_id, start="2026-12-01", end="2027-02-01"):
    response = client.get(
        f"/api/v1/events/{event_id}/occurrences",
        params={"start": start, "end": end},
        headers=caller.headers,
    )
    assert response.status_code == 200, response.text
    return [(o["occurrence_date"], o["start"], o["moved"], o["title"]) for o in response.json()]


def test_split_at_the_third_occurrence_with_a_new_time(client, session, staff):
    series = make_event(client, staff, recurrence={"freq": "weekly", "exdates": ["2027-01-11"]})
    url = f"/api/v1/events/{series['id']}/occurrences"
    # Before the split point: the 14th moved to Tuesday the 15th.
    moved_before = change_occurrence(
        client, staff, series["id"], "20261214", start="2026-12-15T09:00:00+08:00"
    )
    assert moved_before.status_code == 200, moved_before.text
    # After it: the 28th moved to Tuesday the 29th, January 4 cancelled.
    moved_after = change_occurrence(
        client, staff, series["id"], "20261228", start="2026-12-29T11:00:00+08:00"
    )
    assert moved_after.status_code == 200, moved_after.text
    assert client.delete(f"{url}/20270104", headers=staff.headers).status_code == 200
    series = current(client, staff, series["id"])

    response = split(
        client,
        staff,
        series,
        "2026-12-21",
        {
            "title": "Weekly staff meeting (afternoon)",
            "start": "2026-12-21T14:00:00+08:00",
            "end": "2026-12-21T15:30:00+08:00",
        },
    )

    assert response.status_code == 201, response.text
    before, after = response.json()["before"], response.json()["after"]
    assert before["id"] == series["id"]
    assert before["version"] > series["version"]
    assert before["recurrence"]["until"] == "2026-12-20"
    assert before["recurrence"]["exdates"] == []
    assert [o["occurrence_date"] for o in before["overrides"]] == ["2026-12-14"]
    assert after["id"] != series["id"]
    assert (after["start"], after["end"]) == ("2026-12-21T06:00:00Z", "2026-12-21T07:30:00Z")
    assert after["recurrence"]["freq"] == "weekly"
    assert after["recurrence"]["until"] is None
    assert after["recurrence"]["exdates"] == ["2027-01-11"]
    assert [(o["occurrence_date"], o["cancelled"]) for o in after["overrides"]] == [
        ("2026-12-28", False),
        ("2027-01-04", True),
    ]
    assert (after["venue"], after["organizer_id"]) == ("Room 1", str(staff.user_id))
    # The new series names the one it continues; that one finds it by the list's filter.
    assert (before["split_from_id"], after["split_from_id"]) == (None, series["id"])
    continuing = client.get(
        "/api/v1/events", params={"split_from": series["id"]}, headers=staff.headers
    ).json()["items"]
    assert [e["id"] for e in continuing] == [after["id"]]

    assert occurrences(client, staff, series["id"]) == [
        ("2026-12-07", "2026-12-07T01:00:00Z", False, "Weekly staff meeting"),
        ("2026-12-14", "2026-12-15T01:00:00Z", True, "Weekly staff meeting"),
    ]
    assert occurrences(client, staff, after["id"]) == [
        ("2026-12-21", "2026-12-21T06:00:00Z", False, "Weekly staff meeting (afternoon)"),
        ("2026-12-28", "2026-12-29T03:00:00Z", True, "Weekly staff meeting (afternoon)"),
        ("2027-01-18", "2027-01-18T06:00:00Z", False, "Weekly staff meeting (afternoon)"),
        ("2027-01-25", "2027-01-25T06:00:00Z", False, "Weekly staff meeting (afternoon)"),
    ]
    assert response.headers["Location"] == f"/api/v1/events/{after['id']}"

    # One transaction, announced as the old series changed and a new one created.
    rows = session.execute(
        select(bus.outbox.c.event_type, bus.outbox.c.payload).order_by(bus.outbox.c.created_at)
    ).all()
    assert [(row.event_type, row.payload["subject_id"]) for row in rows[-2:]] == [
        ("event.updated", series["id"]),
        ("event.created", after["id"]),
    ]


def test_a_count_series_splits_its_count(client, staff):
    series = make_event(client, staff, recurrence={"freq": "weekly", "count": 6})

    response = split(client, staff, series, "2026-12-21", {"start": "2026-12-21T13:00:00+08:00"})

    assert response.status_code == 201, response.text
    before, after = response.json()["before"], response.json()["after"]
    assert before["recurrence"]["count"] == 2
    assert after["recurrence"]["count"] == 4
    old_dates = [item[0] for item in occurrences(client, staff, before["id"])]
    assert old_dates == ["2026-12-07", "2026-12-14"]
    new = occurrences(client, staff, after["id"], "2026-12-01", "2027-03-01")
    assert [(item[0], item[1]) for item in new] == [
        ("2026-12-21", "2026-12-21T05:00:00Z"),
        ("2026-12-28", "2026-12-28T05:00:00Z"),
        ("2027-01-04", "2027-01-04T05:00:00Z"),
        ("2027-01-11", "2027-01-11T05:00:00Z"),
    ]
    # Moving only the start kept the hour's duration.
    assert after["end"] == "2026-12-21T06:00:00Z"


def test_new_times_from_a_moved_occurrence_apply_to_it_too(client, staff):
    series = make_event(client, staff)
    moved = change_occurrence(
        client, staff, series["id"], "20261221", start="2026-12-22T09:00:00+08:00"
    )
    assert moved.status_code == 200, moved.text
    renamed = change_occurrence(client, staff, series["id"], "20261228", title="Year-end")
    assert renamed.status_code == 200, renamed.text
    series = current(client, staff, series["id"])

    response = split(client, staff, series, "2026-12-21", {"start": "2026-12-21T15:00:00+08:00"})

    assert response.status_code == 201, response.text
    after = response.json()["after"]
    assert [o["occurrence_date"] for o in after["overrides"]] == ["2026-12-28"]
    new = occurrences(client, staff, after["id"], "2026-12-01", "2027-01-01")
    assert [(item[0], item[1], item[2]) for item in new] == [
        ("2026-12-21", "2026-12-21T07:00:00Z", False),
        # Its own title, at the new series' 15:00: renaming it did not pin it at 09:00.
        ("2026-12-28", "2026-12-28T07:00:00Z", True),
    ]


def test_overrides_no_longer_on_the_new_series_are_dropped(client, staff):
    series = make_event(client, staff, recurrence={"freq": "weekly", "exdates": ["2027-01-04"]})
    url = f"/api/v1/events/{series['id']}/occurrences"
    assert client.delete(f"{url}/20261228", headers=staff.headers).status_code == 200
    series = current(client, staff, series["id"])

    # From the 21st on, Tuesdays instead of Mondays: Monday overrides and exdates go.
    response = split(
        client,
        staff,
        series,
        "2026-12-21",
        {"start": "2026-12-22T09:00:00+08:00", "end": "2026-12-22T10:00:00+08:00"},
    )

    assert response.status_code == 201, response.text
    after = response.json()["after"]
    assert after["overrides"] == []
    assert after["recurrence"]["exdates"] == []
    dates = [
        item[0] for item in occurrences(client, staff, after["id"], "2026-12-01", "2027-01-10")
    ]
    assert dates == ["2026-12-22", "2026-12-29", "2027-01-05"]


def test_split_is_refused_when_stale_first_not_an_occurrence_or_not_a_series(client, staff):
    series = make_event(client, staff, recurrence={"freq": "weekly", "exdates": ["2026-12-28"]})
    changes = {"title": "Changed"}

    stale = split(client, staff, series, "2026-12-21", changes, version=series["version"] + 5)
    assert stale.status_code == 412, stale.text
    first = split(client, staff, series, "2026-12-07", changes)
    assert first.status_code == 422, first.text
    assert first.json()["error"]["field"] == "from_date"
    assert "first occurrence" in first.json()["error"]["message"]
    for not_one in ("2026-12-22", "2026-12-28", "2026-11-30"):
        refused = split(client, staff, series, not_one, changes)
        assert refused.status_code == 422, (not_one, refused.text)
        assert refused.json()["error"]["field"] == "from_date"
    bad_end = split(client, staff, series, "2026-12-21", {"end": "2026-12-21T08:00:00+08:00"})
    assert bad_end.status_code == 422, bad_end.text
    assert bad_end.json()["error"]["field"] == "changes.end"
    unknown = split(client, staff, series, "2026-12-21", {"colour": "red"})
    assert unknown.status_code == 422
    assert unknown.json()["error"]["field"] == "changes.colour"
    # Nothing of the refused attempts stuck.
    assert current(client, staff, series["id"])["version"] == series["version"]
    total = client.get("/api/v1/events", headers=staff.headers).json()["total"]
    assert total == 1

    single = make_event(client, staff, recurrence=None)
    not_recurring = split(client, staff, single, "2026-12-07", changes)
    assert not_recurring.status_code == 409, not_recurring.text


def test_only_the_owners_or_a_manager_split(client, staff, other_staff, manager):
    series = make_event(client, staff)
    refused = split(client, other_staff, series, "2026-12-14", {"title": "Mine"})
    assert refused.status_code == 403
    done = split(client, manager, series, "2026-12-14", {"title": "Renamed"})
    assert done.status_code == 201, done.text
    # The new series belongs to the same people as the old one.
    after = done.json()["after"]
    assert (after["organizer_id"], after["created_by"]) == (
        str(staff.user_id),
        str(staff.user_id),
    )


def test_both_halves_history_says_the_series_was_split(client, staff):
    """The original's Activity read only "Recurrence: changed", the new half's "created it":
    each says it came of a "this and following" change, from which day."""
    series = make_event(client, staff)
    answer = split(client, staff, series, "2026-12-21", {"venue": "Room 2"})
    assert answer.status_code == 201, answer.text
    after = answer.json()["after"]
    said = "“this and following” from Mon 21 Dec 2026: the series “Weekly staff meeting” was split"
    for event_id in (series["id"], after["id"]):
        history = client.get(f"/api/v1/events/{event_id}/history", headers=staff.headers).json()
        assert said in (history["items"][0]["cause"] or ""), history["items"][0]
