"""Task pages against the real tasks service: list pagination and filters, "My tasks", the
detail page with its edit form, complete / reopen and delete."""

from __future__ import annotations

import re
import uuid

import httpx
from gateway_helpers import ADMIN_PASSWORD, create_user, signed_in, submit

TASKS = "/oobc-management/staff/tasks/"


def _create_task(client: httpx.Client, title: str, **fields: str) -> str:
    created = submit(
        client,
        TASKS + "create/",
        {"title": title, "domain": "general", "status": "not_started", **fields},
    )
    assert created.status_code == 303, created.text
    listing = client.get(TASKS, params={"status": fields.get("status", "not_started")})
    found = re.search(rf'href="{TASKS}([0-9a-f-]{{36}})/">{re.escape(title)}<', listing.text)
    assert found, "the list links the new task"
    return found.group(1)


def test_task_pages_need_a_login(make_client):
    anonymous = make_client()
    for path in (TASKS, TASKS + "mine/", f"{TASKS}{uuid.uuid4()}/"):
        response = anonymous.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/accounts/login/?next=")
    refused = anonymous.post(f"{TASKS}{uuid.uuid4()}/complete/")
    assert refused.status_code in (303, 403)


def test_task_detail_edit_complete_reopen_and_delete(make_client, admin_headers):
    client = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    marker = uuid.uuid4().hex[:8]
    task = _create_task(client, f"Draft memo {marker}", priority="high")
    page = f"{TASKS}{task}/"
    detail = client.get(page)
    assert detail.status_code == 200
    assert f"Draft memo {marker}" in detail.text

    team = make_client().post(
        "/api/v1/teams", json={"name": f"Team {marker}"}, headers=admin_headers
    )
    assert team.status_code == 201, team.text
    edited = client.post(
        page + "edit/",
        data={
            "title": f"Final memo {marker}",
            "description": "two pages",
            "domain": "policy",
            "status": "in_progress",
            "priority": "critical",
            "start_date": "2031-01-05",
            "due_date": "2031-01-20",
            "assignees": "",
            "assign_to_me": "1",
            "team_ids": team.json()["id"],
            "csrftoken": client.cookies["csrftoken"],
        },
    )
    assert edited.status_code == 303
    assert edited.headers["location"] == page
    after = client.get(page).text
    assert f"Final memo {marker}" in after
    assert "2031-01-20" in after
    assert "admin (me)" in after
    assert f"Team {marker}</option>" in after
    assert "selected>" in after

    mine = client.get(TASKS + "mine/")
    assert mine.status_code == 200
    assert f"Final memo {marker}" in mine.text
    assert "My tasks" in mine.text

    assert submit(client, page + "complete/").status_code == 303
    completed = client.get(page).text
    assert "badge-completed" in completed
    assert "Reopen" in completed
    assert submit(client, page + "reopen/").status_code == 303
    assert "badge-in_progress" in client.get(page).text

    invalid = submit(client, page + "edit/", {"title": "x", "due_date": "someday"})
    assert invalid.status_code == 422
    assert "due_date" in invalid.text
    unknown_user = submit(client, page + "edit/", {"title": "x", "assignees": "nobody-here"})
    assert unknown_user.status_code == 422
    assert "assignee_ids" in unknown_user.text

    assert submit(client, page + "delete/").status_code == 303
    assert client.get(page).status_code == 404


def test_staff_cannot_change_someone_elses_task(make_client, admin_headers):
    admin = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    marker = uuid.uuid4().hex[:8]
    task = _create_task(admin, f"Admin only {marker}")
    # Unassigned work is open to everyone; assigned to the admin it is not.
    mine = submit(
        admin, f"{TASKS}{task}/edit/", {"title": f"Admin only {marker}", "assign_to_me": "1"}
    )
    assert mine.status_code == 303
    user = create_user(make_client(), admin_headers, "staff")
    staff = signed_in(make_client(), user["username"])
    assert staff.get(f"{TASKS}{task}/").status_code == 200
    refused = submit(staff, f"{TASKS}{task}/complete/")
    assert refused.status_code == 403
    assert "Not allowed (403)" in refused.text
    assert submit(staff, f"{TASKS}{task}/delete/").status_code == 403
    # Assigning by user name makes the staff member an assignee: now they may complete it.
    assigned = submit(
        admin,
        f"{TASKS}{task}/edit/",
        {"title": f"Admin only {marker}", "assignees": user["username"]},
    )
    assert assigned.status_code == 303
    assert submit(staff, f"{TASKS}{task}/complete/").status_code == 303
    assert f"Admin only {marker}" in staff.get(TASKS + "mine/", params={"status": "completed"}).text


def test_task_list_paginates_and_unknown_tasks_are_404(make_client):
    client = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    marker = uuid.uuid4().hex[:8]
    for n in range(3):
        submit(
            client,
            TASKS + "create/",
            {"title": f"Batch {marker} {n}", "domain": "data", "status": "at_risk"},
        )
    page = client.get(TASKS, params={"status": "at_risk", "domain": "data"})
    assert page.status_code == 200
    assert all(f"Batch {marker} {n}" in page.text for n in range(3))
    beyond = client.get(TASKS, params={"status": "at_risk", "domain": "data", "offset": "100000"})
    assert beyond.status_code == 200
    assert f"Batch {marker}" not in beyond.text
    assert 'rel="prev"' in beyond.text
    for path in (f"{TASKS}{uuid.uuid4()}/", f"{TASKS}nope/"):
        missing = client.get(path)
        assert missing.status_code == 404
        assert "Not found" in missing.text


def test_a_section_whose_service_is_not_deployed_gives_the_503_page(make_client):
    # This module's gateway has no calendar service configured.
    client = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    for path in ("/oobc-management/resources/", "/oobc-management/staff/leave/"):
        page = client.get(path)
        assert page.status_code == 503, path
        assert "calendar" in page.text
        assert "Service unavailable" in page.text
    refused = submit(client, "/oobc-management/staff/leave/create/", {"leave_type": "sick"})
    assert refused.status_code == 503
