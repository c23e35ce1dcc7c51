"""The change history of events, bookings, resources and leave (`GET /api/v1/{records}/{id}/
history`): who changed which field from what to what; a leave's type and reason only for
those who may read them on the leave itself."""

from __future__ import annotations

import uuid

from .helpers import EVENTS, change_occurrence, create_event


def changes(entry) -> dict[str, tuple[object, object]]:
    return {change["field"]: (change["old"], change["new"]) for change in entry["changes"]}


def test_an_event_edit_shows_who_changed_what_without_computed_columns(
    client, staff, manager
) -> None:
    event = create_event(
        client,
        staff,
        {
            "title": "Coordination meeting",
            "event_type": "meeting",
            "start": "2026-12-01T09:00:00+08:00",
            "end": "2026-12-01T10:00:00+08:00",
        },
    )
    edited = client.patch(
        f"{EVENTS}/{event['id']}",
        json={"title": "Coordination meeting (moved)", "venue": "Hall B"},
        headers={**manager.headers, "If-Match": f'"{event["version"]}"'},
    )
    assert edited.status_code == 200, edited.text

    answer = client.get(f"{EVENTS}/{event['id']}/history", headers=staff.headers)
    assert answer.status_code == 200, answer.text
    edit, creation = answer.json()["items"]
    assert edit["actor_id"] == str(manager.user_id)
    assert edit["record_version"] == event["version"] + 1
    assert changes(edit) == {
        "title": ("Coordination meeting", "Coordination meeting (moved)"),
        "venue": ("", "Hall B"),
    }
    assert creation["action"] == "created"
    assert creation["actor_id"] == str(staff.user_id)
    created = changes(creation)
    assert created["title"] == (None, "Coordination meeting")
    # The database's own `span` (start to span_end) is not a change anyone made.
    assert "span" not in created
    assert "span_end" in created
    missing = client.get(f"{EVENTS}/{uuid.uuid4()}/history", headers=staff.headers)
    assert missing.status_code == 404, missing.text


def test_a_booking_decision_and_a_resource_edit_are_recorded(client, staff, manager) -> None:
    room = client.post(
        "/api/v1/resources",
        json={"name": "Room A", "resource_type": "room", "booking_requires_approval": True},
        headers=manager.headers,
    ).json()
    patched = client.patch(
        f"/api/v1/resources/{room['id']}",
        json={"capacity": 30},
        headers={**manager.headers, "If-Match": f'"{room["version"]}"'},
    )
    assert patched.status_code == 200, patched.text
    booked = client.post(
        "/api/v1/bookings",
        json={
            "resource_id": room["id"],
            "start": "2031-12-01T08:00:00+08:00",
            "end": "2031-12-01T12:00:00+08:00",
        },
        headers=staff.headers,
    )
    assert booked.status_code == 201, booked.text
    booking = booked.json()
    refused = client.post(f"/api/v1/bookings/{booking['id']}/approve", headers=staff.headers)
    assert refused.status_code == 403
    approved = client.post(f"/api/v1/bookings/{booking['id']}/approve", headers=manager.headers)
    assert approved.status_code == 200, approved.text

    decision, creation = client.get(
        f"/api/v1/bookings/{booking['id']}/history", headers=staff.headers
    ).json()["items"]
    assert decision["actor_id"] == str(manager.user_id)
    assert changes(decision) == {
        "status": ("pending", "approved"),
        "approved_by": (None, str(manager.user_id)),
    }
    assert creation["actor_id"] == str(staff.user_id)
    assert "during" not in changes(creation)

    edit, _ = client.get(f"/api/v1/resources/{room['id']}/history", headers=staff.headers).json()[
        "items"
    ]
    assert edit["actor_id"] == str(manager.user_id)
    assert changes(edit) == {"capacity": (None, 30)}


