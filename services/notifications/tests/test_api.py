"""A person's inbox and preferences through the API: only their own, read and unread, all
read at once; preferences with their version, every bad value named."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from notifications_service.settings import NotificationsSettings
from obcms_platform.testing.assertions import assert_error
from obcms_platform.testing.auth import Caller

from .people import Person, assign_task, handle


def _assign_tasks(
    session: Session, settings: NotificationsSettings, caller: Caller, count: int
) -> None:
    person = Person(user_id=caller.user_id)
    handle(session, settings, person.announced())
    for number in range(count):
        assign_task(session, settings, [caller.user_id], f"Task {number}")


def test_the_inbox_counts_unread_and_marks_one_or_all_read(
    client: TestClient,
    session: Session,
    settings: NotificationsSettings,
    staff: Caller,
    other_staff: Caller,
) -> None:
    _assign_tasks(session, settings, staff, 3)
    _assign_tasks(session, settings, other_staff, 1)
    url = "/api/v1/notifications"
    assert client.get(f"{url}/unread-count", headers=staff.headers).json() == {"unread": 3}
    listed = client.get(url, headers=staff.headers).json()
    assert listed["total"] == 3
    assert next(item["title"] for item in listed["items"]).endswith("\u201cTask 2\u201d")
    first = listed["items"][0]["id"]
    read = client.post(f"{url}/{first}/read", headers=staff.headers)
    assert read.status_code == 200
    assert read.json()["read_at"] is not None
    assert client.get(f"{url}/unread-count", headers=staff.headers).json() == {"unread": 2}
    assert client.get(url, params={"unread": "true"}, headers=staff.headers).json()["total"] == 2
    assert client.post(f"{url}/{first}/unread", headers=staff.headers).json()["read_at"] is None
    # Nobody else marks it (not even an admin: `authz.NOTIFICATION_MARK`); an unknown one is 404.
    assert_error(client.post(f"{url}/{first}/read", headers=other_staff.headers), 403)
    assert_error(client.post(f"{url}/{uuid.uuid4()}/read", headers=staff.headers), 404)
    assert client.post(f"{url}/read-all", headers=staff.headers).json() == {"marked": 3}
    assert client.get(f"{url}/unread-count", headers=staff.headers).json() == {"unread": 0}
    assert client.get(f"{url}/unread-count", headers=other_staff.headers).json() == {"unread": 1}
    assert_error(client.get(url), 401)


def test_preferences_start_from_the_defaults_and_keep_a_version(
    client: TestClient, staff: Caller, other_staff: Caller
) -> None:
    url = "/api/v1/notification-preferences"
    defaults = client.get(url, headers=staff.headers)
    assert defaults.status_code == 200
    assert defaults.headers["ETag"] == '"0"'
    body = defaults.json()
    assert body["digest_time"] == "07:30:00"
    kinds = {choice["kind"]: choice for choice in body["kinds"]}
    assert kinds["task_assigned"]["channel"] == "both"
    assert kinds["task_due_soon"]["channel"] == "digest"
    assert kinds["task_assigned"]["label"] == "A task is assigned to me"

    saved = client.patch(
        url,
        json={"digest_time": "06:15", "channels": {"task_assigned": "email"}},
        headers={**staff.headers, "If-Match": '"0"'},
    )
    assert saved.status_code == 200, saved.text
    assert saved.headers["ETag"] == '"1"'
    assert {c["kind"]: c["channel"] for c in saved.json()["kinds"]}["task_assigned"] == "email"
    # A second tab still at version 0 is refused, and nothing it sent is kept.
    stale = client.patch(
        url, json={"digest_time": "09:00"}, headers={**staff.headers, "If-Match": '"0"'}
    )
    assert_error(stale, 412)
    assert client.get(url, headers=staff.headers).json()["digest_time"] == "06:15:00"
    # Only the channels changing still makes a new version.
    again = client.patch(
        url,
        json={"channels": {"task_assigned": "both"}},
        headers={**staff.headers, "If-Match": '"1"'},
    )
    assert again.headers["ETag"] == '"2"'
    # Another person's preferences are their own.
    assert client.get(url, headers=other_staff.headers).json()["digest_time"] == "07:30:00"


def test_bad_preferences_are_refused_naming_the_field(client: TestClient, staff: Caller) -> None:
    url = "/api/v1/notification-preferences"
    assert_error(
        client.patch(url, json={"channels": {"task_assigned": "pigeon"}}, headers=staff.headers),
        422,
        field="channels.task_assigned",
    )
    assert_error(
        client.patch(url, json={"channels": {"no_such_kind": "email"}}, headers=staff.headers),
        422,
        field="channels.no_such_kind",
    )
    assert_error(
        client.patch(url, json={"quiet_start": "22:00"}, headers=staff.headers),
        422,
        field="quiet_end",
    )
    # 22:00 to 22:00: none, or all day? Asked to choose, not saved as either.
    same = {"quiet_start": "22:00", "quiet_end": "22:00"}
    error = assert_error(client.patch(url, json=same, headers=staff.headers), 422, "quiet_end")
    assert "another time than they start" in error["message"]
    # Crafted values are refused in words, not a validator's.
    for body, field, words in (
        ({"digest_time": "25:00"}, "digest_time", "must be a time of day"),
        ({"channels": {"task_assigned": "pigeon"}}, "channels.task_assigned", "must be one of"),
    ):
        error = assert_error(client.patch(url, json=body, headers=staff.headers), 422, field)
        assert words in error["message"], error
        assert "Input should" not in error["message"], error
    assert_error(
        client.patch(url, json={"event_lead_minutes": -5}, headers=staff.headers),
        422,
        field="event_lead_minutes",
    )
    emptied = assert_error(
        client.patch(url, json={"digest_time": None}, headers=staff.headers),
        422,
        field="digest_time",
    )
    assert emptied["message"] == "digest_time: cannot be left empty"  # it read "may not be null"
    assert_error(
        client.patch(url, json={"colour": "red"}, headers=staff.headers), 422, field="colour"
    )
    # A time of day is the person's own: an offset would be dropped by the column, not kept.
    for field in ("digest_time", "quiet_start"):
        body = {"quiet_start": "22:00", "quiet_end": "06:00", field: "23:30:00-05:00"}
        error = assert_error(client.patch(url, json=body, headers=staff.headers), 422, field=field)
        assert "UTC offset" in error["message"], error
    assert client.get(url, headers=staff.headers).json()["digest_time"] == "07:30:00"
