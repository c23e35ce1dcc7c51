"""The people pages against the real tasks, portfolio and calendar services: deactivating
someone says what they leave behind (open tasks, the only-assignee ones flagged, and a link
listing them to reassign; PPAs they lead; events they organise; pending requests), and
afterwards their name reads "(inactive)" wherever it still shows and the task list's filter
still finds them."""

from __future__ import annotations

import re
import uuid
from typing import Any

from gateway_helpers import (
    ADMIN_PASSWORD,
    person,
    post,
    signed_in,
    submit,
    visible_text,
)

FRONTS_CALENDAR = True  # the events a person organises are the calendar service's

PEOPLE = "/accounts/people/"
TASKS = "/oobc-management/staff/tasks/"
EVENTS = "/oobc-management/calendar/events/"


def _item(html: str, href: str) -> str:
    """The visible text of the list item linking to `href`."""
    found = [item for item in re.findall(r"<li>(.*?)</li>", html, re.S) if f'href="{href}"' in item]
    assert len(found) == 1, (href, found)
    return visible_text(found[0])


def _omar_and_his_work(make_client, admin_headers) -> dict[str, Any]:
    """Omar, with a task only he is on, one shared with Rashid, a completed one, a courtesy
    call he organises and a pending leave request."""
    suffix = uuid.uuid4().hex[:6]
    api = make_client()
    omar = person(api, admin_headers, "staff", f"Omar Macabangkit {suffix}")
    rashid = person(api, admin_headers, "staff", f"Rashid Ali {suffix}")

    def task(title: str, *assignees: str, **extra: Any) -> dict[str, Any]:
        body = {"title": f"{title} {suffix}", "assignee_ids": list(assignees), **extra}
        return post(api, admin_headers, "/tasks", body)

    call = {
        "title": f"Courtesy call {suffix}",
        "event_type": "meeting",
        "start": "2037-12-14T15:00:00+08:00",
        "end": "2037-12-14T16:00:00+08:00",
    }
    leave = {"leave_type": "vacation", "start_date": "2037-12-28", "end_date": "2037-12-29"}
    return {
        "suffix": suffix,
        "omar": omar,
        "name": omar["full_name"],
        "alone": task("Draft the terms", omar["id"], due_date="2037-12-20"),
        "shared": task("Coordinate transport", omar["id"], rashid["id"], due_date="2037-12-21"),
        "done": task("Filed", omar["id"], status="completed"),
        "call": post(api, omar["headers"], "/events", call),
        "ppa": post(
            api,
            admin_headers,
            "/ppas",
            {
                "title": f"Farm-to-market road {suffix}",
                "category": "moa_ppa",
                "sector": "social",
                "lead_id": omar["id"],
                "status": "ongoing",
            },
        ),
        "ended_ppa": post(
            api,
            admin_headers,
            "/ppas",
            {
                "title": f"Old road {suffix}",
                "category": "moa_ppa",
                "sector": "social",
                "lead_id": omar["id"],
                "status": "completed",
            },
        ),
        "leave": post(api, omar["headers"], "/leaves", leave),
        "page": PEOPLE + omar["id"] + "/",
        "admin": signed_in(make_client(), "admin", ADMIN_PASSWORD),
    }


