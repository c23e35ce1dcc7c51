"""Task pages against the real tasks service: list pagination and filters, "My tasks", the
detail page with its edit form, complete / reopen and delete, and the tasks a task waits for
(added and removed one at a time)."""

from __future__ import annotations

import html
import json
import re
import uuid
from typing import Any

import httpx
from gateway_helpers import ADMIN_PASSWORD, create_user, person, post, signed_in, submit

TASKS = "/oobc-management/staff/tasks/"


def _create_task(client: httpx.Client, title: str, **fields: str) -> str:
    created = submit(
        client,
        TASKS + "create/",
        {"title": title, "domain": "general", "status": "not_started", **fields},
    )
    assert created.status_code == 303, created.text
    found = re.search(rf"{TASKS}([0-9a-f-]{{36}})/\?saved=created$", created.headers["location"])
    assert found, "creating a task opens it"
    return found.group(1)


def _person_id(client: httpx.Client, name: str) -> str:
    people = client.get("/oobc-management/people.json", params={"q": name}).json()
    assert people, name
    return str(people[0]["id"])


def _two_in_a_team(
    make_client: Any, admin_headers: dict[str, str], team_name: str
) -> tuple[httpx.Client, str, dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Jamila and Norhana, staff, in one team: (API client, marker, jamila, norhana, team)."""
    api = make_client()
    marker = uuid.uuid4().hex[:8]
    jamila = person(api, admin_headers, "staff", f"Jamila Sinsuat {marker}")
    norhana = person(api, admin_headers, "staff", f"Norhana Ampatuan {marker}")
    team = post(
        api,
        admin_headers,
        "/teams",
        {
            "name": f"{team_name} {marker}",
            "members": [{"user_id": jamila["id"]}, {"user_id": norhana["id"]}],
        },
    )
    return api, marker, jamila, norhana, team


def _as_script(client: httpx.Client, path: str, data: dict[str, str]) -> httpx.Response:
    """A POST as the board's script sends it: a JSON answer asked for, the CSRF header."""
    headers = {"Accept": "application/json", "X-CSRFToken": client.cookies["csrftoken"]}
    return client.post(path, data=data, headers=headers)


def _version(client: httpx.Client, task_id: str) -> str:
    found = re.search(r'name="version" value="(\d+)"', client.get(f"{TASKS}{task_id}/").text)
    assert found
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
            "description": "Need **two** copies\n\n- item one\n- item two <script>x()</script>",
            "domain": "policy",
            "status": "in_progress",
            "priority": "critical",
            "start_date": "2031-01-05",
            "due_date": "2031-01-20",
            "assignee_ids": _person_id(client, "admin"),
            "team_ids": team.json()["id"],
            "version": _version(client, task),
            "csrftoken": client.cookies["csrftoken"],
        },
    )
    assert edited.status_code == 303
    assert edited.headers["location"] == page + "?saved=saved"
    after = client.get(edited.headers["location"]).text
    assert "Task saved" in after
    assert f"Final memo {marker}" in after
    assert "2031-01-20" in after
    assert "(me)" in after
    assert re.search(rf"checked> Team {marker}<", after), "the team's box is ticked"
    assert f"<dt>Teams</dt><dd>Team {marker}</dd>" in after  # said, not only ticked below
    # The description is Markdown, as comments are: bold and a list, never a script.
    shown = after[after.index('<div class="rendered">') :]
    assert "Need <strong>two</strong> copies" in shown
    assert "<li>item one</li>" in shown
    assert "<script>x()" not in after

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

    # Every error beside its field, at once; what was typed stays in the form.
    invalid = submit(
        client,
        page + "edit/",
        {"title": "", "due_date": "someday", "description": f"kept {marker}"},
    )
    assert invalid.status_code == 422
    assert 'id="task-title-error"' in invalid.text
    assert 'id="task-due_date-error"' in invalid.text
    assert "Please correct the 2 fields marked below" in invalid.text
    assert invalid.text.count('aria-invalid="true"') == 2
    assert f"kept {marker}</textarea>" in invalid.text
    unknown_user = submit(client, page + "edit/", {"title": "x", "assignee_ids": "not-a-user-id"})
    assert unknown_user.status_code == 422
    assert 'id="task-assignee_ids-error"' in unknown_user.text

    # Delete asks first, then says it worked.
    asked = client.get(page + "delete/")
    assert asked.status_code == 200
    assert "Yes, delete the task" in asked.text
    assert client.get(page).status_code == 200, "asking deletes nothing"
    deleted = submit(client, page + "delete/", {"version": _version(client, task)})
    assert deleted.status_code == 303
    assert deleted.headers["location"] == TASKS + "?saved=deleted"
    assert "Task deleted" in client.get(deleted.headers["location"]).text
    assert client.get(page).status_code == 404


def test_staff_cannot_change_someone_elses_task(make_client, admin_headers):
    admin = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    marker = uuid.uuid4().hex[:8]
    task = _create_task(admin, f"Admin only {marker}")
    # Unassigned work is open to everyone; assigned to the admin it is not.
    # Created without assignees, the task is its creator's: no longer open to everyone.
    user = create_user(make_client(), admin_headers, "staff")
    staff = signed_in(make_client(), user["username"])
    read_only = staff.get(f"{TASKS}{task}/")
    assert read_only.status_code == 200
    # Offered only what the tasks service's rules let them do: nothing, and told so.
    for control in ("Mark complete", "Delete task", 'id="edit"', "Add a task it waits for"):
        assert control not in read_only.text, control
    assert "You can read this task" in read_only.text

    # The list offers it nothing either: no quick actions, no selection, no board move.
    def row(view: str = "list") -> str:
        page = staff.get(TASKS, params={"q": marker, "view": view}).text
        start = page.index(f'data-task="{task}"')
        return page[start : start + 3000].split("</tr>")[0].split("</li>")[0]

    for control in (f"{task}/complete/", f"{task}/start/", f"{task}/take/", 'name="item"'):
        assert control not in row(), control
    assert "data-fixed" in row("board")
    assert f"{task}/move/" not in row("board")
    refused = submit(staff, f"{TASKS}{task}/complete/")
    assert refused.status_code == 403
    # Said at the top, under the title, where the button was: not down in the edit form.
    assert re.search(
        r'</h1>\s*<div class="error" role="alert" id="refusal"><p>You may not change this task',
        refused.text,
    )
    not_deleted = submit(staff, f"{TASKS}{task}/delete/")
    assert not_deleted.status_code == 403
    assert 'id="refusal"><p>You may not change this task' in not_deleted.text
    # Assigning by user name makes the staff member an assignee: now they may complete it.
    assigned = submit(
        admin,
        f"{TASKS}{task}/edit/",
        {"title": f"Admin only {marker}", "assignee_ids": user["id"]},
    )
    assert assigned.status_code == 303
    assigned_view = staff.get(f"{TASKS}{task}/").text
    assert "Mark complete" in assigned_view
    assert 'id="edit"' in assigned_view
    assert "Delete task" not in assigned_view  # an assignee works a task; its creator deletes it
    assert f"{task}/complete/" in row()
    assert "data-fixed" not in row("board")
    assert submit(staff, f"{TASKS}{task}/complete/").status_code == 303
    assert f"Admin only {marker}" in staff.get(TASKS + "mine/", params={"status": "completed"}).text


