"""A task's change history (`GET /api/v1/tasks/{id}/history`): who changed which field from
what to what, and why, newest first; written in the change's own transaction; append-only."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from obcms_platform.bus import Event
from tasks_service.events import HANDLERS

TASKS = "/api/v1/tasks"


def create(client, caller, **fields: Any) -> dict[str, Any]:
    response = client.post(
        TASKS, json={"title": "Draft the brief", **fields}, headers=caller.headers
    )
    assert response.status_code == 201, response.text
    return response.json()


def history(client, caller, task_id: str, **params: Any) -> dict[str, Any]:
    response = client.get(f"{TASKS}/{task_id}/history", params=params, headers=caller.headers)
    assert response.status_code == 200, response.text
    return response.json()


def changed(entry: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {change["field"]: (change["old"], change["new"]) for change in entry["changes"]}


def test_a_patch_and_a_bulk_edit_by_two_people_show_who_changed_what(
    client, staff, other_staff
) -> None:
    task = create(client, staff, assignee_ids=[str(staff.user_id), str(other_staff.user_id)])
    patched = client.patch(
        f"{TASKS}/{task['id']}",
        json={"title": "Draft the budget brief", "priority": "high", "due_date": "2027-02-01"},
        headers={**staff.headers, "If-Match": f'"{task["version"]}"'},
    )
    assert patched.status_code == 200, patched.text
    bulk = client.patch(
        TASKS,
        json={
            "items": [{"id": task["id"], "version": patched.json()["version"]}],
            "changes": {"status": "in_progress", "priority": "critical"},
        },
        headers=other_staff.headers,
    )
    assert bulk.status_code == 200, bulk.text
    assert bulk.json()["results"][0]["status"] == 200

    answer = history(client, staff, task["id"])
    assert answer["total"] == 3
    edit, patch, creation = answer["items"]  # newest first
    assert edit["action"] == "updated"
    assert edit["actor_id"] == str(other_staff.user_id)
    assert edit["cause"] == "bulk change of 1 tasks"
    assert changed(edit) == {
        "status": ("not_started", "in_progress"),
        "priority": ("high", "critical"),
    }
    assert edit["record_version"] == bulk.json()["results"][0]["task"]["version"]
    assert patch["actor_id"] == str(staff.user_id)
    assert patch["cause"] is None
    assert changed(patch) == {
        "title": ("Draft the brief", "Draft the budget brief"),
        "priority": ("medium", "high"),
        "due_date": (None, "2027-02-01"),
    }
    assert patch["record_version"] == patched.json()["version"]
    assert creation["action"] == "created"
    assert creation["actor_id"] == str(staff.user_id)
    assert changed(creation)["title"] == (None, "Draft the brief")
    assert changed(creation)["assignee_ids"] == (
        None,
        [str(staff.user_id), str(other_staff.user_id)],
    )
    # Paged like every list.
    second = history(client, staff, task["id"], limit=1, offset=1)
    assert [entry["record_version"] for entry in second["items"]] == [patch["record_version"]]


def test_long_text_keeps_only_the_new_text_and_a_refused_change_leaves_no_entry(
    client, staff
) -> None:
    task = create(client, staff, description="First notes")
    client.patch(
        f"{TASKS}/{task['id']}", json={"description": "Second notes"}, headers=staff.headers
    )
    stale = client.patch(
        f"{TASKS}/{task['id']}",
        json={"title": "Lost"},
        headers={**staff.headers, "If-Match": f'"{task["version"]}"'},
    )
    assert stale.status_code == 412, stale.text
    entries = history(client, staff, task["id"])["items"]
    assert [entry["action"] for entry in entries] == ["updated", "created"]
    assert changed(entries[0]) == {"description": (None, "Second notes")}


def test_a_deletion_is_recorded_and_the_history_of_no_task_is_404(
    client, session: Session, staff
) -> None:
    task = create(client, staff)
    unknown = client.get(f"{TASKS}/{uuid.uuid4()}/history", headers=staff.headers)
    assert unknown.status_code == 404, unknown.text
    assert client.get(f"{TASKS}/{task['id']}/history").status_code == 401
    deleted = client.delete(f"{TASKS}/{task['id']}", headers=staff.headers)
    assert deleted.status_code == 204, deleted.text
    # The task is gone, its history stays (for the auditors' export).
    rows = session.execute(
        text("SELECT action, actor_id FROM record_history WHERE record_id = :id ORDER BY seq"),
        {"id": task["id"]},
    ).all()
    assert [(action, str(actor)) for action, actor in rows] == [
        ("created", str(staff.user_id)),
        ("deleted", str(staff.user_id)),
    ]


def test_generated_tasks_name_their_cause_and_no_person(session: Session) -> None:
    ppa_id = uuid.uuid4()
    created = Event.new(
        "ppa.created",
        producer="test",
        subject_id=ppa_id,
        data={"title": "Road", "category": "oobc_ppa", "lead_id": None, "created_by": None},
    )
    HANDLERS["ppa.created"](session, created)
    session.commit()
    rows = session.execute(
        text(
            "SELECT h.action, h.actor_id, h.cause FROM record_history h"
            " JOIN tasks t ON t.id = h.record_id WHERE t.related_ppa_id = :ppa"
        ),
        {"ppa": ppa_id},
    ).all()
    assert len(rows) == 10
    # Named as people name it: no id, no code.
    assert set(rows) == {("created", None, "generated from the PPA \u201cRoad\u201d")}


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE record_history SET cause = 'rewritten'",
        "DELETE FROM record_history",
        "TRUNCATE record_history",
    ],
)
def test_the_history_is_append_only(client, session: Session, staff, statement: str) -> None:
    create(client, staff)
    with pytest.raises(DBAPIError, match="append-only"):
        session.execute(text(statement))
    session.rollback()
    assert session.scalar(text("SELECT count(*) FROM record_history")) == 1
    assert session.scalar(text("SELECT count(*) FROM tasks")) == 1


def test_a_teams_renaming_and_its_members_are_recorded(client, manager, staff, other_staff):
    created = client.post(
        "/api/v1/teams",
        json={"name": "Field Ops", "members": [{"user_id": str(staff.user_id), "role": "lead"}]},
        headers=manager.headers,
    )
    assert created.status_code == 201, created.text
    team = created.json()
    path = f"/api/v1/teams/{team['id']}"
    renamed = client.patch(path, json={"name": "Field Operations"}, headers=manager.headers)
    assert renamed.status_code == 200, renamed.text
    replaced = client.put(
        f"{path}/members",
        json={"members": [{"user_id": str(other_staff.user_id), "role": "member"}]},
        headers=manager.headers,
    )
    assert replaced.status_code == 200, replaced.text
    # The same members again change nothing, and record nothing.
    again = client.put(
        f"{path}/members",
        json={"members": [{"user_id": str(other_staff.user_id), "role": "member"}]},
        headers=manager.headers,
    )
    assert again.status_code == 200, again.text

    answer = client.get(f"{path}/history", headers=staff.headers)
    assert answer.status_code == 200, answer.text
    members, rename, creation = answer.json()["items"]
    assert all(entry["actor_id"] == str(manager.user_id) for entry in (members, rename, creation))
    assert changed(members) == {
        "members": (
            [{"user_id": str(staff.user_id), "role": "lead"}],
            [{"user_id": str(other_staff.user_id), "role": "member"}],
        )
    }
    assert changed(rename)["name"] == ("Field Ops", "Field Operations")
    assert creation["action"] == "created"
    missing = client.get(f"/api/v1/teams/{uuid.uuid4()}/history", headers=staff.headers)
    assert missing.status_code == 404


def test_a_template_edit_is_recorded_with_who_made_it(client, manager, session: Session) -> None:
    path = "/api/v1/task-templates/ppa_budget_cycle"
    template = client.get(path, headers=manager.headers).json()
    body = {
        "domain": template["domain"],
        "description": "The budget cycle, from the call to accountability",
        "items": [
            {key: value for key, value in item.items() if key != "sequence"}
            for item in template["items"]
        ],
    }
    edited = client.put(path, json=body, headers=manager.headers)
    assert edited.status_code == 200, edited.text
    row = session.execute(
        text(
            "SELECT actor_id, changes FROM record_history WHERE record_type = 'task_template' "
            "AND record_id = CAST(:id AS uuid) AND action = 'updated' ORDER BY seq DESC LIMIT 1"
        ),
        {"id": template["id"]},
    ).one()
    assert row.actor_id == manager.user_id
    assert {change["field"] for change in row.changes} >= {"description"}


def test_the_same_assignees_in_another_order_are_no_change(client, staff, other_staff) -> None:
    """The task form sent the assignees in another order: the history said "Assignees: Norhana
    Ampatuan, Jamila Sinsuat → Jamila Sinsuat, Norhana Ampatuan" for a title-only edit."""
    people = [staff.user_id, other_staff.user_id]
    task = create(client, staff, assignee_ids=[str(p) for p in people])
    reordered = [str(p) for p in reversed(people)]
    edited = client.patch(
        f"{TASKS}/{task['id']}",
        json={"title": "Draft the brief again", "priority": "high", "assignee_ids": reordered},
        headers=staff.headers,
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["assignee_ids"] == task["assignee_ids"]  # the stored order kept
    latest = history(client, staff, task["id"])["items"][0]
    assert set(changed(latest)) == {"title", "priority"}
    # Only the order differs: nothing changes, as a PATCH of the same title changes nothing.
    same_title = client.patch(
        f"{TASKS}/{task['id']}", json={"title": "Draft the brief again"}, headers=staff.headers
    )
    only_order = client.patch(
        f"{TASKS}/{task['id']}",
        json={"assignee_ids": task["assignee_ids"][::-1]},
        headers=staff.headers,
    )
    assert same_title.json()["version"] == edited.json()["version"]
    assert only_order.json()["version"] == edited.json()["version"]
    assert len(history(client, staff, task["id"])["items"]) == 2