def test_the_deactivation_says_what_the_person_leaves_behind(make_client, admin_headers):
    """An admin deactivated Omar unwarned: his task with nobody else on it and the courtesy
    call he organises were orphaned. The page lists them before and after, linked."""
    work = _omar_and_his_work(make_client, admin_headers)
    admin = work["admin"]
    alone, shared, call = (
        f"{TASKS}{work['alone']['id']}/",
        f"{TASKS}{work['shared']['id']}/",
        f"{EVENTS}{work['call']['id']}/",
    )

    before = admin.get(work["page"])
    assert before.status_code == 200
    said = visible_text(before.text)
    assert f"What {work['name']} leaves behind" in said
    assert "2 open tasks (1 with nobody else assigned)" in said
    assert "nobody else is assigned" in _item(before.text, alone)
    assert "nobody else is assigned" not in _item(before.text, shared)
    assert f"{TASKS}{work['done']['id']}/" not in before.text  # completed: nothing to hand over
    assert "1 upcoming event they organise" in said
    assert f"Courtesy call {work['suffix']}" in _item(before.text, call)
    leave = f"/oobc-management/staff/leave/{work['leave']['id']}/"
    assert "Vacation" in _item(before.text, leave)
    # The PPA he leads is listed to choose a new lead; the completed one needs none.
    assert "1 PPA they lead" in said
    ppa_form = f"/oobc-management/portfolio/ppas/{work['ppa']['id']}/edit/"
    assert _item(before.text, ppa_form) == f"Farm-to-market road {work['suffix']} · Ongoing"
    assert f"/oobc-management/portfolio/ppas/{work['ended_ppa']['id']}/" not in before.text
    # His open tasks open together in the task list, to be reassigned in one change.
    (listing,) = re.findall(r'href="([^"]*)">Their open tasks in the task list', before.text)
    listed = visible_text(admin.get(listing.replace("&amp;", "&")).text)
    assert f"Draft the terms {work['suffix']}" in listed
    assert f"Coordinate transport {work['suffix']}" in listed
    assert f"Filed {work['suffix']}" not in listed
    assert "Not checked" not in said

    deactivated = submit(admin, work["page"] + "deactivate/", {"confirm": "yes"})
    assert deactivated.status_code == 303, deactivated.text
    after = admin.get(deactivated.headers["location"])
    said = visible_text(after.text)
    assert "Reassign the work it leaves" in said
    assert "Reassign them:" in said
    assert "nobody else is assigned" in _item(after.text, alone)
    assert f"Courtesy call {work['suffix']}" in _item(after.text, call)
    assert "1 PPA they lead" in said

    # The task list's assignee filter still finds him, marked, after the active people;
    # a picker choosing someone to work does not.
    found = admin.get("/oobc-management/people.json", params={"q": "Omar", "everyone": "true"})
    assert {"id": work["omar"]["id"], "name": f"{work['name']} (inactive)"} in found.json()
    assert work["omar"]["id"] not in str(admin.get("/oobc-management/people.json?q=Omar").json())
    assert "people.json?everyone=true" in admin.get(TASKS).text


def test_a_deactivated_persons_name_reads_inactive_on_tasks_and_events(make_client, admin_headers):
    """After the deactivation Omar still showed as a plain, active-looking assignee and
    organiser: the pages now say he is inactive, so that his work is seen to need someone."""
    work = _omar_and_his_work(make_client, admin_headers)
    admin = work["admin"]
    inactive = f"{work['name']} (inactive)"
    event_page = f"{EVENTS}{work['call']['id']}/"
    assert inactive not in admin.get(event_page).text  # before: as anyone's

    deactivated = submit(admin, work["page"] + "deactivate/", {"confirm": "yes"})
    assert deactivated.status_code == 303, deactivated.text

    task_page = visible_text(admin.get(f"{TASKS}{work['alone']['id']}/").text)
    assert f"Assignees {inactive}" in task_page
    assert f"Organizer {inactive}" in visible_text(admin.get(event_page).text)
    listing = visible_text(admin.get(TASKS, params={"q": work["suffix"]}).text)
    assert inactive in listing
    # The people page itself names them plainly, its status saying inactive.
    assert f"<h1>{work['name']}</h1>" in admin.get(work["page"]).text


def test_a_person_without_work_is_said_to_leave_nothing(make_client, admin_headers):
    quiet = person(make_client(), admin_headers, "staff", f"Quiet Person {uuid.uuid4().hex[:6]}")
    admin = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    said = visible_text(admin.get(PEOPLE + quiet["id"] + "/").text)
    assert (
        "has no open tasks, leads no open PPA, organises no upcoming event and has no pending "
        "requests"
    ) in said