def test_my_teams_tasks_say_whose_they_are_and_completing_one_asks_first(
    make_client, admin_headers
):
    """A team member completed a colleague's task from "My tasks" in one click, by mistake:
    nothing said it was not hers, and the message did not say which task."""
    api, marker, jamila, norhana, team = _two_in_a_team(
        make_client, admin_headers, "MANA and Research"
    )
    theirs = post(
        api,
        norhana["headers"],
        "/tasks",
        {
            "title": f"Send invitations {marker}",
            "assignee_ids": [norhana["id"]],
            "team_ids": [team["id"]],
        },
    )
    mine = post(
        api,
        jamila["headers"],
        "/tasks",
        {"title": f"Encode the forms {marker}", "assignee_ids": [jamila["id"]]},
    )
    client = signed_in(make_client(), jamila["username"])

    def row(task_id: str) -> str:
        page = client.get(TASKS + "mine/", params={"q": marker}).text
        return page[page.index(f'data-task="{task_id}"') :].split("</tr>")[0]

    assert (
        f'Norhana Ampatuan {marker} <span class="muted">· via MANA and Research {marker} team'
        in row(theirs["id"])
    )
    assert "via " not in row(mine["id"])
    assert ">Complete…</button>" in row(theirs["id"])
    assert ">Complete</button>" in row(mine["id"])

    # Completing hers asks once, naming her; nothing is done until it is confirmed.
    back = f"{TASKS}mine/?q={marker}"
    asked = submit(
        client,
        f"{TASKS}{theirs['id']}/complete/",
        {"version": str(theirs["version"]), "next": back},
    )
    assert asked.status_code == 200
    question = f"Complete Norhana Ampatuan {marker}'s task \u201cSend invitations {marker}\u201d?"
    assert f"<h1>{question}</h1>" in html.unescape(asked.text)
    assert 'name="confirmed" value="yes"' in asked.text
    assert f'href="{html.escape(back)}">No, leave it</a>' in asked.text
    stored = api.get(f"/api/v1/tasks/{theirs['id']}", headers=jamila["headers"]).json()
    assert stored["status"] == "not_started"
    confirmed = submit(
        client,
        f"{TASKS}{theirs['id']}/complete/",
        {"version": str(theirs["version"]), "next": back, "confirmed": "yes"},
    )
    assert confirmed.status_code == 303, confirmed.text
    done = client.get(confirmed.headers["location"]).text
    assert f"\u201cSend invitations {marker}\u201d completed" in done
    stored = api.get(f"/api/v1/tasks/{theirs['id']}", headers=jamila["headers"]).json()
    assert stored["status"] == "completed"

    # My own is still one click.
    own = submit(
        client, f"{TASKS}{mine['id']}/complete/", {"version": str(mine["version"]), "next": back}
    )
    assert own.status_code == 303
    assert (
        f"\u201cEncode the forms {marker}\u201d completed"
        in client.get(own.headers["location"]).text
    )


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
    for path, says in (
        (f"{TASKS}{uuid.uuid4()}/", "This task is not here any more"),
        (f"{TASKS}nope/", "Not found"),
    ):
        missing = client.get(path)
        assert missing.status_code == 404
        assert says in missing.text


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


def test_list_searches_filters_sorts_and_names_the_assignees(make_client, admin_headers):
    admin = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    marker = uuid.uuid4().hex[:8]
    colleague = create_user(make_client(), admin_headers, "staff")
    named = make_client().patch(
        f"/api/v1/users/{colleague['id']}",
        json={"full_name": f"Amina Kalim {marker}"},
        headers=admin_headers,
    )
    assert named.status_code == 200, named.text
    late = _create_task(admin, f"Zebra census {marker}", due_date="2020-01-02")
    _create_task(admin, f"Alpha survey {marker}", assignee_ids=colleague["id"])
    unowned = make_client().post(
        "/api/v1/tasks", json={"title": f"Nobody's job {marker}"}, headers=admin_headers
    )
    assert unowned.status_code == 201

    found = admin.get(TASKS, params={"q": "census"}).text
    assert f"Zebra census {marker}" in found
    assert f"Alpha survey {marker}" not in found
    # Overdue says so in words, not only in red; a task made here is its maker's.
    row = found[found.index(f"{TASKS}{late}/") :]
    assert "Overdue" in row[: row.index("</tr>")]
    assert f"{TASKS}{late}/" in admin.get(TASKS + "mine/", params={"q": marker}).text

    by_title = admin.get(TASKS, params={"q": marker, "sort": "title"}).text
    order = [by_title.index(title) for title in ("Alpha survey", "Nobody&#39;s job", "Zebra")]
    assert order == sorted(order)
    reversed_ = admin.get(TASKS, params={"q": marker, "sort": "-title"}).text
    assert reversed_.index("Zebra") < reversed_.index("Alpha survey")
    assert 'aria-sort="descending"' in reversed_
    assert f"Amina Kalim {marker}" in by_title, "the assignee column shows full names"

    theirs = admin.get(TASKS, params={"q": marker, "assignee": colleague["id"]}).text
    assert f"Alpha survey {marker}" in theirs
    assert "Zebra census" not in theirs
    nobodys = admin.get(TASKS, params={"q": marker, "assignee": "none"}).text
    assert f"Nobody&#39;s job {marker}" in nobodys
    assert "Alpha survey" not in nobodys
    overdue = admin.get(TASKS, params={"q": marker, "due": "overdue"}).text
    assert "Zebra census" in overdue
    assert "Alpha survey" not in overdue
    ranged = admin.get(
        TASKS,
        params={"q": marker, "due": "range", "due_after": "2020-01-01", "due_before": "2020-01-31"},
    ).text
    assert "Zebra census" in ranged
    assert "Alpha survey" not in ranged
    # A range ending before it starts: said beside "To", in words (it read "due_before: must
    # not be earlier than due_after" in a banner).
    backwards = admin.get(
        TASKS,
        params={"q": marker, "due": "range", "due_after": "2020-01-31", "due_before": "2020-01-01"},
    )
    assert backwards.status_code == 422
    beside = backwards.text[backwards.text.index('name="due_before"') :]
    assert '<span class="field-error" id="due-before-error">' in beside[:400]
    assert "\u201cTo\u201d must not be before \u201cFrom\u201d" in beside[:400]
    assert "must not be earlier than" not in backwards.text
    # "Sort by" in the filters too: a phone shows no column headings to click.
    for name in ("q", "assignee", "team", "status", "priority", "domain", "due", "sort"):
        assert f'name="{name}"' in by_title
    assert '<option value="title" selected>Title A to Z</option>' in by_title
    assert by_title.count("<label") >= 7, "every filter control is labelled"


