"""A write naming a person with no account, or with one switched off, is refused by the
gateway with a 422 naming the field (the public API and the pages alike); removing such a
person, or keeping them on a record an edit sends back, still works."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from gateway_helpers import ADMIN_PASSWORD, create_user, signed_in, submit

# The leave and event fields are the calendar service's.
FRONTS_CALENDAR = True

TASKS = "/api/v1/tasks"
EVENT = {
    "title": "Coordination meeting",
    "event_type": "meeting",
    "start": "2031-03-03T09:00:00+08:00",
    "end": "2031-03-03T10:00:00+08:00",
}


@pytest.fixture
def api(make_client, admin_headers) -> httpx.Client:
    """The admin's API client."""
    client = make_client()
    client.headers.update(admin_headers)
    return client


@pytest.fixture
def active(make_client, admin_headers) -> str:
    return str(create_user(make_client(), admin_headers, "staff", "Amina Datumanong")["id"])


@pytest.fixture
def inactive(api) -> str:
    """A person whose account was switched off (they left)."""
    gone = create_user(api, dict(api.headers), "staff", "Former Colleague")
    switched_off = api.patch(f"/api/v1/users/{gone['id']}", json={"is_active": False})
    assert switched_off.status_code == 200, switched_off.text
    return str(gone["id"])


def refused_field(answer: httpx.Response) -> tuple[str, str]:
    """The field a 422 in the platform's error shape names, and its message."""
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["code"] == "validation_error"
    assert error["message"] == f"{error['field']}: {error['details'][0]['message']}"
    return error["field"], error["details"][0]["message"]


def _task(api: httpx.Client, **fields: Any) -> dict[str, Any]:
    created = api.post(TASKS, json={"title": "Encode the forms", **fields})
    assert created.status_code == 201, created.text
    return dict(created.json())


def test_a_task_names_active_people_only(api, active, inactive):
    nobody = str(uuid.uuid4())
    named = api.post(TASKS, json={"title": "t", "assignee_ids": [active, nobody]})
    assert refused_field(named) == ("assignee_ids[1]", "no active person has this id")
    assert refused_field(api.post(TASKS, json={"title": "t", "assignee_ids": [inactive]})) == (
        "assignee_ids[0]",
        "no active person has this id",
    )
    # An id in any form the service reads (here a URN) is the same person to look for.
    urn = api.post(TASKS, json={"title": "t", "assignee_ids": [f"urn:uuid:{nobody}"]})
    assert refused_field(urn) == ("assignee_ids[0]", "no active person has this id")
    task = _task(api, assignee_ids=[active])
    assert task["assignee_ids"] == [active]

    # An edit names nobody unknown; someone who has left may stay on the list it sends back.
    path = f"{TASKS}/{task['id']}"
    tagged = {"If-Match": f'"{task["version"]}"'}
    unknown = api.patch(path, json={"assignee_ids": [active, nobody]}, headers=tagged)
    assert refused_field(unknown) == ("assignee_ids[1]", "no person has this id")
    assert api.get(path).json()["assignee_ids"] == [active]
    kept = api.patch(path, json={"assignee_ids": [active, inactive]}, headers=tagged)
    assert kept.status_code == 200, kept.text
    assert kept.json()["assignee_ids"] == [active, inactive]


def test_a_bulk_change_adds_active_people_and_removes_anyone(api, active, inactive):
    task = _task(api, assignee_ids=[active])
    path = f"{TASKS}/{task['id']}"
    kept = api.patch(path, json={"assignee_ids": [active, inactive]}, headers={"If-Match": '"1"'})
    assert kept.status_code == 200, kept.text
    version = kept.json()["version"]
    items = [{"id": task["id"], "version": version}]
    for changes, field in (
        ({"add_assignee_ids": [inactive]}, "changes.add_assignee_ids[0]"),
        ({"assignee_ids": [active, str(uuid.uuid4())]}, "changes.assignee_ids[1]"),
    ):
        answer = api.patch(TASKS, json={"items": items, "changes": changes})
        assert refused_field(answer) == (field, "no active person has this id")
    assert api.get(path).json()["version"] == version, "nothing changed"

    # Cleaning up: whoever is removed, known, switched off or never heard of.
    removed = api.patch(
        TASKS,
        json={"items": items, "changes": {"remove_assignee_ids": [inactive, str(uuid.uuid4())]}},
    )
    assert removed.status_code == 200, removed.text
    assert api.get(path).json()["assignee_ids"] == [active]


def test_team_members_are_people(api, active, inactive):
    name = f"Field team {uuid.uuid4().hex[:8]}"
    refused = api.post("/api/v1/teams", json={"name": name, "members": [{"user_id": inactive}]})
    assert refused_field(refused) == ("members[0].user_id", "no active person has this id")
    team = api.post("/api/v1/teams", json={"name": name, "members": [{"user_id": active}]})
    assert team.status_code == 201, team.text
    members = f"/api/v1/teams/{team.json()['id']}/members"
    unknown = api.put(members, json={"members": [{"user_id": str(uuid.uuid4())}]})
    assert refused_field(unknown) == ("members[0].user_id", "no person has this id")
    emptied = api.put(members, json={"members": []})
    assert emptied.status_code == 200, emptied.text


def test_a_ppa_lead_and_members_are_active_people(api, active, inactive):
    ppa = {"title": "Livelihood support", "category": "oobc_ppa"}
    answer = api.post("/api/v1/ppas", json={**ppa, "lead_id": inactive})
    assert refused_field(answer) == ("lead_id", "no active person has this id")
    answer = api.post("/api/v1/ppas", json={**ppa, "member_ids": [str(uuid.uuid4())]})
    assert refused_field(answer) == ("member_ids[0]", "no active person has this id")
    made = api.post("/api/v1/ppas", json={**ppa, "lead_id": active, "member_ids": [active]})
    assert made.status_code == 201, made.text


def test_leave_and_events_name_active_people(api, active, inactive):
    leave = {"leave_type": "sick", "start_date": "2031-03-03", "end_date": "2031-03-04"}
    answer = api.post("/api/v1/leaves", json={**leave, "user_id": str(uuid.uuid4())})
    assert refused_field(answer) == ("user_id", "no active person has this id")
    filed = api.post("/api/v1/leaves", json={**leave, "user_id": active})
    assert filed.status_code == 201, filed.text

    answer = api.post("/api/v1/events", json={**EVENT, "participant_ids": [active, inactive]})
    assert refused_field(answer) == ("participant_ids[1]", "no active person has this id")
    answer = api.post("/api/v1/events", json={**EVENT, "organizer_id": inactive})
    assert refused_field(answer) == ("organizer_id", "no active person has this id")
    made = api.post("/api/v1/events", json={**EVENT, "organizer_id": active})
    assert made.status_code == 201, made.text


def test_a_forged_task_form_is_refused_beside_the_assignees(make_client, api, active):
    page = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    title = f"Forged {uuid.uuid4().hex[:8]}"
    forged = submit(
        page,
        "/oobc-management/staff/tasks/create/",
        {"title": title, "domain": "general", "assignee_ids": [active, str(uuid.uuid4())]},
    )
    assert forged.status_code == 422
    assert 'id="task-assignee_ids-error"' in forged.text
    assert "No active person has this id" in forged.text
    assert api.get(TASKS, params={"q": title}).json()["items"] == []
