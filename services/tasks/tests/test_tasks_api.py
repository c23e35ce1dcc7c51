"""Tasks API: create/read/update/delete and the rules of DOMAIN.md ("Tasks")."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from obcms_platform.auth import Role
from obcms_platform.testing import Caller, assert_error, make_caller
from obcms_platform.testing.concurrent_writes import (
    assert_concurrent_changes_all_apply,
    one_concurrent_change_wins,
)
from obcms_platform.testing.databases import checked_values
from obcms_platform.zones import office_today
from tasks_service.tasks.models import TaskDomain, TaskPriority, TaskStatus

from .helpers import TASKS, create, create_team, get

RELATED = ("related_ppa_id", "related_assessment_id", "related_event_id")


def patch(client: TestClient, caller: Caller, task_id: str, body: Any, **headers: str) -> Any:
    return client.patch(f"{TASKS}/{task_id}", json=body, headers={**caller.headers, **headers})


def make_team(client: TestClient, manager: Caller, name: str, *members: uuid.UUID) -> str:
    return create_team(client, manager, name, members=[{"user_id": str(m)} for m in members])["id"]


# --- create and read --------------------------------------------------------------------


def test_create_with_every_field_reads_back_every_field(client, staff, other_staff, manager):
    team_id = make_team(client, manager, "Field Ops", staff.user_id)
    dependency = create(client, staff, title="Book the venue")
    assessment_id = str(uuid.uuid4())
    body = {
        "title": "Draft the MANA survey instrument",
        "description": "Questionnaire for the barangay survey.\nTwo languages.",
        "domain": "mana",
        "status": "in_progress",
        "priority": "high",
        "start_date": (office_today() + timedelta(days=2)).isoformat(),
        "due_date": (office_today() + timedelta(days=20)).isoformat(),
        "progress": 40,
        "assignee_ids": [str(staff.user_id), str(other_staff.user_id)],
        "team_ids": [team_id],
        "related_assessment_id": assessment_id,
        "estimated_hours": 12.5,
        "actual_hours": 3.25,
        "depends_on": [dependency["id"]],
    }
    before = datetime.now(UTC)
    response = client.post(TASKS, json=body, headers=staff.headers)
    assert response.status_code == 201, response.text
    created = response.json()

    fetched = client.get(response.headers["Location"], headers=staff.headers)
    assert fetched.status_code == 200, fetched.text
    for task in (created, fetched.json()):
        for name, value in body.items():
            assert task[name] == value, name
        assert task["related_ppa_id"] is None
        assert task["related_event_id"] is None
        assert task["completed_at"] is None
        assert task["created_from_template"] is None
        assert task["auto_generated"] is False
        assert task["is_overdue"] is False
        assert task["created_by"] == str(staff.user_id)
        assert uuid.UUID(task["id"])
        created_at = datetime.fromisoformat(task["created_at"])
        assert before - timedelta(seconds=5) <= created_at <= datetime.now(UTC)
        assert datetime.fromisoformat(task["updated_at"]) >= created_at
    assert fetched.json() == created


def test_every_related_field_round_trips(client, manager):
    for name in RELATED:
        value = str(uuid.uuid4())
        task = create(client, manager, title=name, **{name: value})
        stored = get(client, manager, task["id"])
        assert stored[name] == value
        assert [other for other in RELATED if stored[other] is not None] == [name]


def test_defaults(client, staff):
    task = create(client, staff, title="Only a title")
    assert task["status"] == "not_started"
    assert task["priority"] == "medium"
    assert task["domain"] == "general"
    assert task["progress"] == 0
    assert task["description"] == ""
    assert task["assignee_ids"] == []
    assert task["team_ids"] == []
    assert task["depends_on"] == []
    assert task["start_date"] is None
    assert task["due_date"] is None
    assert task["estimated_hours"] is None
    assert task["actual_hours"] is None
    assert task["completed_at"] is None
    assert task["auto_generated"] is False
    assert get(client, staff, task["id"]) == task


def test_title_is_trimmed_and_duplicate_ids_collapse(client, staff, other_staff):
    task = create(
        client,
        staff,
        title="  Call the MSSD focal person  ",
        assignee_ids=[str(other_staff.user_id), str(staff.user_id), str(other_staff.user_id)],
    )
    assert task["title"] == "Call the MSSD focal person"
    assert task["assignee_ids"] == [str(other_staff.user_id), str(staff.user_id)]


@pytest.mark.parametrize(
    ("field", "enum"), [("status", TaskStatus), ("priority", TaskPriority), ("domain", TaskDomain)]
)
def test_every_enum_value_is_accepted(client, staff, session, field, enum):
    values = [member.value for member in enum]
    # The values the migrated database stores, no more, no fewer.
    assert set(values) == checked_values(session, "tasks", field)
    plain = create(client, staff, title="changes every time")
    for value in values:
        task = create(client, staff, title=f"{field} {value}", **{field: value})
        assert get(client, staff, task["id"])[field] == value
        response = patch(client, staff, plain["id"], {field: value})
        assert response.status_code == 200, response.text
        assert response.json()[field] == value


@pytest.mark.parametrize("field", ["status", "priority", "domain"])
def test_unknown_enum_value_is_refused(client, staff, field):
    task = create(client, staff)
    for value in ["bogus", "Completed", "IN_PROGRESS", "", " ", 3, None, ["mana"]]:
        if value is not None:
            response = client.post(TASKS, json={"title": "t", field: value}, headers=staff.headers)
            assert_error(response, 422, field)
        assert_error(patch(client, staff, task["id"], {field: value}), 422, field)
    assert get(client, staff, task["id"]) == task
    listed = client.get(TASKS, headers=staff.headers).json()
    assert [item["id"] for item in listed["items"]] == [task["id"]]


# --- completion ---------------------------------------------------------------------------


def test_completing_sets_completed_at_and_progress_and_reopening_clears_it(client, staff):
    task = create(client, staff, status="in_progress", progress=30)
    assert task["completed_at"] is None

    before = datetime.now(UTC)
    done = patch(client, staff, task["id"], {"status": "completed"})
    assert done.status_code == 200, done.text
    completed_at = datetime.fromisoformat(done.json()["completed_at"])
    assert before - timedelta(seconds=5) <= completed_at <= datetime.now(UTC) + timedelta(seconds=5)
    assert done.json()["progress"] == 100
    stored = get(client, staff, task["id"])
    assert stored["status"] == "completed"
    assert stored["progress"] == 100
    assert datetime.fromisoformat(stored["completed_at"]) == completed_at

    # An unrelated edit of a completed task keeps its completion time.
    renamed = patch(client, staff, task["id"], {"title": "Renamed"})
    assert renamed.status_code == 200, renamed.text
    assert datetime.fromisoformat(renamed.json()["completed_at"]) == completed_at

    reopened = patch(client, staff, task["id"], {"status": "at_risk"})
    assert reopened.status_code == 200, reopened.text
    assert reopened.json()["completed_at"] is None
    assert get(client, staff, task["id"])["completed_at"] is None
    # Reopened, it is not "100 %" any more: back to where it was when it was completed.
    assert reopened.json()["progress"] == 30


def test_a_reopened_task_keeps_a_progress_given_with_the_reopening_or_reached_before(client, staff):
    given = create(client, staff, status="completed")
    reopened = patch(client, staff, given["id"], {"status": "in_progress", "progress": 80})
    assert reopened.json()["progress"] == 80
    born_done = create(client, staff, status="completed")
    assert patch(client, staff, born_done["id"], {"status": "not_started"}).json()["progress"] == 0
    full = create(client, staff, status="in_progress", progress=100)
    patch(client, staff, full["id"], {"status": "completed"})
    assert patch(client, staff, full["id"], {"status": "in_progress"}).json()["progress"] == 100
    # Completed twice: the latest completion's progress before it counts.
    twice = create(client, staff, status="in_progress", progress=10)
    patch(client, staff, twice["id"], {"status": "completed"})
    patch(client, staff, twice["id"], {"status": "in_progress", "progress": 60})
    patch(client, staff, twice["id"], {"status": "completed"})
    assert patch(client, staff, twice["id"], {"status": "at_risk"}).json()["progress"] == 60


def test_reopening_returns_a_task_to_the_status_it_had_before_its_completion(
    client, staff, other_staff
):
    def reopen(task: dict[str, Any], caller: Caller = staff, **headers: str) -> Any:
        return client.post(f"{TASKS}/{task['id']}/reopen", headers={**caller.headers, **headers})

    def completed(**fields: Any) -> dict[str, Any]:
        task = create(client, staff, **fields)
        if task["status"] != "completed":
            task = patch(client, staff, task["id"], {"status": "completed"}).json()
        return task

    # Never started: Not started again (not "In progress"), its progress back to none.
    never_started = completed()
    reopened = reopen(never_started)
    assert reopened.status_code == 200, reopened.text
    assert (reopened.json()["status"], reopened.json()["progress"]) == ("not_started", 0)
    assert reopened.json()["completed_at"] is None
    assert reopened.headers["etag"] == f'"{reopened.json()["version"]}"'
    at_risk = completed(status="at_risk", progress=40)
    assert (reopen(at_risk).json()["status"], get(client, staff, at_risk["id"])["progress"]) == (
        "at_risk",
        40,
    )
    assert reopen(completed(status="completed")).json()["status"] == "not_started"
    # Started, then completed as it was made again: it was started once.
    again = completed(status="in_progress")
    reopen(again)
    patch(client, staff, again["id"], {"status": "not_started"})
    patch(client, staff, again["id"], {"status": "completed"})
    assert reopen(again).json()["status"] == "not_started"
    # Only a completed task, at the version read, by whoever may change it.
    assert_error(reopen(never_started), 409, "status")
    done = completed()
    assert reopen(done, **{"If-Match": f'"{done["version"] - 1}"'}).status_code == 412
    assert reopen(done, other_staff).status_code == 403
    assert get(client, staff, done["id"])["status"] == "completed"


def test_creating_a_completed_task_sets_completed_at_and_full_progress(client, staff):
    task = create(client, staff, status="completed", progress=20)
    assert task["progress"] == 100
    assert task["completed_at"] is not None
    assert datetime.fromisoformat(task["completed_at"]) <= datetime.now(UTC)
    assert task["is_overdue"] is False


# --- related records ----------------------------------------------------------------------


def test_two_related_records_are_refused(client, staff):
    task = create(client, staff)
    for first, second in [(0, 1), (0, 2), (1, 2)]:
        pair = {RELATED[first]: str(uuid.uuid4()), RELATED[second]: str(uuid.uuid4())}
        error = assert_error(
            client.post(TASKS, json={"title": "t", **pair}, headers=staff.headers), 422
        )
        assert error["field"] in pair
        error = assert_error(patch(client, staff, task["id"], pair), 422)
        assert error["field"] in pair
    all_three = {name: str(uuid.uuid4()) for name in RELATED}
    assert_error(client.post(TASKS, json={"title": "t", **all_three}, headers=staff.headers), 422)
    assert get(client, staff, task["id"]) == task
    assert client.get(TASKS, headers=staff.headers).json()["total"] == 1


def test_patching_another_related_record_replaces_the_old_one(client, staff, manager):
    ppa_id, event_id, assessment_id = (str(uuid.uuid4()) for _ in range(3))
    task = create(client, staff, assignee_ids=[str(staff.user_id)])
    linked = patch(client, manager, task["id"], {"related_ppa_id": ppa_id})
    assert linked.status_code == 200, linked.text

    moved = patch(client, staff, task["id"], {"related_event_id": event_id})
    assert moved.status_code == 200, moved.text
    stored = get(client, staff, task["id"])
    assert stored["related_event_id"] == event_id
    assert stored["related_ppa_id"] is None

    moved = patch(client, staff, task["id"], {"related_assessment_id": assessment_id})
    assert moved.status_code == 200, moved.text
    stored = get(client, staff, task["id"])
    assert stored["related_assessment_id"] == assessment_id
    assert stored["related_event_id"] is None
    assert stored["related_ppa_id"] is None

    # Other edits leave the link alone; null clears it.
    assert patch(client, staff, task["id"], {"title": "x"}).json()["related_assessment_id"] == (
        assessment_id
    )
    cleared = patch(client, staff, task["id"], {"related_assessment_id": None})
    assert cleared.status_code == 200, cleared.text
    assert all(get(client, staff, task["id"])[name] is None for name in RELATED)


# --- dates --------------------------------------------------------------------------------


def test_start_date_after_due_date_is_refused(client, staff):
    body = {"title": "t", "start_date": "2026-05-02", "due_date": "2026-05-01"}
    assert_error(client.post(TASKS, json=body, headers=staff.headers), 422, "due_date")
    same_day = create(client, staff, start_date="2026-05-01", due_date="2026-05-01")
    assert same_day["start_date"] == same_day["due_date"] == "2026-05-01"


def test_patch_dates_are_checked_against_the_stored_ones(client, staff):
    task = create(client, staff, start_date="2026-05-10", due_date="2026-05-20")
    assert_error(patch(client, staff, task["id"], {"start_date": "2026-05-21"}), 422, "due_date")
    assert_error(patch(client, staff, task["id"], {"due_date": "2026-05-09"}), 422, "due_date")
    stored = get(client, staff, task["id"])
    assert (stored["start_date"], stored["due_date"]) == ("2026-05-10", "2026-05-20")
    assert stored["version"] == task["version"]

    moved = patch(client, staff, task["id"], {"start_date": "2026-06-01", "due_date": "2026-06-05"})
    assert moved.status_code == 200, moved.text
    cleared = patch(client, staff, task["id"], {"due_date": None})
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["due_date"] is None
    later_start = patch(client, staff, task["id"], {"start_date": "2027-01-01"})
    assert later_start.status_code == 200, later_start.text


def test_invalid_dates_are_refused(client, staff):
    task = create(client, staff)
    for value in ["2026-02-30", "tomorrow", "1900-01-01", "9999-01-01", 20260101, "2026-1-5"]:
        for field in ("start_date", "due_date"):
            response = client.post(TASKS, json={"title": "t", field: value}, headers=staff.headers)
            assert_error(response, 422, field)
            assert_error(patch(client, staff, task["id"], {field: value}), 422, field)
    assert get(client, staff, task["id"]) == task


# --- field validation ---------------------------------------------------------------------


def test_unknown_body_field_is_refused(client, staff):
    response = client.post(TASKS, json={"title": "t", "colour": "red"}, headers=staff.headers)
    assert_error(response, 422, "colour")
    task = create(client, staff)
    assert_error(patch(client, staff, task["id"], {"colour": "red"}), 422, "colour")


def test_server_managed_fields_cannot_be_set(client, staff):
    task = create(client, staff)
    for field, value in [
        ("id", str(uuid.uuid4())),
        ("created_by", str(uuid.uuid4())),
        ("completed_at", "2026-01-01T00:00:00Z"),
        ("auto_generated", True),
        ("created_from_template", "ppa_budget_cycle"),
        ("created_at", "2026-01-01T00:00:00Z"),
        ("version", 7),
        ("is_overdue", True),
    ]:
        response = client.post(TASKS, json={"title": "t", field: value}, headers=staff.headers)
        assert_error(response, 422, field)
        assert_error(patch(client, staff, task["id"], {field: value}), 422, field)
    assert get(client, staff, task["id"]) == task


def test_bad_title_is_refused(client, staff):
    task = create(client, staff)
    assert_error(client.post(TASKS, json={}, headers=staff.headers), 422, "title")
    for title in ["", "   ", "\n\t", "x" * 301, None, 5, ["t"]]:
        response = client.post(TASKS, json={"title": title}, headers=staff.headers)
        assert_error(response, 422, "title")
        assert_error(patch(client, staff, task["id"], {"title": title}), 422, "title")
    assert get(client, staff, task["id"]) == task
    assert create(client, staff, title="x" * 300)["title"] == "x" * 300
    assert create(client, staff, title="  " + "y" * 300 + "  ")["title"] == "y" * 300


def test_out_of_range_values_are_refused(client, staff):
    task = create(client, staff)
    for field, value in [
        ("progress", 101),
        ("progress", -1),
        ("progress", 50.5),
        ("progress", "lots"),
        ("estimated_hours", -1),
        ("estimated_hours", -0.01),
        ("estimated_hours", "many"),
        ("actual_hours", -2),
        ("actual_hours", 1e12),
        ("description", "d" * 20_001),
        ("assignee_ids", ["not-a-uuid"]),
        ("assignee_ids", "me"),
        ("team_ids", [1]),
        ("depends_on", [str(uuid.uuid4()) for _ in range(201)]),
        ("related_ppa_id", "ppa-1"),
    ]:
        response = client.post(TASKS, json={"title": "t", field: value}, headers=staff.headers)
        error = assert_error(response, 422)
        assert error["field"].startswith(field), (field, value, error)
        error = assert_error(patch(client, staff, task["id"], {field: value}), 422)
        assert error["field"].startswith(field), (field, value, error)
    assert get(client, staff, task["id"]) == task


def test_boundary_values_are_accepted(client, staff):
    task = create(client, staff, progress=100, estimated_hours=0, actual_hours=0)
    assert (task["progress"], task["estimated_hours"], task["actual_hours"]) == (100, 0, 0)
    updated = patch(client, staff, task["id"], {"progress": 0, "estimated_hours": 7.75})
    assert updated.status_code == 200, updated.text
    assert (updated.json()["progress"], updated.json()["estimated_hours"]) == (0, 7.75)


def test_null_for_a_non_nullable_field_is_refused(client, staff):
    task = create(client, staff, title="Keep me", description="text")
    for field in [
        "title",
        "description",
        "domain",
        "status",
        "priority",
        "progress",
        "assignee_ids",
        "team_ids",
        "depends_on",
    ]:
        assert_error(patch(client, staff, task["id"], {field: None}), 422, field)
        response = client.post(TASKS, json={"title": "t", field: None}, headers=staff.headers)
        assert_error(response, 422, field)
    assert get(client, staff, task["id"]) == task


def test_null_clears_optional_fields(client, staff):
    task = create(
        client,
        staff,
        start_date="2026-01-01",
        due_date="2026-02-01",
        estimated_hours=4,
        actual_hours=2,
        related_event_id=str(uuid.uuid4()),
    )
    cleared = {
        name: None
        for name in (
            "start_date",
            "due_date",
            "estimated_hours",
            "actual_hours",
            "related_event_id",
        )
    }
    response = patch(client, staff, task["id"], cleared)
    assert response.status_code == 200, response.text
    stored = get(client, staff, task["id"])
    assert all(stored[name] is None for name in cleared)


# --- dependencies and teams ---------------------------------------------------------------


def test_depends_on_unknown_task_is_refused(client, staff):
    body = {"title": "t", "depends_on": [str(uuid.uuid4())]}
    assert_error(client.post(TASKS, json=body, headers=staff.headers), 422, "depends_on")
    task = create(client, staff)
    assert_error(
        patch(client, staff, task["id"], {"depends_on": [str(uuid.uuid4())]}), 422, "depends_on"
    )


def test_task_cannot_depend_on_itself(client, staff):
    task = create(client, staff)
    assert_error(patch(client, staff, task["id"], {"depends_on": [task["id"]]}), 422, "depends_on")
    assert get(client, staff, task["id"])["depends_on"] == []


def test_dependency_cycles_are_refused(client, staff):
    a = create(client, staff, title="A")
    b = create(client, staff, title="B", depends_on=[a["id"]])
    c = create(client, staff, title="C", depends_on=[b["id"]])
    # A -> C would close the loop A <- B <- C <- A (directly and through a longer chain).
    assert_error(patch(client, staff, a["id"], {"depends_on": [c["id"]]}), 422, "depends_on")
    assert_error(patch(client, staff, a["id"], {"depends_on": [b["id"]]}), 422, "depends_on")
    assert get(client, staff, a["id"])["depends_on"] == []
    # A diamond is not a cycle.
    d = patch(client, staff, c["id"], {"depends_on": [b["id"], a["id"]]})
    assert d.status_code == 200, d.text
    assert d.json()["depends_on"] == [b["id"], a["id"]]


def test_deleting_a_task_removes_it_from_others_depends_on(client, staff):
    a = create(client, staff, title="A")
    c = create(client, staff, title="C")
    b = create(client, staff, title="B", depends_on=[a["id"], c["id"]])
    d = create(client, staff, title="D", depends_on=[a["id"]])

    response = client.delete(f"{TASKS}/{a['id']}", headers=staff.headers)
    assert response.status_code == 204, response.text
    assert client.get(f"{TASKS}/{a['id']}", headers=staff.headers).status_code == 404
    assert get(client, staff, b["id"])["depends_on"] == [c["id"]]
    assert get(client, staff, d["id"])["depends_on"] == []
    # The dependants changed, so their ETag changes too.
    assert get(client, staff, b["id"])["version"] > b["version"]
    assert get(client, staff, c["id"])["version"] == c["version"]


def test_team_ids_must_reference_existing_teams(client, staff, manager):
    team_id = make_team(client, manager, "Planning", staff.user_id)
    unknown = str(uuid.uuid4())
    body = {"title": "t", "team_ids": [team_id, unknown]}
    error = assert_error(client.post(TASKS, json=body, headers=staff.headers), 422, "team_ids")
    assert unknown in error["message"]
    task = create(client, staff, team_ids=[team_id])
    assert task["team_ids"] == [team_id]
    assert_error(patch(client, staff, task["id"], {"team_ids": [unknown]}), 422, "team_ids")
    assert get(client, staff, task["id"])["team_ids"] == [team_id]


# --- lookups ------------------------------------------------------------------------------


def test_unknown_task_is_404(client, staff, manager):
    missing = f"{TASKS}/{uuid.uuid4()}"
    assert_error(client.get(missing, headers=staff.headers), 404)
    assert_error(client.patch(missing, json={"title": "x"}, headers=staff.headers), 404)
    assert_error(client.delete(missing, headers=manager.headers), 404)


def test_malformed_task_id_is_422(client, staff, manager):
    for bad_id in ["123", "not-a-uuid", "0" * 40, "%20"]:
        url = f"{TASKS}/{bad_id}"
        assert_error(client.get(url, headers=staff.headers), 422, "task_id")
        assert_error(client.patch(url, json={"title": "x"}, headers=staff.headers), 422, "task_id")
        assert_error(client.delete(url, headers=manager.headers), 422, "task_id")


def test_requests_without_credentials_are_refused(client, staff):
    task = create(client, staff)
    assert_error(client.get(f"{TASKS}/{task['id']}"), 401)
    assert_error(client.get(TASKS), 401)
    assert_error(client.post(TASKS, json={"title": "t"}), 401)
    bad = {"Authorization": "Bearer not-a-token"}
    assert_error(client.patch(f"{TASKS}/{task['id']}", json={"title": "x"}, headers=bad), 401)
    assert get(client, staff, task["id"])["title"] == "A task"


# --- versions ----------------------------------------------------------------------------


def test_etag_and_if_match(client, staff):
    response = client.post(TASKS, json={"title": "t"}, headers=staff.headers)
    assert response.headers["ETag"] == '"1"'
    task_id = response.json()["id"]
    assert client.get(f"{TASKS}/{task_id}", headers=staff.headers).headers["ETag"] == '"1"'

    updated = patch(client, staff, task_id, {"title": "u"}, **{"If-Match": '"1"'})
    assert updated.status_code == 200, updated.text
    assert updated.headers["ETag"] == '"2"'
    assert client.get(f"{TASKS}/{task_id}", headers=staff.headers).headers["ETag"] == '"2"'

    stale = patch(client, staff, task_id, {"title": "stale"}, **{"If-Match": '"1"'})
    assert_error(stale, 412)
    assert get(client, staff, task_id)["title"] == "u"

    weak = patch(client, staff, task_id, {"title": "v"}, **{"If-Match": 'W/"2"'})
    assert weak.status_code == 200, weak.text
    assert weak.headers["ETag"] == '"3"'
    anything = patch(client, staff, task_id, {"title": "w"}, **{"If-Match": "*"})
    assert anything.status_code == 200, anything.text
    assert_error(patch(client, staff, task_id, {"title": "x"}, **{"If-Match": "abc"}), 422)
    assert get(client, staff, task_id)["title"] == "w"


def test_delete_with_stale_if_match_is_412(client, staff):
    task = create(client, staff)
    assert patch(client, staff, task["id"], {"title": "changed"}).status_code == 200
    stale = client.delete(f"{TASKS}/{task['id']}", headers={**staff.headers, "If-Match": '"1"'})
    assert_error(stale, 412)
    assert get(client, staff, task["id"])["title"] == "changed"
    current = client.delete(f"{TASKS}/{task['id']}", headers={**staff.headers, "If-Match": '"2"'})
    assert current.status_code == 204, current.text
    assert client.get(f"{TASKS}/{task['id']}", headers=staff.headers).status_code == 404


def test_a_failed_patch_changes_nothing(client, staff):
    task = create(client, staff, title="Original", priority="low")
    bad = patch(client, staff, task["id"], {"priority": "high", "progress": 500})
    assert_error(bad, 422, "progress")
    also_bad = patch(
        client, staff, task["id"], {"priority": "high", "depends_on": [str(uuid.uuid4())]}
    )
    assert_error(also_bad, 422, "depends_on")
    stored = get(client, staff, task["id"])
    assert (stored["priority"], stored["version"]) == ("low", 1)


def test_concurrent_patches_of_the_same_version_exactly_one_wins(client, staff):
    task = create(client, staff)
    winner, losers = one_concurrent_change_wins(
        lambda change: patch(client, staff, task["id"], change, **{"If-Match": '"1"'}),
        [{"title": f"edit {n}"} for n in range(5)],
    )
    assert all(r.status_code in (409, 412) for r in losers), [r.text for r in losers]
    assert all(r.json()["error"]["status"] == r.status_code for r in losers)
    assert winner.headers["ETag"] == '"2"'
    stored = get(client, staff, task["id"])
    assert stored["title"] == winner.json()["title"]
    assert stored["version"] == 2


def test_concurrent_patches_without_if_match_all_apply(client, staff):
    task = create(client, staff)
    fields = [
        {"title": "renamed"},
        {"priority": "critical"},
        {"progress": 60},
        {"description": "details"},
        {"domain": "policy"},
        {"estimated_hours": 3},
    ]
    assert_concurrent_changes_all_apply(
        lambda body: patch(client, staff, task["id"], body),
        lambda: get(client, staff, task["id"]),
        fields,
    )


# --- permissions --------------------------------------------------------------------------


def test_staff_cannot_change_or_delete_a_task_assigned_to_someone_else(client, staff, other_staff):
    task = create(client, staff, assignee_ids=[str(staff.user_id)])
    assert_error(patch(client, other_staff, task["id"], {"title": "mine now"}), 403)
    assert_error(client.delete(f"{TASKS}/{task['id']}", headers=other_staff.headers), 403)
    stored = get(client, other_staff, task["id"])  # reading is allowed
    assert stored["title"] == "A task"


def test_assignee_can_change_but_not_delete(client, staff, manager):
    task = create(client, manager, assignee_ids=[str(staff.user_id)])
    response = patch(client, staff, task["id"], {"status": "in_progress", "progress": 10})
    assert response.status_code == 200, response.text
    assert_error(client.delete(f"{TASKS}/{task['id']}", headers=staff.headers), 403)
    assert get(client, staff, task["id"])["status"] == "in_progress"


def test_team_member_can_change_a_task_assigned_to_the_team(client, staff, other_staff, manager):
    team_id = make_team(client, manager, "Survey team", staff.user_id)
    task = create(client, manager, team_ids=[team_id])
    assert patch(client, staff, task["id"], {"progress": 25}).status_code == 200
    assert_error(patch(client, other_staff, task["id"], {"progress": 50}), 403)
    assert get(client, staff, task["id"])["progress"] == 25


def test_creator_can_delete_even_when_assigned_to_others(client, staff, other_staff):
    task = create(client, staff, assignee_ids=[str(other_staff.user_id)])
    assert patch(client, staff, task["id"], {"title": "creator edit"}).status_code == 200
    response = client.delete(f"{TASKS}/{task['id']}", headers=staff.headers)
    assert response.status_code == 204, response.text
    assert client.get(f"{TASKS}/{task['id']}", headers=staff.headers).status_code == 404


def test_manager_and_admin_can_change_and_delete_any_task(client, staff, other_staff):
    for role in (Role.MANAGER, Role.ADMIN):
        boss = make_caller(role)
        task = create(client, staff, assignee_ids=[str(other_staff.user_id)])
        changed = patch(client, boss, task["id"], {"priority": "critical"})
        assert changed.status_code == 200, changed.text
        response = client.delete(f"{TASKS}/{task['id']}", headers=boss.headers)
        assert response.status_code == 204, response.text
        assert client.get(f"{TASKS}/{task['id']}", headers=staff.headers).status_code == 404


def test_permissions_say_what_the_routes_then_allow(client, staff, other_staff, manager):
    """What a task page offers (GET /tasks/{id}/permissions) is what its routes then do."""
    creator, stranger = make_caller(Role.STAFF), make_caller(Role.STAFF)
    team_id = make_team(client, manager, "Survey team", staff.user_id)
    expected = {
        "team member": (staff, {"update": True, "delete": False}),
        "assignee": (other_staff, {"update": True, "delete": False}),
        "creator": (creator, {"update": True, "delete": True}),
        "stranger": (stranger, {"update": False, "delete": False}),
        "manager": (manager, {"update": True, "delete": True}),
    }
    for who, (caller, permissions) in expected.items():
        task = create(client, creator, assignee_ids=[str(other_staff.user_id)], team_ids=[team_id])
        url = f"{TASKS}/{task['id']}"
        said = client.get(f"{url}/permissions", headers=caller.headers)
        assert said.status_code == 200, said.text
        assert said.json() == permissions, who
        done = {
            "update": patch(client, caller, task["id"], {"progress": 5}).status_code == 200,
            "delete": client.delete(url, headers=caller.headers).status_code == 204,
        }
        assert done == permissions, who
    assert_error(client.get(f"{TASKS}/{uuid.uuid4()}/permissions", headers=staff.headers), 404)


def test_a_lists_permitted_tasks_are_those_each_route_then_lets_change(
    client, staff, other_staff, manager
):
    """A list offers its quick actions on what GET /tasks/permitted names: the same rule as
    each task's PATCH, for many tasks in one request."""
    creator, stranger = make_caller(Role.STAFF), make_caller(Role.STAFF)
    team_id = make_team(client, manager, "Permitted team", staff.user_id)
    by_team = create(client, creator, team_ids=[team_id])
    assigned = create(client, creator, assignee_ids=[str(other_staff.user_id)])
    own = create(client, stranger)
    ids = [by_team["id"], assigned["id"], own["id"], str(uuid.uuid4())]  # and one unknown
    for caller in (staff, other_staff, creator, stranger, manager):
        said = client.get(
            f"{TASKS}/permitted", params=[("id", i) for i in ids], headers=caller.headers
        )
        assert said.status_code == 200, said.text
        done = {
            task["id"]
            for task in (by_team, assigned, own)
            if patch(client, caller, task["id"], {"progress": 5}).status_code == 200
        }
        assert set(said.json()["update"]) == done, caller
    assert_error(client.get(f"{TASKS}/permitted", headers=staff.headers), 422)
    too_many = [("id", str(uuid.uuid4())) for _ in range(201)]
    assert_error(client.get(f"{TASKS}/permitted", params=too_many, headers=staff.headers), 422)