def test_bulk_change_reports_each_task_that_was_not_changed(make_client):
    admin = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    marker = uuid.uuid4().hex[:8]
    ids = [_create_task(admin, f"Bulk {marker} {n}") for n in range(4)]
    versions = {task: _version(admin, task) for task in ids}
    # Someone changes the last one after the list was drawn.
    changed = submit(admin, f"{TASKS}{ids[3]}/start/", {"version": versions[ids[3]]})
    assert changed.status_code == 303
    done = admin.post(
        TASKS + "bulk/",
        data={
            "item": [f"{task}:{versions[task]}" for task in ids],
            "set_status": "completed",
            "next": TASKS + f"?q={marker}",
            "csrftoken": admin.cookies["csrftoken"],
        },
    )
    assert done.status_code == 200, done.text
    assert "3 tasks completed; 1 was not changed" in done.text
    assert (
        f'href="{TASKS}{ids[3]}/">Bulk {marker} 3</a>: it was changed by someone else' in done.text
    )
    listing = admin.get(TASKS, params={"q": marker, "status": "completed"}).text
    assert all(f"Bulk {marker} {n}" in listing for n in range(3))
    assert f"Bulk {marker} 3" not in listing
    # Every selected task changed: back to the list as it was, saying so.
    again = admin.post(
        TASKS + "bulk/",
        data={
            "item": [f"{ids[3]}:{_version(admin, ids[3])}"],
            "set_priority": "high",
            "next": TASKS + f"?q={marker}",
            "csrftoken": admin.cookies["csrftoken"],
        },
    )
    assert again.status_code == 303
    assert again.headers["location"] == (
        f"{TASKS}?q={marker}&saved=tasks-changed&changed=1&unchanged=0&change=priority%3Ahigh"
    )
    assert "1 task set to High priority" in admin.get(again.headers["location"]).text
    # None ticked: the list itself says so beside its bulk toolbar, its search kept.
    nothing = submit(
        admin, TASKS + "bulk/", {"set_status": "completed", "next": f"{TASKS}?q={marker}"}
    )
    assert nothing.status_code == 303
    assert nothing.headers["location"] == f"{TASKS}?q={marker}&bulk=unselected#bulk"
    listed = admin.get(nothing.headers["location"]).text
    bulk = re.search(r'<form[^>]*id="bulk".*?</form>', listed, re.S)
    assert bulk
    assert "Select at least one task" in bulk.group(0)
    assert f'value="{marker}"' in listed


def test_bulk_change_adds_or_removes_one_assignee_keeping_the_others(make_client, admin_headers):
    """ "Add an assignee" puts someone on several tasks beside who is there (the replacement
    dropped them), says how many changed and how many already had them; "Remove" likewise."""
    admin = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    marker = uuid.uuid4().hex[:8]
    norhana = create_user(make_client(), admin_headers, "staff", f"Norhana Ampatuan {marker}")
    me = admin.get("/api/v1/users/me", headers=admin_headers).json()["id"]
    hers = _create_task(admin, f"Hers {marker}", assignee_ids=norhana["id"])
    mine = [_create_task(admin, f"Mine {marker} {n}") for n in range(2)]
    tasks = [hers, *mine]
    listing = admin.get(TASKS, params={"q": marker}).text
    assert "Add an assignee, keeping the others" in listing
    assert "Remove an assignee, keeping the others" in listing

    def bulk(**choices: str) -> httpx.Response:
        return admin.post(
            TASKS + "bulk/",
            data={
                "item": [f"{task}:{_version(admin, task)}" for task in tasks],
                "next": TASKS + f"?q={marker}",
                "csrftoken": admin.cookies["csrftoken"],
                **choices,
            },
        )

    def assignees(task: str) -> list[str]:
        stored = admin.get(f"/api/v1/tasks/{task}", headers=admin_headers).json()
        return list(stored["assignee_ids"])

    added = bulk(add_assignee=norhana["id"])
    assert added.status_code == 200, added.text
    assert f"Norhana Ampatuan {marker} added to 2 tasks; 1 already had them." in added.text
    assert [assignees(task) for task in tasks] == [[norhana["id"]], *[[me, norhana["id"]]] * 2]

    removed = bulk(remove_assignee="me")
    assert removed.status_code == 200, removed.text
    assert "You were removed from 2 tasks; 1 did not have you." in removed.text
    assert [assignees(task) for task in tasks] == [[norhana["id"]]] * 3

    both = bulk(set_assignee="none", add_assignee="me")
    assert both.status_code == 422
    assert "Either replace the assignees or add or remove one of them, not both" in both.text
    same = bulk(add_assignee="me", remove_assignee="me")
    assert same.status_code == 422
    assert "The same person cannot be added and removed at once" in same.text
    assert [assignees(task) for task in tasks] == [[norhana["id"]]] * 3


def test_a_tasks_ppa_is_named_by_its_title(make_client, admin_headers):
    """The task's page and the list of a PPA's tasks name the PPA ("Open the PPA" and
    "Linked to a PPA" said which one only by its link)."""
    api = make_client()
    marker = uuid.uuid4().hex[:8]
    ppa = api.post(
        "/api/v1/ppas",
        json={"title": f"Farm-to-market road {marker}", "category": "moa_ppa"},
        headers=admin_headers,
    )
    assert ppa.status_code == 201, ppa.text
    ppa_id, unknown = ppa.json()["id"], str(uuid.uuid4())
    tasks = {}
    for name, linked in (("known", ppa_id), ("unknown", unknown)):
        created = api.post(
            "/api/v1/tasks",
            json={"title": f"Budget {marker} {name}", "related_ppa_id": linked},
            headers=admin_headers,
        )
        assert created.status_code == 201, created.text
        tasks[name] = created.json()["id"]
    admin = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    link = f'<a href="/oobc-management/portfolio/ppas/{ppa_id}/">'

    detail = admin.get(f"{TASKS}{tasks['known']}/").text
    assert f"{link}Farm-to-market road {marker}</a>" in detail
    listing = admin.get(TASKS, params={"related_ppa_id": ppa_id}).text
    assert f"Linked to the PPA {link}“Farm-to-market road {marker}”</a>" in listing
    # A PPA the portfolio does not show is still a link, by what it is.
    detail = admin.get(f"{TASKS}{tasks['unknown']}/").text
    assert f'<a href="/oobc-management/portfolio/ppas/{unknown}/">Open the PPA</a>' in detail
    assert "Linked to a PPA" in admin.get(TASKS, params={"related_ppa_id": unknown}).text


