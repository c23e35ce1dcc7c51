"""The task timeline of one PPA or assessment (`GET /api/v1/tasks/timeline`): its tasks by
date with what each waits for, and whether the caller may move each, by the rule that
changing the task follows."""

from __future__ import annotations

import uuid

from obcms_platform.testing import assert_error

from .helpers import TASKS, create

TIMELINE = f"{TASKS}/timeline"


def test_a_ppas_tasks_by_date_with_dependencies_and_who_may_move_them(
    client, manager, staff, other_staff
):
    ppa_id = str(uuid.uuid4())
    late = create(client, manager, title="Report", due_date="2027-03-20", related_ppa_id=ppa_id)
    early = create(
        client,
        manager,
        title="Survey",
        start_date="2027-03-01",
        due_date="2027-03-05",
        related_ppa_id=ppa_id,
        assignee_ids=[str(staff.user_id)],
    )
    undated = create(client, manager, title="Someday", related_ppa_id=ppa_id)
    client.put(f"{TASKS}/{late['id']}/dependencies/{early['id']}", headers=manager.headers)
    create(
        client,
        manager,
        title="Another PPA's",
        due_date="2027-03-02",
        related_ppa_id=str(uuid.uuid4()),
    )
    create(client, manager, title="No PPA", due_date="2027-03-02")

    answer = client.get(TIMELINE, params={"related_ppa_id": ppa_id}, headers=staff.headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [task["title"] for task in body["items"]] == ["Survey", "Report", "Someday"]
    assert (body["total"], body["shown"]) == (3, 3)
    survey, report, someday = body["items"]
    assert (survey["start_date"], survey["due_date"]) == ("2027-03-01", "2027-03-05")
    assert (report["start_date"], report["due_date"]) == (None, "2027-03-20")
    assert report["depends_on"] == [early["id"]]
    assert report["version"] == 2  # the dependency changed it
    assert someday["id"] == undated["id"]
    # The assignee may move their task, not the others; a manager may move all; another
    # staff member none.
    assert [task["editable"] for task in body["items"]] == [True, False, False]
    for caller, expected in ((manager, [True] * 3), (other_staff, [False] * 3)):
        seen = client.get(TIMELINE, params={"related_ppa_id": ppa_id}, headers=caller.headers)
        assert [task["editable"] for task in seen.json()["items"]] == expected


def test_an_assessments_tasks(client, manager, staff):
    assessment_id = str(uuid.uuid4())
    create(
        client,
        staff,
        title="Plan the survey",
        due_date="2027-02-01",
        related_assessment_id=assessment_id,
    )
    create(client, staff, title="Elsewhere", due_date="2027-02-01")
    body = client.get(
        TIMELINE, params={"related_assessment_id": assessment_id}, headers=staff.headers
    ).json()
    assert [(task["title"], task["editable"]) for task in body["items"]] == [
        ("Plan the survey", True)
    ]
    nothing = client.get(
        TIMELINE, params={"related_assessment_id": str(uuid.uuid4())}, headers=staff.headers
    )
    assert nothing.json() == {"items": [], "total": 0, "shown": 0, "limit": 500}


def test_one_record_is_required_and_ids_are_checked(client, staff):
    assert_error(client.get(TIMELINE, headers=staff.headers), 422, "related_ppa_id")
    both = {"related_ppa_id": str(uuid.uuid4()), "related_assessment_id": str(uuid.uuid4())}
    assert_error(client.get(TIMELINE, params=both, headers=staff.headers), 422, "related_ppa_id")
    assert_error(
        client.get(TIMELINE, params={"related_ppa_id": "nope"}, headers=staff.headers),
        422,
        "related_ppa_id",
    )


def test_signed_out_callers_read_nothing(client):
    assert_error(client.get(TIMELINE, params={"related_ppa_id": str(uuid.uuid4())}), 401)
