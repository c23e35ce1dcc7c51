"""Repeating tasks: a task that repeats ("every month") continues, when it is completed, as a
new task due on the rule's next date, once; reopening it takes back an untouched successor."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from obcms_platform.testing import Caller, assert_error
from obcms_platform.zones import office_today

from .helpers import TASKS, create, get


def patch(client: TestClient, caller: Caller, task: dict[str, Any], **body: Any) -> Any:
    response = client.patch(
        f"{TASKS}/{task['id']}",
        json=body,
        headers={**caller.headers, "If-Match": f'"{task["version"]}"'},
    )
    assert response.status_code == 200, response.text
    return response.json()


def complete(client: TestClient, caller: Caller, task: dict[str, Any]) -> dict[str, Any]:
    return patch(client, caller, task, status="completed")  # type: ignore[no-any-return]


def successor(client: TestClient, caller: Caller, task: dict[str, Any]) -> dict[str, Any]:
    assert task["next_task_id"], "the completed task names no next occurrence"
    return get(client, caller, task["next_task_id"])


def test_completing_a_monthly_task_creates_the_next_one_due_a_month_later(
    client, staff, other_staff
):
    first = create(
        client,
        staff,
        title="Submit the monthly accomplishment report",
        description="To the planning unit.",
        priority="high",
        domain="monitoring",
        start_date="2027-01-25",
        due_date="2027-01-29",
        assignee_ids=[str(staff.user_id), str(other_staff.user_id)],
        estimated_hours=3,
        repeats="monthly",
    )
    assert (first["repeats"], first["repeat_interval"], first["repeat_until"]) == (
        "monthly",
        1,
        None,
    )

    done = complete(client, other_staff, first)
    second = successor(client, staff, done)

    # The 29th, which February 2027 has not: its last day; the start as far before.
    assert (second["start_date"], second["due_date"]) == ("2027-02-24", "2027-02-28")
    assert second["status"] == "not_started"
    assert second["progress"] == 0
    assert second["completed_at"] is None
    for name in ("title", "description", "priority", "domain", "assignee_ids", "repeats"):
        assert second[name] == first[name], name
    assert second["estimated_hours"] == 3
    assert second["previous_task_id"] == first["id"]
    assert second["created_by"] == str(staff.user_id)  # the series' creator, not the completer
    assert second["updated_by"] == str(other_staff.user_id)  # made by completing the first
    history = client.get(f"{TASKS}/{second['id']}/history", headers=staff.headers).json()
    assert (
        history["items"][-1]["cause"]
        == "the next occurrence of a task repeating every month on day 29"
    )


def test_a_month_end_series_keeps_to_the_month_end(client, staff):
    task = create(client, staff, title="Close the books", due_date="2027-01-31", repeats="monthly")
    dues = []
    for _ in range(3):
        task = successor(client, staff, complete(client, staff, task))
        dues.append(task["due_date"])
    # Counted from the series' 31 January, not from each occurrence (28 Feb -> 28 Mar).
    assert dues == ["2027-02-28", "2027-03-31", "2027-04-30"]


def test_intervals_weeks_and_years(client, staff):
    fortnightly = create(
        client,
        staff,
        title="Team huddle notes",
        due_date="2027-01-04",
        repeats="weekly",
        repeat_interval=2,
    )
    quarterly = create(
        client,
        staff,
        title="Quarterly report",
        due_date="2027-01-15",
        repeats="monthly",
        repeat_interval=3,
    )
    leap = create(client, staff, title="Leap-day audit", due_date="2028-02-29", repeats="yearly")
    nexts = [
        successor(client, staff, complete(client, staff, t)) for t in (fortnightly, quarterly, leap)
    ]
    assert [t["due_date"] for t in nexts] == ["2027-01-18", "2027-04-15", "2029-02-28"]
    assert nexts[1]["repeat_interval"] == 3


def test_completing_again_after_reopening_creates_no_second_occurrence(client, staff):
    task = create(client, staff, title="Weekly update", due_date="2027-03-05", repeats="weekly")
    done = complete(client, staff, task)
    follower = successor(client, staff, done)
    # A colleague starts the next one: it is no longer the untouched copy, so it stays.
    patch(client, staff, follower, status="in_progress")
    reopened = patch(client, staff, done, status="in_progress")
    assert reopened["next_task_id"] == follower["id"]
    again = complete(client, staff, reopened)
    assert again["next_task_id"] == follower["id"]
    listed = client.get(TASKS, params={"q": "Weekly update"}, headers=staff.headers).json()
    assert sorted(t["due_date"] for t in listed["items"]) == ["2027-03-05", "2027-03-12"]


def test_reopening_takes_back_the_untouched_next_occurrence(client, staff):
    """Completed by mistake and undone: no stray copy of next week's task is left."""
    task = create(
        client, staff, title="Check the inbox of requests", due_date="2027-03-05", repeats="weekly"
    )
    done = complete(client, staff, task)
    follower_id = done["next_task_id"]
    reopened = patch(client, staff, done, status="not_started")
    assert reopened["next_task_id"] is None
    assert client.get(f"{TASKS}/{follower_id}", headers=staff.headers).status_code == 404
    # Completed for real later: the series continues.
    assert successor(client, staff, complete(client, staff, reopened))["due_date"] == "2027-03-12"