def test_a_stale_edit_is_refused_with_what_was_typed_kept(make_client):
    admin = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    marker = uuid.uuid4().hex[:8]
    task = _create_task(admin, f"Shared memo {marker}")
    opened = _version(admin, task)
    meanwhile = submit(admin, f"{TASKS}{task}/edit/", {"priority": "critical", "version": opened})
    assert meanwhile.status_code == 303
    stale = submit(
        admin,
        f"{TASKS}{task}/edit/",
        {"title": f"My new title {marker}", "priority": "low", "version": opened},
    )
    assert stale.status_code == 412
    # The service says who made the last change: here the admin, in another tab.
    assert "This task was changed by Administrator since you opened it" in stale.text
    assert "Review the current version" in stale.text
    assert f'value="My new title {marker}"' in stale.text
    after = admin.get(f"{TASKS}{task}/").text
    assert "critical" in after.lower()
    assert f"My new title {marker}" not in after

    # The form came back at the current version: saving again, after reviewing, applies it.
    shown = re.search(r'data-task-form>.*?name="version" value="(\d+)"', stale.text, re.S)
    assert shown
    assert shown.group(1) == _version(admin, task) != opened
    again = submit(
        admin,
        f"{TASKS}{task}/edit/",
        {"title": f"My new title {marker}", "priority": "low", "version": shown.group(1)},
    )
    assert again.status_code == 303
    assert f"My new title {marker}" in admin.get(f"{TASKS}{task}/").text


def _as_opened(page: str) -> dict[str, Any]:
    """What a browser sends from the task's edit form left as it is."""
    version = re.search(r'data-task-form>.*?name="version" value="(\d+)"', page, re.S)
    read = re.search(r'name="read_state" value="([^"]*)"', page)
    assert version
    assert read
    state = html.unescape(read.group(1))
    return {**json.loads(state), "version": version.group(1), "read_state": state}


def test_a_stale_edit_keeps_the_colleagues_change_where_i_changed_nothing(make_client):
    """A colleague raises the priority while I retitle the task: refused as stale, my form
    comes back with their priority (not the one I opened) and my title; saving keeps both."""
    admin = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    marker = uuid.uuid4().hex[:8]
    task = _create_task(admin, f"Memo {marker}")
    mine = _as_opened(admin.get(f"{TASKS}{task}/").text)
    colleague = submit(
        admin, f"{TASKS}{task}/edit/", {"priority": "critical", "version": mine["version"]}
    )
    assert colleague.status_code == 303
    stale = submit(admin, f"{TASKS}{task}/edit/", {**mine, "title": f"Memo v2 {marker}"})
    assert stale.status_code == 412
    assert re.search(r'<option value="critical" selected>', stale.text)
    again = submit(
        admin, f"{TASKS}{task}/edit/", _as_opened(stale.text) | {"title": f"Memo v2 {marker}"}
    )
    assert again.status_code == 303
    after = admin.get(f"{TASKS}{task}/").text
    assert f"Memo v2 {marker}" in after
    assert re.search(r'<option value="critical" selected>', after)


def test_taking_a_shared_task_adds_me_beside_its_assignees(make_client, admin_headers):
    """ "Assign to me" on a colleague's task adds me beside them (it dropped them, and told
    them they were taken off); it is not offered once I am one of the assignees."""
    admin = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    marker = uuid.uuid4().hex[:8]
    colleague = create_user(make_client(), admin_headers, "staff")
    task = _create_task(admin, f"Shared survey {marker}", assignee_ids=colleague["id"])

    def row() -> str:
        page = admin.get(TASKS, params={"q": marker}).text
        start = page.index(f'data-task="{task}"')
        return page[start : start + 3000].split("</tr>")[0]

    assert 'class="small secondary">Add me</button>' in row()
    # The task's own page offers it too (only the list did).
    assert 'class="secondary">Add me</button>' in admin.get(f"{TASKS}{task}/").text
    version = re.search(r'name="version" value="(\d+)"', row())
    assert version
    taken = submit(admin, f"{TASKS}{task}/take/", {"version": version.group(1)})
    assert taken.status_code == 303
    stored = admin.get(f"/api/v1/tasks/{task}", headers=admin_headers).json()
    me = admin.get("/api/v1/users/me", headers=admin_headers).json()["id"]
    assert stored["assignee_ids"] == [colleague["id"], me]
    assert f"{task}/take/" not in row()
    assert "Replace the assignees with" in admin.get(TASKS).text  # the bulk change says so
    # Nor on a task done: nothing is left to do in it.
    done = _create_task(
        admin, f"Done survey {marker}", assignee_ids=colleague["id"], status="completed"
    )
    page = admin.get(TASKS, params={"q": f"Done survey {marker}"}).text
    assert f"{done}/take/" not in page


