"""Bulk change of tasks (`PATCH /api/v1/tasks`): each task answers as its own PATCH would
(200, or 403 / 404 / 412 / 422 with the reason), the others are changed all the same, each
change is announced once, and two people changing the same tasks at once lose nothing."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from obcms_platform.testing import wrongly_refused
from obcms_platform.zones import office_today
from tasks_service.db import bus

TASKS = "/api/v1/tasks"


def create(client, caller, **fields: Any) -> dict[str, Any]:
    response = client.post(TASKS, json={"title": "Task", **fields}, headers=caller.headers)
    assert response.status_code == 201, response.text
    return response.json()


def bulk(client, caller, items: list[dict[str, Any]], changes: dict[str, Any]) -> Any:
    body = {"items": items, "changes": changes}
    return client.patch(TASKS, json=body, headers=caller.headers)


def item(task: dict[str, Any], version: int | None = None) -> dict[str, Any]:
    return {"id": task["id"], "version": task["version"] if version is None else version}


def events(session: Session, task_ids: list[str]) -> list[tuple[str, str]]:
    """The (event type, task id) of the outbox rows about these tasks, oldest first."""
    rows = session.execute(
        select(bus.outbox.c.event_type, bus.outbox.c.payload).order_by(bus.outbox.c.created_at)
    )
    return [
        (row.event_type, row.payload["data"]["task_id"])
        for row in rows
        if row.payload["data"]["task_id"] in task_ids
    ]


def test_each_task_answers_as_its_own_patch_would(client, session, staff, other_staff):
    mine = [create(client, staff, assignee_ids=[str(staff.user_id)]) for _ in range(3)]
    stale = create(client, staff)
    moved = client.patch(
        f"{TASKS}/{stale['id']}", json={"title": "Renamed meanwhile"}, headers=staff.headers
    )
    assert moved.status_code == 200, moved.text
    theirs = create(client, other_staff, assignee_ids=[str(other_staff.user_id)])
    unknown = {"id": str(uuid.uuid4()), "version": 1}
    touched = [task["id"] for task in [*mine, stale, theirs]]
    before = len(events(session, touched))

    items = [item(mine[0]), item(stale), item(theirs), unknown, item(mine[1]), item(mine[2])]
    response = bulk(client, staff, items, {"status": "in_progress", "priority": "high"})

    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [result["id"] for result in results] == [entry["id"] for entry in items]
    assert [result["status"] for result in results] == [200, 412, 403, 404, 200, 200]
    for result in results:
        if result["status"] == 200:
            assert result["error"] is None
            assert (result["task"]["status"], result["task"]["priority"]) == ("in_progress", "high")
            assert result["task"]["version"] == 2
        else:
            assert result["task"] is None
            assert result["error"]["message"]
    codes = [result["error"]["code"] for result in results if result["error"]]
    assert codes == ["precondition_failed", "forbidden", "not_found"]
    # The refused tasks are as they were.
    for task, owner in ((stale, staff), (theirs, other_staff)):
        current = client.get(f"{TASKS}/{task['id']}", headers=owner.headers).json()
        assert (current["status"], current["priority"]) == ("not_started", "medium")
    # One event per changed task, none for the refused ones.
    session.expire_all()
    sent = events(session, touched)[before:]
    assert sorted(sent) == sorted(("task.updated", task["id"]) for task in mine)


def test_completing_many_tasks_and_clearing_their_due_date(client, session, manager, staff):
    due = (office_today() + timedelta(days=3)).isoformat()
    tasks = [create(client, staff, due_date=due) for _ in range(2)]
    # A manager may change anyone's tasks.
    response = bulk(client, manager, [item(t) for t in tasks], {"status": "completed"})
    assert response.status_code == 200, response.text
    assert [r["status"] for r in response.json()["results"]] == [200, 200]
    assert all(r["task"]["completed_at"] for r in response.json()["results"])
    sent = events(session, [t["id"] for t in tasks])
    assert [kind for kind, _ in sent].count("task.completed") == 2

    items = [item(r["task"]) for r in response.json()["results"]]
    cleared = bulk(client, staff, items, {"due_date": None})
    assert [r["status"] for r in cleared.json()["results"]] == [200, 200]
    assert [r["task"]["due_date"] for r in cleared.json()["results"]] == [None, None]


def test_a_task_the_change_does_not_fit_is_422_and_the_others_change(client, staff):
    today = office_today()
    starts_later = create(client, staff, start_date=(today + timedelta(days=10)).isoformat())
    plain = create(client, staff)
    due = (today + timedelta(days=5)).isoformat()
    response = bulk(client, staff, [item(starts_later), item(plain)], {"due_date": due})
    results = response.json()["results"]
    assert [r["status"] for r in results] == [422, 200]
    assert results[0]["error"]["field"] == "due_date"
    assert results[1]["task"]["due_date"] == due


def test_assigning_many_tasks_hands_them_over(client, staff, other_staff):
    tasks = [create(client, staff, assignee_ids=[str(staff.user_id)]) for _ in range(2)]
    body = {"assignee_ids": [str(other_staff.user_id)]}
    response = bulk(client, staff, [item(t) for t in tasks], body)
    assert [r["status"] for r in response.json()["results"]] == [200, 200]
    theirs = client.get(TASKS, params={"assignee": "me"}, headers=other_staff.headers).json()
    assert {task["id"] for task in theirs["items"]} == {t["id"] for t in tasks}


def test_two_people_changing_the_same_tasks_at_once_lose_nothing(client, manager, staff):
    tasks = [create(client, staff) for _ in range(30)]
    items = [item(task) for task in tasks]
    changes = {"first": {"status": "in_progress"}, "second": {"priority": "critical"}}
    answers: dict[str, list[dict[str, Any]]] = {}
    start = threading.Barrier(2)

    def change(name: str) -> None:
        start.wait()
        response = bulk(client, manager, items, changes[name])
        assert response.status_code == 200, response.text
        answers[name] = response.json()["results"]

    threads = [threading.Thread(target=change, args=(name,)) for name in changes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    for index, task in enumerate(tasks):
        statuses = {name: answers[name][index]["status"] for name in changes}
        # Both saw version 1: exactly one wins, the other is told the task moved on.
        assert sorted(statuses.values()) == [200, 412], statuses
        winner = next(name for name, status in statuses.items() if status == 200)
        current = client.get(f"{TASKS}/{task['id']}", headers=staff.headers).json()
        assert current["version"] == 2
        expected = {"status": "not_started", "priority": "medium", **changes[winner]}
        assert (current["status"], current["priority"]) == (
            expected["status"],
            expected["priority"],
        )


def test_bad_bulk_requests_are_422_naming_the_field(client, staff):
    task = create(client, staff)
    one = [item(task)]
    too_many = [{"id": str(uuid.uuid4()), "version": 1} for _ in range(201)]
    cases: list[tuple[Any, str]] = [
        ({"items": too_many, "changes": {"status": "completed"}}, "items"),
        ({"items": [], "changes": {"status": "completed"}}, "items"),
        ({"items": one + one, "changes": {"status": "completed"}}, "items"),
        ({"items": one, "changes": {}}, "changes"),
        ({"items": one}, "changes"),
        ({"changes": {"status": "completed"}}, "items"),
        ({"items": one, "changes": {"status": None}}, "changes.status"),
        ({"items": one, "changes": {"assignee_ids": None}}, "changes.assignee_ids"),
        ({"items": one, "changes": {"status": "done"}}, "changes.status"),
        ({"items": one, "changes": {"title": "Not in bulk"}}, "changes.title"),
        ({"items": [{"id": task["id"], "version": 0}], "changes": {"priority": "low"}}, "items"),
        ({"items": [{"id": "x", "version": 1}], "changes": {"priority": "low"}}, "items"),
    ]
    wrong = wrongly_refused(
        cases, lambda body: client.patch(TASKS, json=body, headers=staff.headers)
    )
    assert wrong == []
    # Nothing changed.
    current = client.get(f"{TASKS}/{task['id']}", headers=staff.headers).json()
    assert current["version"] == 1


def test_two_hundred_tasks_at_once(client, staff):
    tasks = [create(client, staff) for _ in range(200)]
    response = bulk(client, staff, [item(t) for t in tasks], {"priority": "low"})
    assert response.status_code == 200, response.text
    assert {r["status"] for r in response.json()["results"]} == {200}


def test_bulk_change_needs_credentials(client):
    body = {"items": [{"id": str(uuid.uuid4()), "version": 1}], "changes": {"priority": "low"}}
    assert client.patch(TASKS, json=body).status_code == 401


def history_total(client, caller, task: dict[str, Any]) -> int:
    response = client.get(f"{TASKS}/{task['id']}/history", headers=caller.headers)
    assert response.status_code == 200, response.text
    return int(response.json()["total"])


def test_adding_an_assignee_keeps_the_others_and_leaves_who_has_them_alone(
    client, session, staff, other_staff, manager
):
    me, them = str(staff.user_id), str(other_staff.user_id)
    alone = create(client, staff, title="Alone", assignee_ids=[me])
    with_them = create(client, staff, title="With them", assignee_ids=[me, them])
    also_alone = create(client, staff, title="Also alone", assignee_ids=[me])
    theirs = create(client, other_staff, title="Theirs", assignee_ids=[them])
    tasks = [alone, with_them, also_alone, theirs]
    before = len(events(session, [t["id"] for t in tasks]))

    response = bulk(client, staff, [item(t) for t in tasks], {"add_assignee_ids": [them]})

    assert response.status_code == 200, response.text
    results = response.json()["results"]
    # Each task is still judged as a single change: not the caller's to work is 403.
    assert [(r["status"], r["changed"]) for r in results] == [
        (200, True),
        (200, False),
        (200, True),
        (403, False),
    ]
    assert [r["task"]["assignee_ids"] for r in results[:3]] == [[me, them]] * 3
    assert [r["task"]["version"] for r in results[:3]] == [2, 1, 2]
    # The one that had them already: no history entry, no event.
    assert [history_total(client, staff, t) for t in (alone, with_them)] == [2, 1]
    session.expire_all()
    sent = events(session, [t["id"] for t in tasks])[before:]
    assert sorted(sent) == sorted(("task.updated", t["id"]) for t in (alone, also_alone))

    # A task already as asked still answers 412 when the caller saw an older version.
    stale = bulk(client, manager, [item(with_them, version=7)], {"add_assignee_ids": [them]})
    assert [(r["status"], r["changed"]) for r in stale.json()["results"]] == [(412, False)]


def test_removing_an_assignee_keeps_the_others(client, session, staff, other_staff):
    me, them = str(staff.user_id), str(other_staff.user_id)
    with_them = create(client, staff, assignee_ids=[them, me])
    without = create(client, staff, assignee_ids=[me])
    before = len(events(session, [with_them["id"], without["id"]]))

    changes = {"remove_assignee_ids": [them], "priority": "high"}
    response = bulk(client, staff, [item(with_them), item(without)], changes)
    results = response.json()["results"]
    assert [(r["status"], r["changed"]) for r in results] == [(200, True), (200, True)]
    assert [r["task"]["assignee_ids"] for r in results] == [[me], [me]]
    assert [r["task"]["priority"] for r in results] == ["high", "high"]

    again = bulk(client, staff, [item(r["task"]) for r in results], {"remove_assignee_ids": [them]})
    assert [(r["status"], r["changed"]) for r in again.json()["results"]] == [(200, False)] * 2
    session.expire_all()
    assert len(events(session, [with_them["id"], without["id"]])) - before == 2


def test_adding_past_the_most_assignees_is_422_for_that_task(client, staff):
    crowd = [str(uuid.uuid4()) for _ in range(199)]
    full = create(client, staff, assignee_ids=[str(staff.user_id), *crowd])
    roomy = create(client, staff, assignee_ids=[str(staff.user_id)])
    newcomer = str(uuid.uuid4())
    response = bulk(client, staff, [item(full), item(roomy)], {"add_assignee_ids": [newcomer]})
    results = response.json()["results"]
    assert [r["status"] for r in results] == [422, 200]
    assert results[0]["error"]["field"] == "changes.add_assignee_ids"
    assert results[1]["task"]["assignee_ids"] == [str(staff.user_id), newcomer]


def test_adding_or_removing_assignees_refuses_what_does_not_add_up(client, staff):
    task = create(client, staff)
    one = [item(task)]
    someone = str(uuid.uuid4())
    cases: list[tuple[Any, str]] = [
        (
            {"items": one, "changes": {"assignee_ids": [], "add_assignee_ids": [someone]}},
            "changes.add_assignee_ids",
        ),
        (
            {"items": one, "changes": {"assignee_ids": [], "remove_assignee_ids": [someone]}},
            "changes.remove_assignee_ids",
        ),
        (
            {
                "items": one,
                "changes": {"add_assignee_ids": [someone], "remove_assignee_ids": [someone]},
            },
            "changes.remove_assignee_ids",
        ),
        ({"items": one, "changes": {"add_assignee_ids": []}}, "changes.add_assignee_ids"),
        ({"items": one, "changes": {"add_assignee_ids": None}}, "changes.add_assignee_ids"),
        ({"items": one, "changes": {"remove_assignee_ids": ["x"]}}, "changes.remove_assignee_ids"),
    ]
    wrong = wrongly_refused(
        cases, lambda body: client.patch(TASKS, json=body, headers=staff.headers)
    )
    assert wrong == []
    assert client.get(f"{TASKS}/{task['id']}", headers=staff.headers).json()["version"] == 1


def test_a_hand_over_says_why_in_each_history_and_its_events_name_it_once(
    client, session, staff, other_staff, manager
):
    """A colleague's tasks handed over in one change: each task's history gives the reason
    sent, and each event names the one change (the notifications service sums it up for the
    people it assigns instead of one message per task)."""
    me, them = str(staff.user_id), str(other_staff.user_id)
    tasks = [create(client, staff, assignee_ids=[me]) for _ in range(2)]
    changes = {"add_assignee_ids": [them], "remove_assignee_ids": [me]}
    body = {"items": [item(t) for t in tasks], "changes": changes}
    response = client.patch(
        TASKS, json={**body, "reason": "handed over from Rashid Lidasan"}, headers=manager.headers
    )
    assert [r["status"] for r in response.json()["results"]] == [200, 200]
    for task in tasks:
        entries = client.get(f"{TASKS}/{task['id']}/history", headers=staff.headers).json()
        assert entries["items"][0]["cause"] == "handed over from Rashid Lidasan"

    session.expire_all()
    rows = session.execute(select(bus.outbox.c.payload)).scalars().all()
    named = [row["data"] for row in rows if row["data"]["task_id"] in {t["id"] for t in tasks}]
    changed = [data for data in named if data["assignee_ids"] == [them]]
    assert len(changed) == 2
    assert changed[0]["bulk_id"] is not None
    assert {data["bulk_id"] for data in changed} == {changed[0]["bulk_id"]}
    assert {data["bulk_reason"] for data in changed} == {"handed over from Rashid Lidasan"}
    # One task alone is no bulk to sum up: told as its own change.
    single = create(client, staff, assignee_ids=[me])
    alone = bulk(client, staff, [item(single)], {"add_assignee_ids": [them]})
    assert alone.json()["results"][0]["status"] == 200
    session.expire_all()
    rows = session.execute(select(bus.outbox.c.payload)).scalars().all()
    last = [row["data"] for row in rows if row["data"]["task_id"] == single["id"]][-1]
    assert last["bulk_id"] is None
    entries = client.get(f"{TASKS}/{single['id']}/history", headers=staff.headers).json()
    assert entries["items"][0]["cause"] == "bulk change of 1 tasks"


def test_a_bulk_reason_is_words_of_a_line(client, staff):
    task = create(client, staff)
    longest = {"items": [item(task)], "changes": {"priority": "low"}, "reason": "x" * 300}
    said = client.patch(TASKS, json=longest, headers=staff.headers)
    assert said.status_code == 200, said.text
    entries = client.get(f"{TASKS}/{task['id']}/history", headers=staff.headers).json()
    assert entries["items"][0]["cause"] == "x" * 300
    one = [item(said.json()["results"][0]["task"])]
    cases: list[tuple[Any, str]] = [
        ({"items": one, "changes": {"priority": "low"}, "reason": ""}, "reason"),
        ({"items": one, "changes": {"priority": "low"}, "reason": "x" * 301}, "reason"),
        ({"items": one, "changes": {"priority": "low"}, "reason": 5}, "reason"),
    ]
    wrong = wrongly_refused(
        cases, lambda body: client.patch(TASKS, json=body, headers=staff.headers)
    )
    assert wrong == []