def test_the_series_ends_at_its_until_date(client, staff):
    task = create(
        client,
        staff,
        title="Monitor the pilot",
        due_date="2027-05-10",
        repeats="monthly",
        repeat_until="2027-06-30",
    )
    second = successor(client, staff, complete(client, staff, task))
    assert (second["due_date"], second["repeat_until"]) == ("2027-06-10", "2027-06-30")
    last = complete(client, staff, second)
    assert last["next_task_id"] is None


def test_moving_the_due_date_moves_the_rhythm(client, staff):
    task = create(client, staff, title="Payroll check", due_date="2027-01-31", repeats="monthly")
    moved = patch(client, staff, task, due_date="2027-02-15")
    assert successor(client, staff, complete(client, staff, moved))["due_date"] == "2027-03-15"


def test_a_rule_without_a_due_date_or_ending_early_is_refused_naming_each_field(client, staff):
    response = client.post(
        TASKS,
        json={"title": "Undated", "repeats": "weekly"},
        headers=staff.headers,
    )
    assert_error(response, 422, field="repeats")
    both = client.post(
        TASKS,
        json={"title": "x", "due_date": "2027-04-01", "repeat_until": "2027-03-01"},
        headers=staff.headers,
    )
    assert_error(both, 422, field="repeat_until")
    zero = client.post(
        TASKS,
        json={
            "title": "x",
            "due_date": "2027-04-01",
            "repeats": "weekly",
            "repeat_until": "2027-03-01",
            "repeat_interval": 0,
        },
        headers=staff.headers,
    )
    assert_error(zero, 422, field="repeat_interval")
    task = create(client, staff, title="Dated", due_date="2027-04-01", repeats="weekly")
    cleared = client.patch(f"{TASKS}/{task['id']}", json={"due_date": None}, headers=staff.headers)
    assert_error(cleared, 422, field="repeats")
    assert "needs a due date" in cleared.json()["error"]["message"]


def test_a_plain_task_completed_creates_nothing(client, staff):
    task = create(
        client, staff, title="One-off", due_date=(office_today() + timedelta(days=3)).isoformat()
    )
    done = complete(client, staff, task)
    assert done["next_task_id"] is None
    assert done["repeats"] is None


def test_deleting_the_next_occurrence_lets_the_series_continue_anew(client, staff):
    task = create(client, staff, title="Backup check", due_date="2027-03-01", repeats="weekly")
    done = complete(client, staff, task)
    follower = successor(client, staff, done)
    deleted = client.delete(f"{TASKS}/{follower['id']}", headers=staff.headers)
    assert deleted.status_code == 204, deleted.text
    assert get(client, staff, done["id"])["next_task_id"] is None


def test_completing_moves_the_task_one_version_on_as_any_change(client, staff):
    """The link to the next occurrence is the service's: the completion is one version, so an
    Undo made at the version it left still applies."""
    task = create(client, staff, title="Weekly sync", due_date="2027-03-05", repeats="weekly")
    done = complete(client, staff, task)
    assert done["version"] == task["version"] + 1
    assert get(client, staff, task["id"])["version"] == done["version"]