def test_quick_actions_and_the_board(make_client):
    admin = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    marker = uuid.uuid4().hex[:8]
    task = _create_task(admin, f"Board card {marker}")
    back = f"{TASKS}?q={marker}"
    first = _version(admin, task)
    started = submit(admin, f"{TASKS}{task}/start/", {"next": back, "version": first})
    assert started.status_code == 303
    # With what its Undo puts back, at the version the action left.
    assert started.headers["location"] == (
        back + f"&saved=started&task={task}&undo=status%3Anot_started&version={int(first) + 1}"
    )
    # The message names the task ("Task started" said which one nowhere).
    assert f"\u201cBoard card {marker}\u201d started" in admin.get(started.headers["location"]).text
    elsewhere = submit(admin, f"{TASKS}{task}/complete/", {"next": "https://evil.example/"})
    assert elsewhere.headers["location"].startswith(
        f"{TASKS}{task}/?saved=completed&task={task}&undo=status%3Ain_progress&version="
    )
    assert (
        f"\u201cBoard card {marker}\u201d completed"
        in admin.get(elsewhere.headers["location"]).text
    )
    # Only the service's title is shown: another task's id in the address names nothing.
    assert "Task completed" in admin.get(f"{TASKS}?saved=completed&task={uuid.uuid4()}").text

    board = admin.get(TASKS, params={"view": "board", "group": "status", "q": marker}).text
    assert all(
        f">{title}" in board for title in ("Not started", "In progress", "At risk", "Completed")
    )
    assert f'data-task="{task}"' in board
    assert "Move to" in board
    version = _version(admin, task)
    moved = _as_script(
        admin, f"{TASKS}{task}/move/", {"field": "status", "value": "at_risk", "version": version}
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["version"] == int(version) + 1
    assert moved.json()["message"] == f"\u201cBoard card {marker}\u201d moved"
    refused = _as_script(
        admin,
        f"{TASKS}{task}/move/",
        {"field": "status", "value": "in_progress", "version": version},
    )
    assert refused.status_code == 412
    assert "changed this task meanwhile" in refused.json()["message"]
    by_priority = admin.get(TASKS, params={"view": "board", "group": "priority", "q": marker}).text
    assert ">Critical" in by_priority

    # Without script, "Move to" lands back on the moved card, not at the top of the page
    # (on a phone the columns are stacked: the place was lost after every move).
    board_url = f"{TASKS}?view=board&group=status&q={marker}"
    assert f'id="task-{task}"' in admin.get(board_url).text
    moved_back = submit(
        admin,
        f"{TASKS}{task}/move/",
        {
            "field": "status",
            "value": "completed",
            "version": _version(admin, task),
            "next": board_url,
        },
    )
    assert moved_back.status_code == 303
    assert moved_back.headers["location"].startswith(f"{board_url}&saved=moved&task={task}&undo=")
    assert moved_back.headers["location"].endswith(f"#task-{task}")


def _waits_for(page: str) -> str:
    """The "Waits for" section of a task page."""
    start = page.index('id="waits-for"')
    return page[start : page.index("</section>", start)]


def test_waits_for_adds_lists_and_removes_one_task_at_a_time(make_client):
    admin = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    marker = uuid.uuid4().hex[:8]
    invitations = _create_task(admin, f"Print invitations {marker}")
    venue = _create_task(admin, f"Book the venue {marker}", due_date="2031-03-09")
    page = f"{TASKS}{invitations}/"
    assert "No other task" in _waits_for(admin.get(page).text)

    found = admin.get(TASKS + "search.json", params={"q": f"venue {marker}"})
    assert found.status_code == 200
    assert found.json() == [
        {"id": venue, "title": f"Book the venue {marker}", "status_label": "Not started"}
    ]

    added = submit(admin, page + "dependencies/", {"depends_on": venue})
    assert added.status_code == 303, added.text
    assert added.headers["location"] == page + "?saved=added#waits-for"
    shown = admin.get(added.headers["location"]).text
    assert "Dependency added" in shown
    section = _waits_for(shown)
    assert f'href="{TASKS}{venue}/">Book the venue {marker}</a>' in section
    assert "Not started" in section
    assert "due Sun 9 Mar 2031" in section
    assert "Waiting for 1 task<" in shown

    # Saving the edit form keeps the link: the form has no dependency input to drop it.
    saved = submit(
        admin, page + "edit/", {"title": f"Print invitations {marker}", "priority": "high"}
    )
    assert saved.status_code == 303
    assert f"Book the venue {marker}" in _waits_for(admin.get(page).text)

    # The venue waiting for the invitations would be a cycle: refused, in words, beside the
    # control.
    cycle = submit(admin, f"{TASKS}{venue}/dependencies/", {"depends_on": invitations})
    assert cycle.status_code == 422
    refusal = re.search(r'id="dependency-error"[^>]*>([^<]+)<', cycle.text)
    assert refusal, cycle.text
    assert refusal.group(1) == "This dependency would create a cycle"
    assert 'aria-invalid="true" aria-describedby="dependency-error"' in cycle.text
    nothing = submit(admin, page + "dependencies/", {"depends_on": ""})
    assert nothing.status_code == 422
    assert "Choose a task from the list" in nothing.text

    # Once the venue is booked, the invitations wait for nothing more.
    assert submit(admin, f"{TASKS}{venue}/complete/").status_code == 303
    done = admin.get(page).text
    assert "Waiting for" not in done
    assert "Completed" in _waits_for(done)

    removed = submit(admin, f"{page}dependencies/{venue}/remove/")
    assert removed.status_code == 303
    assert removed.headers["location"] == page + "?saved=removed#waits-for"
    after = admin.get(removed.headers["location"]).text
    assert "Dependency removed" in after
    assert f"Book the venue {marker}" not in _waits_for(after)
    again = submit(admin, f"{page}dependencies/{venue}/remove/")
    assert again.status_code == 404
    assert "no longer waits for that one" in again.text


def test_waits_for_refuses_someone_who_may_not_change_the_task(make_client, admin_headers):
    admin = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    marker = uuid.uuid4().hex[:8]
    theirs = _create_task(admin, f"Admin's report {marker}")
    other = _create_task(admin, f"Gather data {marker}")
    user = create_user(make_client(), admin_headers, "staff")
    staff = signed_in(make_client(), user["username"])
    refused = submit(staff, f"{TASKS}{theirs}/dependencies/", {"depends_on": other})
    assert refused.status_code == 403
    assert "You may not change this task" in refused.text
    assert "No other task" in _waits_for(admin.get(f"{TASKS}{theirs}/").text)


def test_the_task_page_shows_who_changed_what_in_words_and_local_time(make_client, admin_headers):
    """The activity stream: newest first, full names, labels not codes, the viewer's time."""
    marker = uuid.uuid4().hex[:8]
    admin = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    task = _create_task(admin, f"Brief {marker}", priority="high")
    manager = create_user(make_client(), admin_headers, "manager", full_name=f"Rosa Dizon {marker}")
    editor = signed_in(make_client(), manager["username"])
    edited = editor.post(
        f"{TASKS}{task}/edit/",
        data={
            "title": f"Brief {marker}",
            "domain": "general",
            "status": "at_risk",
            "priority": "critical",
            "due_date": "2031-01-20",
            "version": _version(editor, task),
            "csrftoken": editor.cookies["csrftoken"],
        },
    )
    assert edited.status_code == 303, edited.text

    page = admin.get(f"{TASKS}{task}/").text
    stream = page[page.index('id="activity"') :]
    stream = stream[: stream.index("</section>")]
    entries = re.findall(r"<li>\s*<p><strong>(.*?)</strong> (.*?) · <time", stream)
    assert entries == [(f"Rosa Dizon {marker}", "changed"), ("Administrator", "created it")]
    changes = [
        re.sub(r"<[^>]+>", "", item) for item in re.findall(r"<li>(\w[^<]*:.*?)</li>", stream)
    ]
    assert "Status: Not started → At risk" in changes
    assert "Priority: High → Critical" in changes
    assert "Due date: Mon 20 Jan 2031" in changes
    assert "not_started" not in stream
    assert "at_risk" not in stream
    # When, in the viewer's time: "Sat 5 Dec 2026, 09:00".
    assert re.search(r"<time [^>]*>\w{3} \d{1,2} \w{3} \d{4}, \d{2}:\d{2}</time>", stream)


def _undo_form(page: str) -> tuple[str, dict[str, str]]:
    """The message's Undo form: where it posts and its fields (as a browser sends them)."""
    form = re.search(
        r'<form method="post" action="([^"]+/undo/)" class="undo">(.*?)</form>', page, re.S
    )
    assert form, "the message offers Undo"
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form.group(2)))
    fields.pop("csrftoken")
    return form.group(1), {name: html.unescape(value) for name, value in fields.items()}


