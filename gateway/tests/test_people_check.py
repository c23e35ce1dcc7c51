"""A write naming a person with no account, or naming anew someone whose account is switched
off, is refused by the gateway with a 422 naming the field (the public API and the pages
alike); removing such a person, or keeping them on a record an edit sends back, still works,
but an edit cannot add them."""

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
    """A person whose account was switched off (they left), named on no record."""
    gone = create_user(api, dict(api.headers), "staff", "Former Colleague")
    switch_off(api, gone["id"])
    return str(gone["id"])


@pytest.fixture
def leaving(api) -> str:
    """A person still active, to be named on a record and then switched off (`switch_off`)."""
    return str(create_user(api, dict(api.headers), "staff", "Rashid Lidasan")["id"])


def switch_off(api: httpx.Client, user_id: str) -> None:
    switched_off = api.patch(f"/api/v1/users/{user_id}", json={"is_active": False})
    assert switched_off.status_code == 200, switched_off.text


GONE = "Former Colleague is no longer active"
LEFT = "Rashid Lidasan is no longer active"


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


def tagged(record: dict[str, Any]) -> dict[str, str]:
    return {"If-Match": f'"{record["version"]}"'}


def test_a_task_names_active_people_only(api, active, inactive, leaving):
    nobody = str(uuid.uuid4())
    named = api.post(TASKS, json={"title": "t", "assignee_ids": [active, nobody]})
    assert refused_field(named) == ("assignee_ids[1]", "no active person has this id")
    refused = api.post(TASKS, json={"title": "t", "assignee_ids": [inactive]})
    assert refused_field(refused) == ("assignee_ids[0]", GONE)
    # An id in any form the service reads (here a URN) is the same person to look for.
    urn = api.post(TASKS, json={"title": "t", "assignee_ids": [f"urn:uuid:{nobody}"]})
    assert refused_field(urn) == ("assignee_ids[0]", "no active person has this id")
    task = _task(api, assignee_ids=[active, leaving])
    switch_off(api, leaving)

    # An edit names nobody unknown, and adds nobody who has left; someone who has left since
    # they were assigned may stay on the list it sends back.
    path = f"{TASKS}/{task['id']}"
    unknown = api.patch(path, json={"assignee_ids": [active, nobody]}, headers=tagged(task))
    assert refused_field(unknown) == ("assignee_ids[1]", "no person has this id")
    added = api.patch(
        path, json={"assignee_ids": [active, leaving, inactive]}, headers=tagged(task)
    )
    assert refused_field(added) == ("assignee_ids[2]", GONE)
    assert api.get(path).json()["assignee_ids"] == [active, leaving]
    sent_back = {"assignee_ids": [active, leaving], "priority": "high"}
    kept = api.patch(path, json=sent_back, headers=tagged(task))
    assert kept.status_code == 200, kept.text
    assert (kept.json()["assignee_ids"], kept.json()["priority"]) == ([active, leaving], "high")
    # Once taken off, they cannot be put back.
    dropped = api.patch(path, json={"assignee_ids": [active]}, headers=tagged(kept.json()))
    assert dropped.status_code == 200, dropped.text
    again = api.patch(
        path, json={"assignee_ids": [active, leaving]}, headers=tagged(dropped.json())
    )
    assert refused_field(again) == ("assignee_ids[1]", LEFT)


def test_a_bulk_change_adds_active_people_and_removes_anyone(api, active, inactive, leaving):
    task = _task(api, assignee_ids=[active, leaving])
    switch_off(api, leaving)
    path = f"{TASKS}/{task['id']}"
    items = [{"id": task["id"], "version": task["version"]}]
    for changes, field, message in (
        ({"add_assignee_ids": [inactive]}, "changes.add_assignee_ids[0]", GONE),
        (
            {"assignee_ids": [active, str(uuid.uuid4())]},
            "changes.assignee_ids[1]",
            "no active person has this id",
        ),
    ):
        answer = api.patch(TASKS, json={"items": items, "changes": changes})
        assert refused_field(answer) == (field, message)
    assert api.get(path).json()["version"] == task["version"], "nothing changed"

    # Cleaning up: whoever is removed, known, switched off or never heard of.
    removed = api.patch(
        TASKS,
        json={"items": items, "changes": {"remove_assignee_ids": [leaving, str(uuid.uuid4())]}},
    )
    assert removed.status_code == 200, removed.text
    assert api.get(path).json()["assignee_ids"] == [active]


def test_team_members_are_people(api, active, inactive, leaving):
    name = f"Field team {uuid.uuid4().hex[:8]}"
    refused = api.post("/api/v1/teams", json={"name": name, "members": [{"user_id": inactive}]})
    assert refused_field(refused) == ("members[0].user_id", GONE)
    team = api.post(
        "/api/v1/teams",
        json={"name": name, "members": [{"user_id": active}, {"user_id": leaving}]},
    )
    assert team.status_code == 201, team.text
    switch_off(api, leaving)
    members = f"/api/v1/teams/{team.json()['id']}/members"
    unknown = api.put(members, json={"members": [{"user_id": str(uuid.uuid4())}]})
    assert refused_field(unknown) == ("members[0].user_id", "no person has this id")
    # The list replacing the members keeps the one who left, and adds nobody who has.
    kept = [{"user_id": leaving}, {"user_id": active, "role": "lead"}]
    added = api.put(members, json={"members": [*kept, {"user_id": inactive}]})
    assert refused_field(added) == ("members[2].user_id", GONE)
    replaced = api.put(members, json={"members": kept})
    assert replaced.status_code == 200, replaced.text
    emptied = api.put(members, json={"members": []})
    assert emptied.status_code == 200, emptied.text