def test_an_unassigned_task_is_its_creators_until_assigned(client, staff, other_staff, manager):
    """Unassigned work is not open to everyone (it used to be): its creator and managers."""
    task = create(client, staff)
    taken = patch(client, other_staff, task["id"], {"assignee_ids": [str(other_staff.user_id)]})
    assert_error(taken, 403)
    assigned = patch(client, manager, task["id"], {"assignee_ids": [str(other_staff.user_id)]})
    assert assigned.status_code == 200, assigned.text
    # Now assigned to other_staff: they work it, but only its creator deletes it.
    assert patch(client, other_staff, task["id"], {"status": "in_progress"}).status_code == 200
    assert_error(client.delete(f"{TASKS}/{task['id']}", headers=other_staff.headers), 403)
    third = make_caller(Role.STAFF)
    assert_error(patch(client, third, task["id"], {"title": "x"}), 403)


# --- computed fields ----------------------------------------------------------------------


def test_is_overdue(client, staff):
    yesterday = (office_today() - timedelta(days=1)).isoformat()
    cases = [
        ({"due_date": yesterday}, True),
        ({"due_date": yesterday, "status": "in_progress"}, True),
        ({"due_date": yesterday, "status": "at_risk"}, True),
        ({"due_date": yesterday, "status": "completed"}, False),
        ({"due_date": office_today().isoformat()}, False),
        ({"due_date": (office_today() + timedelta(days=1)).isoformat()}, False),
        ({}, False),
    ]
    for fields, overdue in cases:
        task = create(client, staff, **fields)
        assert task["is_overdue"] is overdue, fields
        assert get(client, staff, task["id"])["is_overdue"] is overdue, fields
    late = create(client, staff, due_date=yesterday)
    done = patch(client, staff, late["id"], {"status": "completed"})
    assert done.json()["is_overdue"] is False
    reopened = patch(client, staff, late["id"], {"status": "in_progress"})
    assert reopened.json()["is_overdue"] is True