def test_undo_puts_back_what_a_quick_action_changed(make_client, admin_headers):
    """A task completed, taken or moved by mistake could only be put back by editing it (and
    remembering what it was): the message offers Undo, which says what it put back."""
    admin = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    marker = uuid.uuid4().hex[:8]
    colleague = create_user(make_client(), admin_headers, "staff", f"Omar Macabangkit {marker}")
    task = _create_task(admin, f"Print the forms {marker}", status="in_progress")
    back = f"{TASKS}?q={marker}"

    def stored() -> dict[str, Any]:
        body: dict[str, Any] = admin.get(f"/api/v1/tasks/{task}", headers=admin_headers).json()
        return body

    def undone(action: str, **fields: str) -> str:
        done = submit(
            admin,
            f"{TASKS}{task}/{action}/",
            {"next": back, "version": _version(admin, task), **fields},
        )
        assert done.status_code == 303, done.text
        page = admin.get(done.headers["location"]).text
        action_url, form = _undo_form(page)
        assert form["next"] == back  # back to the list as it was, without the message
        answer = submit(admin, action_url, form)
        assert answer.status_code == 303, answer.text
        assert answer.headers["location"].startswith(back + "&saved=undone")
        return html.unescape(admin.get(answer.headers["location"]).text)

    said = undone("complete")
    assert f"\u201cPrint the forms {marker}\u201d is back to In progress" in said
    assert "Undo</button>" not in said  # an undo is not undone in turn
    assert stored()["status"] == "in_progress"

    # Taking a colleague's task: undone, they have it alone again.
    replaced = submit(
        admin,
        f"{TASKS}{task}/edit/",
        {
            "title": f"Print the forms {marker}",
            "assignee_ids": colleague["id"],
            "version": _version(admin, task),
        },
    )
    assert replaced.status_code == 303, replaced.text
    said = undone("take")
    assert f"\u201cPrint the forms {marker}\u201d is back to its former assignees" in said
    assert stored()["assignee_ids"] == [colleague["id"]]

    # A board move without script: the column's value as it was.
    said = undone("move", field="priority", value="critical")
    assert f"\u201cPrint the forms {marker}\u201d is back to Medium priority" in said
    assert stored()["priority"] == "medium"

    # Dragged on the board (the script's JSON): the answer carries the undo, which answers
    # in words too.
    version = _version(admin, task)
    moved = _as_script(
        admin, f"{TASKS}{task}/move/", {"field": "status", "value": "at_risk", "version": version}
    )
    assert moved.json()["undo"] == {"undo": "status:in_progress", "version": str(int(version) + 1)}
    put_back = _as_script(admin, f"{TASKS}{task}/undo/", moved.json()["undo"])
    assert put_back.status_code == 200, put_back.text
    assert (
        put_back.json()["message"] == f"\u201cPrint the forms {marker}\u201d is back to In progress"
    )
    assert stored()["status"] == "in_progress"

    # From Home: back there, with the message and its Undo.
    home_done = submit(
        admin,
        f"{TASKS}{task}/complete/",
        {"next": "/?subject=task", "version": _version(admin, task), "confirmed": "yes"},
    )
    assert home_done.status_code == 303, home_done.text
    home = admin.get(home_done.headers["location"]).text
    assert f"\u201cPrint the forms {marker}\u201d completed" in html.unescape(home)
    action_url, form = _undo_form(home)
    assert form["next"] == "/?subject=task"
    answer = submit(admin, action_url, form)
    said = html.unescape(admin.get(answer.headers["location"]).text)
    assert f"\u201cPrint the forms {marker}\u201d is back to In progress" in said


def test_undo_is_refused_after_a_colleagues_change_or_with_a_bad_value(make_client, admin_headers):
    admin = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    marker = uuid.uuid4().hex[:8]
    task = _create_task(admin, f"Book the hall {marker}")
    done = submit(admin, f"{TASKS}{task}/complete/", {"version": _version(admin, task)})
    action_url, form = _undo_form(admin.get(done.headers["location"]).text)
    assert form["undo"] == "status:not_started"

    # Someone else changes the task after the completion: the undo would overwrite it.
    rashid = person(make_client(), admin_headers, "manager", f"Rashid Lidasan {marker}")
    changed = admin.patch(
        f"/api/v1/tasks/{task}",
        json={"priority": "high"},
        headers={**rashid["headers"], "If-Match": f'"{form["version"]}"'},
    )
    assert changed.status_code == 200, changed.text
    refused = submit(admin, action_url, form)
    assert refused.status_code == 412
    assert (
        f"Not undone: Rashid Lidasan {marker} changed this task after you; "
        "it is left as they made it" in html.unescape(refused.text)
    )
    stored = admin.get(f"/api/v1/tasks/{task}", headers=admin_headers).json()
    assert (stored["status"], stored["priority"]) == ("completed", "high")

    # A former value no task has, a field no quick action changes, or no version: 422.
    current = str(stored["version"])
    for undo, version in (
        ("status:finished", current),
        ("title:Hacked", current),
        ("assignee_ids:not-a-person", current),
        ("status", current),
        ("status:in_progress", ""),
        ("status:in_progress", "soon"),
    ):
        bad = submit(admin, action_url, {"undo": undo, "version": version})
        assert bad.status_code == 422, (undo, version, bad.status_code)
        assert "Nothing was undone: the former value is not one this task can have" in bad.text
    assert admin.get(f"/api/v1/tasks/{task}", headers=admin_headers).json()["status"] == "completed"
    # Of a task that is not there: not found.
    gone = submit(
        admin, f"{TASKS}{uuid.uuid4()}/undo/", {"undo": "status:in_progress", "version": "1"}
    )
    assert gone.status_code == 404


def test_undo_by_someone_who_may_not_change_the_task_is_refused(make_client, admin_headers):
    admin = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    marker = uuid.uuid4().hex[:8]
    task = _create_task(admin, f"Admin's report {marker}")
    done = submit(admin, f"{TASKS}{task}/complete/", {"version": _version(admin, task)})
    action_url, form = _undo_form(admin.get(done.headers["location"]).text)
    user = create_user(make_client(), admin_headers, "staff")
    staff = signed_in(make_client(), user["username"])
    refused = submit(staff, action_url, form)
    assert refused.status_code == 403
    assert 'id="refusal"><p>You may not change this task' in refused.text
    assert admin.get(f"/api/v1/tasks/{task}", headers=admin_headers).json()["status"] == "completed"


