"""Dependencies one at a time (`PUT` / `DELETE /api/v1/tasks/{id}/dependencies/{other_id}`)
and who made a task's last change (`updated_by`): the person whose request wrote it, or null
when the service itself did (an event handler, a generated task)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from obcms_platform.bus import Event
from obcms_platform.testing import Caller, assert_error
from obcms_platform.testing.service_probes import run_concurrently
from tasks_service.db import bus
from tasks_service.events import HANDLERS

from .helpers import TASKS, create, get


def link(client: TestClient, caller: Caller, task_id: str, other_id: str, **headers: str) -> Any:
    url = f"{TASKS}/{task_id}/dependencies/{other_id}"
    return client.put(url, headers={**caller.headers, **headers})


def unlink(client: TestClient, caller: Caller, task_id: str, other_id: str) -> Any:
    return client.delete(f"{TASKS}/{task_id}/dependencies/{other_id}", headers=caller.headers)


def announced(session: Session, task_id: str) -> list[str]:
    """The event types the outbox holds about one task, oldest first."""
    rows = session.execute(
        select(bus.outbox.c.event_type, bus.outbox.c.payload).order_by(bus.outbox.c.created_at)
    )
    return [row.event_type for row in rows if row.payload["data"]["task_id"] == task_id]


# --- one dependency at a time ------------------------------------------------------------


def test_add_again_remove_and_remove_again(client, session, staff):
    task = create(client, staff, title="Print the invitations")
    venue = create(client, staff, title="Book the venue")

    added = link(client, staff, task["id"], venue["id"])
    assert added.status_code == 200, added.text
    assert added.json()["depends_on"] == [venue["id"]]
    assert added.json()["version"] == task["version"] + 1
    assert added.headers["ETag"] == f'"{task["version"] + 1}"'
    assert get(client, staff, task["id"])["depends_on"] == [venue["id"]]
    assert announced(session, task["id"]) == ["task.created", "task.updated"]

    again = link(client, staff, task["id"], venue["id"])
    assert again.status_code == 200, again.text
    assert again.json()["depends_on"] == [venue["id"]]
    assert again.json()["version"] == added.json()["version"], "already linked: unchanged"
    assert announced(session, task["id"]) == ["task.created", "task.updated"]

    removed = unlink(client, staff, task["id"], venue["id"])
    assert removed.status_code == 200, removed.text
    assert removed.json()["depends_on"] == []
    assert removed.json()["version"] == added.json()["version"] + 1
    assert get(client, staff, task["id"])["depends_on"] == []

    error = assert_error(unlink(client, staff, task["id"], venue["id"]), 404, "depends_on")
    assert venue["id"] in error["message"]
    assert get(client, staff, task["id"])["version"] == removed.json()["version"]


def test_adding_keeps_the_other_dependencies(client, staff):
    first, second = create(client, staff, title="First"), create(client, staff, title="Second")
    task = create(client, staff, depends_on=[first["id"]])
    assert link(client, staff, task["id"], second["id"]).json()["depends_on"] == [
        first["id"],
        second["id"],
    ]
    assert unlink(client, staff, task["id"], first["id"]).json()["depends_on"] == [second["id"]]


def test_a_cycle_is_refused_in_the_words_of_a_patch(client, staff):
    a = create(client, staff, title="A")
    b = create(client, staff, title="B", depends_on=[a["id"]])
    c = create(client, staff, title="C", depends_on=[b["id"]])
    by_patch = client.patch(
        f"{TASKS}/{a['id']}", json={"depends_on": [c["id"]]}, headers=staff.headers
    )
    patch_error = assert_error(by_patch, 422, "depends_on")

    error = assert_error(link(client, staff, a["id"], c["id"]), 422, "depends_on")
    assert error["message"] == patch_error["message"]
    assert "cycle" in error["message"]
    assert_error(link(client, staff, a["id"], a["id"]), 422, "depends_on")
    assert get(client, staff, a["id"])["depends_on"] == []
    assert get(client, staff, a["id"])["version"] == a["version"]


def test_an_unknown_or_malformed_other_task_is_refused(client, staff):
    task = create(client, staff)
    unknown = str(uuid.uuid4())
    error = assert_error(link(client, staff, task["id"], unknown), 422, "depends_on")
    assert unknown in error["message"]
    assert link(client, staff, task["id"], "not-an-id").status_code == 422
    missing = link(client, staff, str(uuid.uuid4()), task["id"])
    assert missing.status_code == 404, missing.text


def test_staff_who_may_not_change_the_task_cannot_link_it(client, staff, other_staff, manager):
    task = create(client, staff, assignee_ids=[str(staff.user_id)])
    theirs = create(client, other_staff)
    assert_error(link(client, other_staff, task["id"], theirs["id"]), 403, None)
    assert link(client, staff, task["id"], theirs["id"]).status_code == 200
    assert_error(unlink(client, other_staff, task["id"], theirs["id"]), 403, None)
    assert get(client, staff, task["id"])["depends_on"] == [theirs["id"]]
    assert unlink(client, manager, task["id"], theirs["id"]).status_code == 200


def test_if_match_is_honoured_when_sent(client, staff):
    task, other = create(client, staff), create(client, staff)
    stale = link(client, staff, task["id"], other["id"], **{"If-Match": '"7"'})
    assert stale.status_code == 412, stale.text
    fresh = link(client, staff, task["id"], other["id"], **{"If-Match": f'"{task["version"]}"'})
    assert fresh.status_code == 200, fresh.text


def test_concurrent_adds_of_different_dependencies_are_all_kept(client, staff):
    task = create(client, staff)
    others = [create(client, staff, title=f"Step {n}")["id"] for n in range(4)]
    responses = run_concurrently(
        [lambda other=other: link(client, staff, task["id"], other) for other in others]
    )
    assert [r.status_code for r in responses] == [200] * len(others), [r.text for r in responses]
    stored = get(client, staff, task["id"])
    assert sorted(stored["depends_on"]) == sorted(others)
    assert stored["version"] == task["version"] + len(others)


def test_two_tasks_made_to_wait_for_each_other_at_once_make_no_cycle(client, staff):
    a, b = create(client, staff, title="A"), create(client, staff, title="B")
    responses = run_concurrently(
        [
            lambda: link(client, staff, a["id"], b["id"]),
            lambda: link(client, staff, b["id"], a["id"]),
        ]
    )
    assert sorted(r.status_code for r in responses) == [200, 422], [r.text for r in responses]
    waits = [get(client, staff, a["id"])["depends_on"], get(client, staff, b["id"])["depends_on"]]
    assert sorted(map(len, waits)) == [0, 1]


# --- updated_by ----------------------------------------------------------------------------


def test_every_write_through_the_api_names_its_person(client, staff, other_staff, manager):
    task = create(client, staff, team_ids=[])
    assert task["updated_by"] == str(staff.user_id), "create: the creator"
    other = create(client, staff, title="Other")

    patched = client.patch(
        f"{TASKS}/{task['id']}", json={"priority": "high"}, headers=manager.headers
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["updated_by"] == str(manager.user_id)
    assert get(client, staff, task["id"])["updated_by"] == str(manager.user_id)

    bulk = client.patch(
        TASKS,
        json={
            "items": [{"id": task["id"], "version": patched.json()["version"]}],
            "changes": {"status": "in_progress"},
        },
        headers=staff.headers,
    )
    assert bulk.status_code == 200, bulk.text
    assert bulk.json()["results"][0]["task"]["updated_by"] == str(staff.user_id)

    assert link(client, manager, task["id"], other["id"]).json()["updated_by"] == str(
        manager.user_id
    )
    assert unlink(client, staff, task["id"], other["id"]).json()["updated_by"] == str(staff.user_id)

    # Deleting a task it waits for changes the task too: by the person who deleted.
    assert link(client, staff, task["id"], other["id"]).status_code == 200
    deleted = client.delete(f"{TASKS}/{other['id']}", headers=manager.headers)
    assert deleted.status_code == 204, deleted.text
    assert get(client, staff, task["id"])["updated_by"] == str(manager.user_id)


def test_a_change_by_the_service_names_nobody(client, session, staff, manager):
    event_id = uuid.uuid4()
    task = create(client, staff, related_event_id=str(event_id))
    patched = client.patch(
        f"{TASKS}/{task['id']}", json={"status": "in_progress"}, headers=manager.headers
    )
    assert patched.json()["updated_by"] == str(manager.user_id)

    deleted = Event.new("event.deleted", producer="calendar", subject_id=event_id, data={})
    HANDLERS["event.deleted"](session, deleted)
    session.commit()

    after = get(client, staff, task["id"])
    assert after["related_event_id"] is None
    assert after["updated_by"] is None


def test_generated_tasks_name_nobody(client, manager):
    ppa_id = uuid.uuid4()
    generated = client.post(
        "/api/v1/task-templates/ppa_budget_cycle/generate",
        json={"subject_kind": "ppa", "subject_id": str(ppa_id), "base_date": "2027-01-04"},
        headers=manager.headers,
    )
    assert generated.status_code == 201, generated.text
    assert {task["updated_by"] for task in generated.json()["tasks"]} == {None}


def test_a_tasks_dependencies_are_listed_by_their_ids(client, staff):
    wanted = [create(client, staff, title=f"Wanted {n}")["id"] for n in range(2)]
    create(client, staff, title="Not wanted")
    listed = client.get(TASKS, params={"id": wanted}, headers=staff.headers)
    assert listed.status_code == 200, listed.text
    assert sorted(task["id"] for task in listed.json()["items"]) == sorted(wanted)
    bad = client.get(TASKS, params={"id": "not-an-id"}, headers=staff.headers)
    assert bad.status_code == 422
    assert bad.json()["error"]["field"].startswith("id")
