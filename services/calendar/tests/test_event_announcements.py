"""What the calendar's event.* messages tell consumers: a series' recurrence (RFC 5545, its
overrides applied), from which they find the same occurrences as the calendar itself."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from sqlalchemy import select

from calendar_service.db import bus

from .helpers import EVENTS, change_occurrence

WINDOW = ("2026-10-19T00:00:00Z", "2026-11-10T00:00:00Z")


def _announced(session) -> list[tuple[str, dict]]:
    rows = session.execute(
        select(bus.outbox.c.event_type, bus.outbox.c.payload).order_by(bus.outbox.c.created_at)
    ).all()
    return [(row.event_type, row.payload["data"]) for row in rows]


def _expanded(data: dict) -> list[str]:
    """The starts (UTC, as the API writes them) a consumer finds in WINDOW from `data`."""
    zone = ZoneInfo(data["timezone"])
    first, last = (datetime.fromisoformat(moment) for moment in WINDOW)
    local = rrulestr(data["recurrence"], forceset=True).between(
        first.astimezone(zone).replace(tzinfo=None), last.astimezone(zone).replace(tzinfo=None)
    )
    starts = (moment.replace(tzinfo=zone).astimezone(UTC) for moment in local)
    return [f"{start:%Y-%m-%dT%H:%M:%SZ}" for start in starts]


def _created(client, caller, start: str, end: str, **body) -> str:
    """Create a meeting from `start` to `end` (with `body`); its id."""
    response = client.post(
        EVENTS,
        json={
            "title": "Staff meeting",
            "event_type": "meeting",
            "start": start,
            "end": end,
            **body,
        },
        headers=caller.headers,
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _occurrence_starts(client, caller, event_id: str) -> list[str]:
    response = client.get(
        f"{EVENTS}/{event_id}/occurrences",
        params={"start": WINDOW[0], "end": WINDOW[1]},
        headers=caller.headers,
    )
    assert response.status_code == 200, response.text
    return [occurrence["start"] for occurrence in response.json()]


def test_a_series_is_announced_with_its_recurrence_and_overrides(client, session, staff):
    # Monday and Wednesday 09:00 in London, across the end of summer time (25 Oct).
    event_id = _created(
        client,
        staff,
        "2026-10-19T09:00:00+01:00",
        "2026-10-19T10:00:00+01:00",
        timezone="Europe/London",
        recurrence={"freq": "weekly", "by_weekday": [1, 3], "exdates": ["2026-10-21"]},
    )
    [(kind, data)] = _announced(session)
    assert kind == "event.created"
    assert data["timezone"] == "Europe/London"
    assert _expanded(data) == _occurrence_starts(client, staff, event_id)
    assert _expanded(data)[:3] == [
        "2026-10-19T08:00:00Z",
        "2026-10-26T09:00:00Z",
        "2026-10-28T09:00:00Z",
    ]

    # Move Monday the 26th to Tuesday the 27th, 14:00; cancel Wednesday the 28th.
    moved = change_occurrence(
        client,
        staff,
        event_id,
        "20261026",
        start="2026-10-27T14:00:00+00:00",
        end="2026-10-27T15:00:00+00:00",
    )
    assert moved.status_code == 200, moved.text
    cancelled = client.delete(f"{EVENTS}/{event_id}/occurrences/20261028", headers=staff.headers)
    assert cancelled.status_code == 200, cancelled.text
    kind, data = _announced(session)[-1]
    assert kind == "event.updated"
    assert _expanded(data) == _occurrence_starts(client, staff, event_id)
    assert _expanded(data)[:3] == [
        "2026-10-19T08:00:00Z",
        "2026-10-27T14:00:00Z",
        "2026-11-02T09:00:00Z",
    ]


def test_a_single_event_is_announced_without_recurrence(client, session, staff):
    _created(client, staff, "2026-12-01T09:00:00+08:00", "2026-12-01T10:00:00+08:00")
    [(_, data)] = _announced(session)
    assert data["recurrence"] is None
    assert data["timezone"] == "Asia/Manila"
    assert data["prepare_tasks"] is True  # by default, its type's tasks are wanted


def test_an_event_made_without_preparation_tasks_says_so(client, session, staff):
    _created(
        client,
        staff,
        "2026-12-01T09:00:00+08:00",
        "2026-12-01T09:15:00+08:00",
        prepare_tasks=False,
    )
    [(kind, data)] = _announced(session)
    assert (kind, data["prepare_tasks"]) == ("event.created", False)


def test_an_occurrence_renamed_or_elsewhere_still_happens_and_its_override_is_announced(
    client, session, staff
):
    """An occurrence given only a venue (at its series' time) was announced as an EXDATE and
    an RDATE of the same moment, which removes it: consumers lost it, and nobody could tell
    its new venue."""
    event_id = _created(
        client,
        staff,
        "2026-10-19T07:00:00+08:00",
        "2026-10-19T07:20:00+08:00",
        venue="OOBC office",
        recurrence={"freq": "weekly", "by_weekday": [1, 2, 3, 4, 5]},
    )
    elsewhere = change_occurrence(client, staff, event_id, "20261021", venue="Hotel lobby")
    assert elsewhere.status_code == 200, elsewhere.text
    _, data = _announced(session)[-1]
    assert "2026-10-20T23:00:00Z" in _expanded(data)
    assert _expanded(data) == _occurrence_starts(client, staff, event_id)
    assert data["overrides"] == [
        {
            "occurrence_date": "2026-10-21",
            "cancelled": False,
            "start": "2026-10-21T07:00:00+08:00",
            "end": "2026-10-21T07:20:00+08:00",
            "title": None,
            "venue": "Hotel lobby",
        }
    ]


def test_a_split_series_names_the_day_its_occurrences_went_to_the_other(client, session, staff):
    event_id = _created(
        client,
        staff,
        "2026-12-14T07:00:00+08:00",
        "2026-12-14T07:20:00+08:00",
        recurrence={"freq": "weekly", "by_weekday": [1, 2, 3, 4, 5], "until": "2026-12-25"},
    )
    event = client.get(f"{EVENTS}/{event_id}", headers=staff.headers).json()
    split = client.post(
        f"{EVENTS}/{event_id}/split",
        json={"from_date": "2026-12-21", "changes": {"venue": "Marawi field office"}},
        headers={**staff.headers, "If-Match": f'"{event["version"]}"'},
    )
    assert split.status_code == 201, split.text
    (shortened, old), (created, new) = _announced(session)[-2:]
    assert (shortened, old["event_id"], old["split_on"]) == (
        "event.updated",
        event_id,
        "2026-12-21",
    )
    assert (created, new["split_from"], new["split_on"]) == ("event.created", event_id, None)