def test_completing_colleagues_tasks_in_bulk_or_on_the_board_asks_first(make_client, admin_headers):
    """The bulk form completed colleagues' tasks (listed through a team) without a word, and
    a card dragged to Completed likewise; one's own are done at once, as before."""
    api, marker, jamila, norhana, team = _two_in_a_team(make_client, admin_headers, "Research")

    def task(title: str, owner: dict[str, Any]) -> dict[str, Any]:
        body = {
            "title": f"{title} {marker}",
            "assignee_ids": [owner["id"]],
            "team_ids": [team["id"]],
        }
        return post(api, owner["headers"], "/tasks", body)

    hers = [task("Survey A", norhana), task("Survey B", norhana)]
    mine = task("Survey C", jamila)
    client = signed_in(make_client(), jamila["username"])
    back = f"{TASKS}mine/?q={marker}"

    def status(found: dict[str, Any]) -> str:
        got = api.get(f"/api/v1/tasks/{found['id']}", headers=jamila["headers"]).json()
        return str(got["status"])

    def bulk(tasks: list[dict[str, Any]], **extra: str) -> httpx.Response:
        return client.post(
            TASKS + "bulk/",
            data={
                "item": [f"{t['id']}:{t['version']}" for t in tasks],
                "set_status": "completed",
                "next": back,
                "csrftoken": client.cookies["csrftoken"],
                **extra,
            },
        )

    asked = bulk([*hers, mine])
    assert asked.status_code == 200, asked.text
    page = html.unescape(asked.text)
    assert "<h1>Complete 3 tasks?</h1>" in page
    assert f"2 of them are assigned to others: Norhana Ampatuan {marker} (2)." in page
    assert 'name="confirmed" value="yes"' in asked.text
    assert ">Yes, complete all 3</button>" in asked.text
    assert f'href="{html.escape(back)}">No, go back</a>' in asked.text
    assert [status(t) for t in (*hers, mine)] == ["not_started"] * 3
    # Yes posts the same change again, with every task and the way back.
    again = re.findall(
        r'<input type="hidden" name="(item|set_status|next)" value="([^"]*)"', asked.text
    )
    assert sorted(html.unescape(value) for name, value in again if name == "item") == sorted(
        f"{t['id']}:{t['version']}" for t in (*hers, mine)
    )
    confirmed = bulk([*hers, mine], confirmed="yes")
    assert confirmed.status_code == 303, confirmed.text
    assert [status(t) for t in (*hers, mine)] == ["completed"] * 3

    # All mine: done at once.
    own = [task("Survey D", jamila), task("Survey E", jamila)]
    direct = bulk(own)
    assert direct.status_code == 303, direct.text
    assert direct.headers["location"] == (
        back + "&saved=tasks-changed&changed=2&unchanged=0&change=status%3Acompleted"
    )
    assert "2 tasks completed" in client.get(direct.headers["location"]).text
    assert [status(t) for t in own] == ["completed"] * 2

    # Her card moved to Completed on the board: asked first (the page without script, the
    # board's script by a 409 with the question), mine moves at once.
    card = task("Survey F", norhana)
    board = f"{TASKS}mine/?view=board&group=status&q={marker}"
    move = {"field": "status", "value": "completed", "version": str(card["version"]), "next": board}
    question = submit(client, f"{TASKS}{card['id']}/move/", move)
    assert question.status_code == 200
    heading = f"Complete Norhana Ampatuan {marker}'s task \u201cSurvey F {marker}\u201d?"
    assert f"<h1>{heading}</h1>" in html.unescape(question.text)
    assert 'name="field" value="status"' in question.text
    assert ">Yes, complete it</button>" in question.text
    scripted = _as_script(client, f"{TASKS}{card['id']}/move/", move)
    assert scripted.status_code == 409
    assert scripted.json()["confirm"]["question"] == heading
    assert status(card) == "not_started"
    yes = _as_script(client, f"{TASKS}{card['id']}/move/", {**move, "confirmed": "yes"})
    assert yes.status_code == 200, yes.text
    assert status(card) == "completed"
    own_card = task("Survey G", jamila)
    moved = submit(
        client, f"{TASKS}{own_card['id']}/move/", {**move, "version": str(own_card["version"])}
    )
    assert moved.status_code == 303
    assert status(own_card) == "completed"


def test_a_board_column_shows_its_first_cards_and_links_to_the_rest_in_the_list(
    make_client, admin_headers
):
    """138 "Not started" cards made the board 18,000 px tall: a column shows its first 20 and
    links to the list filtered to it, the board's other filters kept."""
    admin = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    marker = uuid.uuid4().hex[:8]
    for n in range(23):
        post(admin, admin_headers, "/tasks", {"title": f"Crowded {marker} {n}"})
    post(
        admin,
        admin_headers,
        "/tasks",
        {"title": f"Crowded {marker} begun", "status": "in_progress"},
    )
    board = admin.get(TASKS, params={"view": "board", "group": "status", "q": marker}).text
    columns = re.findall(r'<section class="board-column".*?</section>', board, re.S)
    not_started, in_progress = columns[0], columns[1]
    assert "Not started" in not_started
    assert "(23)" in not_started
    assert not_started.count('class="task-card') == 20
    assert (
        html.unescape(not_started).count(
            f'href="{TASKS}?q={marker}&status=not_started">Show all 23 in the list'
        )
        == 1
    )
    assert in_progress.count('class="task-card') == 1
    assert "Show all" not in in_progress
    listed = admin.get(TASKS, params={"q": marker, "status": "not_started"}).text
    assert "23 tasks" in listed
    # "No team" has no list filter: its other cards are a disclosure away.
    by_team = admin.get(TASKS, params={"view": "board", "group": "team", "q": marker}).text
    no_team = re.search(r'<section class="board-column".*?</section>', by_team, re.S)
    assert no_team
    assert "No team" in no_team.group(0)
    assert "(24)" in no_team.group(0)
    shown, _, rest = no_team.group(0).partition("<details")
    assert shown.count('class="task-card') == 20
    assert rest.count('class="task-card') == 4
    assert "Show the other 4</summary>" in rest