def test_a_ppa_lead_and_members_are_active_people(api, active, inactive, leaving):
    ppa = {"title": "Livelihood support", "category": "oobc_ppa"}
    answer = api.post("/api/v1/ppas", json={**ppa, "lead_id": inactive})
    assert refused_field(answer) == ("lead_id", GONE)
    answer = api.post("/api/v1/ppas", json={**ppa, "member_ids": [str(uuid.uuid4())]})
    assert refused_field(answer) == ("member_ids[0]", "no active person has this id")
    made = api.post("/api/v1/ppas", json={**ppa, "lead_id": leaving, "member_ids": [active]})
    assert made.status_code == 201, made.text
    switch_off(api, leaving)

    # The lead who left stays; they do not become a member, nor does anyone else who left.
    path = f"/api/v1/ppas/{made.json()['id']}"
    for change, field, message in (
        ({"member_ids": [active, leaving]}, "member_ids[1]", LEFT),
        ({"lead_id": inactive}, "lead_id", GONE),
    ):
        answer = api.patch(path, json={"lead_id": leaving, **change}, headers=tagged(made.json()))
        assert refused_field(answer) == (field, message)
    kept = api.patch(
        path, json={"lead_id": leaving, "title": "Livelihood kits"}, headers=tagged(made.json())
    )
    assert kept.status_code == 200, kept.text


def test_leave_and_events_name_active_people(api, active, inactive, leaving):
    leave = {"leave_type": "sick", "start_date": "2031-03-03", "end_date": "2031-03-04"}
    answer = api.post("/api/v1/leaves", json={**leave, "user_id": str(uuid.uuid4())})
    assert refused_field(answer) == ("user_id", "no active person has this id")
    filed = api.post("/api/v1/leaves", json={**leave, "user_id": active})
    assert filed.status_code == 201, filed.text

    answer = api.post("/api/v1/events", json={**EVENT, "participant_ids": [active, inactive]})
    assert refused_field(answer) == ("participant_ids[1]", GONE)
    answer = api.post("/api/v1/events", json={**EVENT, "organizer_id": inactive})
    assert refused_field(answer) == ("organizer_id", GONE)
    made = api.post("/api/v1/events", json={**EVENT, "organizer_id": active})
    assert made.status_code == 201, made.text


def test_an_event_edit_keeps_who_left_and_adds_nobody_who_has(api, active, inactive, leaving):
    weekly = {**EVENT, "recurrence": {"freq": "weekly", "count": 4}}
    series = api.post("/api/v1/events", json={**weekly, "participant_ids": [active, leaving]})
    assert series.status_code == 201, series.text
    switch_off(api, leaving)
    event = series.json()
    path = f"/api/v1/events/{event['id']}"

    added = api.patch(path, json={"participant_ids": [leaving, inactive]}, headers=tagged(event))
    assert refused_field(added) == ("participant_ids[1]", GONE)
    # "This and following": its changes are the event's fields, checked against the event.
    split = f"{path}/split"
    changes = {"participant_ids": [leaving, active], "organizer_id": inactive}
    answer = api.post(
        split, json={"from_date": "2031-03-17", "changes": changes}, headers=tagged(event)
    )
    assert refused_field(answer) == ("changes.organizer_id", GONE)
    del changes["organizer_id"]
    kept = api.post(
        split, json={"from_date": "2031-03-17", "changes": changes}, headers=tagged(event)
    )
    assert kept.status_code == 201, kept.text


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


def test_the_task_form_keeps_who_left_and_adds_nobody_who_has(
    make_client, api, active, inactive, leaving
):
    task = _task(api, assignee_ids=[active, leaving])
    switch_off(api, leaving)
    page = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    edit = f"/oobc-management/staff/tasks/{task['id']}/edit/"
    form = {"title": task["title"], "domain": "general", "version": task["version"]}

    added = submit(page, edit, {**form, "assignee_ids": [active, leaving, inactive]})

    assert added.status_code == 422
    assert 'id="task-assignee_ids-error"' in added.text
    assert "Former Colleague is no longer active" in added.text
    assert api.get(f"{TASKS}/{task['id']}").json()["version"] == task["version"]
    kept = submit(page, edit, {**form, "assignee_ids": [active, leaving], "priority": "high"})
    assert kept.status_code == 303, kept.text
    saved = api.get(f"{TASKS}/{task['id']}").json()
    assert (saved["assignee_ids"], saved["priority"]) == ([active, leaving], "high")