# --- no 500 for bad input -----------------------------------------------------------------

MALFORMED_BODIES = [
    b"{",
    b'{"title": "t",}',
    b"not json",
    b"",
    b"null",
    b"[]",
    b'[{"title": "t"}]',
    b'"title"',
    b"42",
    b'{"title": "t", "estimated_hours": NaN}',
    b'{"title": "t", "actual_hours": Infinity}',
    b'{"title": "t", "progress": 1e400}',
    b'{"title": "t", "progress": 99999999999999999999999}',
    b'{"title": "t", "due_date": "2026-13-01"}',
    b"\xff\xfe",
]


def test_malformed_bodies_are_422(client, staff):
    headers = {**staff.headers, "Content-Type": "application/json"}
    task = create(client, staff)
    for content in MALFORMED_BODIES:
        assert_error(client.post(TASKS, content=content, headers=headers), 422)
        response = client.patch(f"{TASKS}/{task['id']}", content=content, headers=headers)
        assert_error(response, 422)
    as_text = {**staff.headers, "Content-Type": "text/plain"}
    assert_error(client.post(TASKS, content=b'{"title": "t"}', headers=as_text), 422)
    assert get(client, staff, task["id"]) == task
    assert client.get(TASKS, headers=staff.headers).json()["total"] == 1


def test_text_postgresql_cannot_store_is_422(client, staff):
    headers = {**staff.headers, "Content-Type": "application/json"}
    task = create(client, staff)
    for field, value in [
        ("title", "null\x00byte"),
        ("description", "null\x00byte"),
        ("title", "\ud800"),
    ]:
        body = json.dumps({"title": "t", field: value}).encode()
        assert_error(client.post(TASKS, content=body, headers=headers), 422, field)
        body = json.dumps({field: value}).encode()
        response = client.patch(f"{TASKS}/{task['id']}", content=body, headers=headers)
        assert_error(response, 422, field)
    assert get(client, staff, task["id"]) == task


def test_text_round_trips_unicode(client, staff):
    title = "Konsultasyon sa Cotabato — ñ, 日本語, emoji 🎉"
    task = create(client, staff, title=title, description="Line 1\r\nLine 2\ttab")
    stored = get(client, staff, task["id"])
    assert stored["title"] == title
    assert stored["description"] == "Line 1\r\nLine 2\ttab"