def test_a_new_persons_empty_my_tasks_says_so_once_without_a_toolbar(make_client, admin_headers):
    """A new person's My tasks said "0 tasks", "0 results" twice, showed the bulk toolbar and
    "No tasks match ... clear the filters" with no filter set."""
    newcomer = person(make_client(), admin_headers, "staff", f"Sittie New {uuid.uuid4().hex[:6]}")
    client = signed_in(make_client(), newcomer["username"])
    empty = client.get(TASKS + "mine/").text
    assert "You have no tasks yet." in empty
    assert 'href="/oobc-management/staff/tasks/new/">New task' in empty
    for noise in ('id="bulk"', "0 results", "0 tasks", "No tasks match", "<table"):
        assert noise not in empty, noise
    unmatched = client.get(TASKS + "mine/", params={"status": "completed"}).text
    assert "No tasks match these filters." in unmatched
    assert f'<a href="{TASKS}mine/">Clear the filters</a>' in unmatched
    assert "You have no tasks yet." not in unmatched
    assert 'id="bulk"' not in unmatched


def test_a_repeating_task_is_set_in_the_form_and_continues_when_completed(
    make_client, admin_headers
):
    """A monthly report is one task that comes back: completed, the next one is due a month
    later, linked from the message and from each other's page; an undone completion takes
    it back."""
    client = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    marker = uuid.uuid4().hex[:8]

    refused = submit(
        client,
        TASKS + "create/",
        {"title": f"Undated {marker}", "repeat": "monthly:1", "repeat_until": "2030-01-01"},
    )
    assert refused.status_code == 422
    assert 'id="task-repeat-error"' in refused.text
    assert "A repeating task needs a due date" in html.unescape(refused.text)

    task = _create_task(
        client,
        f"Monthly accomplishment report {marker}",
        due_date="2031-01-31",
        repeat="monthly:1",
        repeat_until="2031-12-31",
    )
    page = client.get(f"{TASKS}{task}/").text
    assert "Every month, until Wed 31 Dec 2031" in page
    assert "The next one is created when this one is completed." in page
    assert '<option value="monthly:1" selected>Every month</option>' in page
    listed = client.get(TASKS, params={"q": marker}).text
    assert "(repeats)" in listed

    back = f"{TASKS}?q={marker}"
    done = submit(
        client, f"{TASKS}{task}/complete/", {"next": back, "version": _version(client, task)}
    )
    assert done.status_code == 303, done.text
    said = client.get(done.headers["location"]).text
    following = re.search(
        rf'href="{TASKS}([0-9a-f-]{{36}})/" class="next-occurrence">Next one due Fri 28 Feb 2031<',
        said,
    )
    assert following, "the message links the next occurrence"
    next_page = html.unescape(client.get(f"{TASKS}{following.group(1)}/").text)
    assert f"Monthly accomplishment report {marker}" in next_page
    assert "Previous: due Fri 31 Jan 2031" in next_page
    assert "Next: due Fri 28 Feb 2031" in html.unescape(client.get(f"{TASKS}{task}/").text)

    # Completed by mistake: Undo reopens it and takes back the untouched next one.
    action_url, form = _undo_form(said)
    assert submit(client, action_url, form).status_code == 303
    gone = client.get(f"/api/v1/tasks/{following.group(1)}", headers=admin_headers)
    assert gone.status_code == 404

    # "Does not repeat" ends the series; its end date goes with it.
    stopped = submit(
        client,
        f"{TASKS}{task}/edit/",
        {
            "title": f"Monthly accomplishment report {marker}",
            "repeat": "",
            "repeat_until": "2031-12-31",
            "version": _version(client, task),
        },
    )
    assert stopped.status_code == 303, stopped.text
    stored = client.get(f"/api/v1/tasks/{task}", headers=admin_headers).json()
    assert (stored["repeats"], stored["repeat_until"]) == (None, None)


def test_search_says_which_kinds_could_not_be_searched_and_shows_the_rest(make_client):
    # This module's gateway has no calendar service: events and resources cannot be searched.
    client = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    marker = uuid.uuid4().hex[:8]
    task = _create_task(client, f"Collect the {marker} attendance sheets")
    page = client.get("/oobc-management/search/", params={"q": marker})
    assert page.status_code == 200
    assert f'href="{TASKS}{task}/"' in page.text
    text = html.unescape(page.text)
    assert "Events could not be searched just now" in text
    assert "Resources could not be searched just now" in text


def test_a_persons_tasks_mark_those_of_their_teams_and_directly_only_leaves_them_out(
    make_client, admin_headers
):
    """Filtered by Rashid, who leads the MANA team, the list held the team's tasks assigned to
    Norhana alone, unmarked: his task reassigned to her stayed listed, the count unchanged,
    and the message said only "The selected tasks were changed"."""
    api = make_client()
    marker = uuid.uuid4().hex[:8]
    rashid = person(api, admin_headers, "staff", f"Rashid Lidasan {marker}")
    norhana = person(api, admin_headers, "staff", f"Norhana Ampatuan {marker}")
    team = post(
        api,
        admin_headers,
        "/teams",
        {"name": f"MANA {marker}", "members": [{"user_id": rashid["id"], "role": "lead"}]},
    )
    teams = post(
        api,
        admin_headers,
        "/tasks",
        {
            "title": f"Update the profiles {marker}",
            "assignee_ids": [norhana["id"]],
            "team_ids": [team["id"]],
        },
    )
    his = post(
        api,
        admin_headers,
        "/tasks",
        {"title": f"Clean the dataset {marker}", "assignee_ids": [rashid["id"]]},
    )
    manager = signed_in(make_client(), "admin", ADMIN_PASSWORD)

    def listing(**params: str) -> str:
        return manager.get(TASKS, params={"q": marker, "assignee": rashid["id"], **params}).text

    def row(page: str, task_id: str) -> str:
        return page[page.index(f'data-task="{task_id}"') :].split("</tr>")[0]

    both = listing()
    assert "Assigned to (or their teams)" in both
    assert ">2 tasks</p>" in both
    assert f'<span class="muted">· via MANA {marker} team</span>' in row(both, teams["id"])
    assert "via " not in row(both, his["id"])
    direct = listing(assigned_directly="true")
    assert ">1 task</p>" in direct
    assert f'data-task="{teams["id"]}"' not in direct
    assert 'name="assigned_directly" value="true" checked' in direct

    # His task reassigned to Norhana: gone from his own, the message saying so.
    back = f"{TASKS}?q={marker}&assignee={rashid['id']}&assigned_directly=true"
    moved = submit(
        manager,
        TASKS + "bulk/",
        {"item": f"{his['id']}:{his['version']}", "set_assignee": norhana["id"], "next": back},
    )
    assert moved.status_code == 303, moved.text
    after = manager.get(moved.headers["location"]).text
    assert f"1 task reassigned to Norhana Ampatuan {marker}" in after
    assert f'data-task="{his["id"]}"' not in after
    # The filters kept, the message's own parameters left out of the page's links.
    assert "assigned_directly=true" in moved.headers["location"]
    assert "changed=" not in after.split('id="toast"')[1].split("<main")[1]