def test_a_staff_user_cannot_read_a_hidden_field_through_history(
    client, staff, other_staff, manager
) -> None:
    filed = client.post(
        "/api/v1/leaves",
        json={
            "leave_type": "sick",
            "start_date": "2026-12-21",
            "end_date": "2026-12-23",
            "reason": "Surgery",
        },
        headers=staff.headers,
    )
    assert filed.status_code == 201, filed.text
    leave = filed.json()
    approved = client.post(
        f"/api/v1/leaves/{leave['id']}/approve",
        json={"reason": "Get well soon"},
        headers=manager.headers,
    )
    assert approved.status_code == 200, approved.text
    url = f"/api/v1/leaves/{leave['id']}/history"

    def seen_by(caller) -> list[dict[str, tuple[object, object]]]:
        answer = client.get(url, headers=caller.headers)
        assert answer.status_code == 200, answer.text
        return [changes(entry) for entry in answer.json()["items"]]

    decision, creation = seen_by(staff)
    assert creation["leave_type"] == (None, "sick")
    assert creation["reason"] == (None, "Surgery")
    assert decision["decision_note"] == (None, "Get well soon")
    assert "reason" not in decision  # the requester's words are unchanged
    assert decision["status"] == ("pending", "approved")
    assert seen_by(manager) == [decision, creation]

    hidden_decision, hidden_creation = seen_by(other_staff)
    # Who is away and when, and that the reason changed, but neither the type nor the text.
    assert hidden_creation["leave_type"] == (None, None)
    assert hidden_creation["reason"] == (None, None)
    assert hidden_creation["start_date"] == (None, "2026-12-21")
    assert hidden_decision == {**decision, "decision_note": (None, None)}
    assert "Get well soon" not in client.get(url, headers=other_staff.headers).text
    assert "Surgery" not in client.get(url, headers=other_staff.headers).text
    assert "sick" not in client.get(url, headers=other_staff.headers).text


def test_one_occurrence_moved_cancelled_and_restored_is_in_its_events_history(
    client, staff, manager
) -> None:
    """Moving or cancelling one occurrence left the event's history with "created" alone."""
    event = create_event(
        client,
        staff,
        {
            "title": "Mission stand-up",
            "event_type": "meeting",
            "start": "2026-12-14T08:00:00+08:00",
            "end": "2026-12-14T08:15:00+08:00",
            "venue": "Marawi field office",
            "recurrence": {"freq": "weekly", "by_weekday": [1, 2, 3, 4, 5], "until": "2026-12-25"},
        },
    )
    url = f"{EVENTS}/{event['id']}"
    moved = change_occurrence(
        client,
        manager,
        event["id"],
        "20261216",
        start="2026-12-16T07:30:00+08:00",
        end="2026-12-16T07:45:00+08:00",
        venue="Hotel lobby, Marawi",
    )
    assert moved.status_code == 200, moved.text
    cancelled = client.delete(f"{url}/occurrences/20261217", headers=staff.headers)
    assert cancelled.status_code == 200, cancelled.text
    restored = client.delete(f"{url}/occurrences/20261217/override", headers=staff.headers)
    assert restored.status_code == 200, restored.text

    answer = client.get(f"{url}/history", headers=staff.headers)
    assert answer.status_code == 200, answer.text
    back, cancel, move, creation = answer.json()["items"]
    assert creation["action"] == "created"
    assert (move["actor_id"], move["cause"]) == (
        str(manager.user_id),
        "only the occurrence of Wed 16 Dec 2026",
    )
    assert changes(move) == {
        "start": ("2026-12-16T00:00:00Z", "2026-12-15T23:30:00Z"),
        "end": ("2026-12-16T00:15:00Z", "2026-12-15T23:45:00Z"),
        "venue": ("Marawi field office", "Hotel lobby, Marawi"),
    }
    assert (cancel["actor_id"], cancel["cause"]) == (
        str(staff.user_id),
        "only the occurrence of Thu 17 Dec 2026",
    )
    assert changes(cancel) == {"status": ("planned", "cancelled")}
    assert back["cause"] == "the occurrence of Thu 17 Dec 2026 back as the series has it"
    assert changes(back) == {
        "status": ("cancelled", "planned"),
        "start": (None, "2026-12-17T00:00:00Z"),
        "end": (None, "2026-12-17T00:15:00Z"),
    }
    assert back["record_version"] == cancel["record_version"] + 1
