"""The "My work" home page against the real tasks, calendar and portfolio services: my tasks
(mine and my team's, never a colleague's) overdue, due today and later this week, my next
events (a weekly series' next occurrence), the managers' decisions taken from the page (back
on it with the message), and a service that is down leaving the rest of the page."""

from __future__ import annotations

import html
import re
import uuid
from datetime import date, datetime, timedelta
from typing import Any

import httpx
from gateway_helpers import (
    ADMIN_PASSWORD,
    person,
    post,
    signed_in,
    submit,
    token_for,
)

from gateway_service import formatting

FRONTS_CALENDAR = True  # the conftest gateway fronts the calendar service too

LEAVE = "/oobc-management/staff/leave/"
BOOKINGS = "/oobc-management/resources/bookings/"
TASKS = "/oobc-management/staff/tasks/"


def _today() -> date:
    """Today where the test users are (no time zone of their own: the office's)."""
    return datetime.now(formatting.OFFICE_ZONE).date()


def _task(
    client: httpx.Client, owner: dict[str, Any], title: str, due: date, **extra: Any
) -> dict[str, Any]:
    body = {"title": title, "due_date": due.isoformat(), "assignee_ids": [owner["id"]], **extra}
    task: dict[str, Any] = post(client, owner["headers"], "/tasks", body)
    return task


def _section(page: str, heading_id: str) -> str:
    """The HTML of the page's section headed by `heading_id`."""
    found = re.search(
        rf'<section[^>]*aria-labelledby="{heading_id}".*?</section>', page, flags=re.S
    )
    assert found, f"no section {heading_id}"
    return found.group(0)


def _heading(section: str) -> str:
    found = re.search(r"<h[23][^>]*>(.*?)</h[23]>", section, flags=re.S)
    assert found
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


def test_staff_see_their_and_their_teams_tasks_and_events_not_a_colleagues(
    make_client, admin_headers
):
    api = make_client()
    me = person(api, admin_headers, "staff", "Amina Staff")
    colleague = person(api, admin_headers, "staff", "Basil Colleague")
    marker = uuid.uuid4().hex[:8]
    today = _today()
    mine = _task(api, me, f"Submit travel report {marker}", today - timedelta(days=3))
    _task(api, colleague, f"Colleague late memo {marker}", today - timedelta(days=3))
    _task(api, me, f"Call the barangay {marker}", today, priority="high")
    team = post(
        api,
        admin_headers,
        "/teams",
        {"name": f"Field team {marker}", "members": [{"user_id": me["id"]}]},
    )
    theirs = post(
        api,
        colleague["headers"],
        "/tasks",
        {
            "title": f"Team overdue survey {marker}",
            # Due before mine, it is still listed after it: my own come first.
            "due_date": (today - timedelta(days=5)).isoformat(),
            "team_ids": [team["id"]],
            "assignee_ids": [colleague["id"]],
        },
    )
    # A weekly meeting that started two weeks ago: its next occurrence is within 14 days.
    start = datetime.combine(today - timedelta(days=14), datetime.min.time()).replace(hour=9)
    post(
        api,
        admin_headers,
        "/events",
        {
            "title": f"Weekly coordination {marker}",
            "event_type": "meeting",
            "start": start.isoformat(),
            "end": (start + timedelta(hours=1)).isoformat(),
            "participant_ids": [me["id"]],
            "recurrence": {"freq": "weekly"},
        },
    )
    post(
        api,
        admin_headers,
        "/events",
        {
            "title": f"Unrelated briefing {marker}",
            "event_type": "briefing",
            "start": (start + timedelta(days=15)).isoformat(),
            "end": (start + timedelta(days=15, hours=1)).isoformat(),
        },
    )

    client = signed_in(make_client(), me["username"])
    page = client.get("/")
    assert page.status_code == 200
    overdue = _section(page.text, "overdue")
    assert f"Submit travel report {marker}" in overdue
    assert f"Team overdue survey {marker}" in overdue  # through my team
    assert f"Colleague late memo {marker}" not in page.text
    assert _heading(overdue) == "Overdue (2)"
    assert f'action="{TASKS}{mine["id"]}/complete/"' in overdue
    # The team's task says whose it is and why it is mine to see; mine says nothing more.
    assert overdue.index(f"Submit travel report {marker}") < overdue.index(
        f"Team overdue survey {marker}"
    )
    theirs_item = overdue[overdue.index(f'data-task-id="{theirs["id"]}"') :].split("</li>")[0]
    assert f"Basil Colleague · via Field team {marker} team" in theirs_item
    assert ">Complete…</button>" in theirs_item
    mine_item = overdue[overdue.index(f'data-task-id="{mine["id"]}"') :].split("</li>")[0]
    assert "via " not in mine_item
    assert "Basil" not in mine_item
    assert ">Complete</button>" in mine_item

    due_today = _section(page.text, "today")
    assert f"Call the barangay {marker}" in due_today
    assert _heading(due_today) == "Due today (1)"
    assert "Nothing else due this week." in _section(page.text, "week") or today.weekday() == 6

    events = _section(page.text, "events")
    assert f"Weekly coordination {marker}" in events
    assert f"Unrelated briefing {marker}" not in page.text
    assert "09:00" in events  # the occurrence's local time, through the `span` filter

    assert "Waiting for my decision" not in page.text
    assert "pending-leave" not in page.text


def test_staff_complete_an_overdue_task_from_home(make_client, admin_headers):
    api = make_client()
    me = person(api, admin_headers, "staff", "Carmen Staff")
    marker = uuid.uuid4().hex[:8]
    task = _task(api, me, f"File the receipts {marker}", _today() - timedelta(days=1))
    client = signed_in(make_client(), me["username"])
    page = client.get("/").text
    assert _heading(_section(page, "overdue")) == "Overdue (1)"
    form = re.search(
        rf'action="{TASKS}{task["id"]}/complete/".*?name="next" value="([^"]+)"', page, re.S
    )
    assert form, "the overdue task has a Complete button"
    done = submit(
        client,
        f"{TASKS}{task['id']}/complete/",
        {"next": form.group(1).replace("&amp;", "&"), "version": str(task["version"])},
    )
    assert done.status_code == 303, done.text
    back = client.get(done.headers["location"])
    assert done.headers["location"].startswith("/?")
    assert f"\u201cFile the receipts {marker}\u201d completed" in back.text  # which one
    assert f"File the receipts {marker}" not in _section(back.text, "overdue")
    assert "Nothing overdue." in back.text


def test_manager_approves_leave_and_a_booking_from_home(make_client, admin_headers):
    api = make_client()
    staff = person(api, admin_headers, "staff", "Dalia Requester")
    manager = person(api, admin_headers, "manager", "Emil Manager")
    marker = uuid.uuid4().hex[:8]
    start = _today() + timedelta(days=30)
    leave = post(
        api,
        staff["headers"],
        "/leaves",
        {
            "leave_type": "vacation",
            "start_date": start.isoformat(),
            "end_date": (start + timedelta(days=1)).isoformat(),
            "reason": f"family visit {marker}",
        },
    )
    van = post(
        api,
        admin_headers,
        "/resources",
        {"name": f"Van {marker}", "resource_type": "vehicle", "booking_requires_approval": True},
    )
    booking = post(
        api,
        staff["headers"],
        "/bookings",
        {
            "resource_id": van["id"],
            "start": f"{start.isoformat()}T09:00:00+08:00",
            "end": f"{start.isoformat()}T11:00:00+08:00",
        },
    )
    assert booking["status"] == "pending"

    client = signed_in(make_client(), manager["username"])
    page = client.get("/")
    assert page.status_code == 200
    assert "Waiting for my decision" in page.text
    pending = _section(page.text, "pending-leave")
    assert f"family visit {marker}" in pending
    assert "Dalia Requester" in pending  # the full name, not the login
    assert re.fullmatch(r"Leave requests \(\d+\)", _heading(pending))
    bookings = _section(page.text, "pending-bookings")
    assert f"Van {marker} · Dalia Requester" in bookings

    approved = submit(client, f"{LEAVE}{leave['id']}/approve/", {"next": "home"})
    assert approved.status_code == 303, approved.text
    assert approved.headers["location"] == "/?saved=approved&subject=leave"
    back = client.get(approved.headers["location"])
    assert "Leave request approved" in back.text
    assert f"family visit {marker}" not in back.text
    status = api.get(f"/api/v1/leaves/{leave['id']}", headers=staff["headers"])
    assert status.json()["status"] == "approved"

    # A rejection says why: asked again without a reason, the note's box marked.
    unsaid = submit(client, f"{BOOKINGS}{booking['id']}/reject/", {"next": "home"})
    assert unsaid.status_code == 422
    assert 'id="f-notes-error">Give the reason for rejecting it, the booker reads it<' in (
        unsaid.text
    )
    rejected = submit(
        client, f"{BOOKINGS}{booking['id']}/reject/", {"next": "home", "notes": "Van in repair"}
    )
    assert rejected.headers["location"] == "/?saved=rejected&subject=booking"
    back = client.get(rejected.headers["location"])
    assert "Booking rejected" in back.text
    assert f"Van {marker}" not in back.text

    # Staff may not decide: refused on the home page itself, with the reason.
    other = post(
        api,
        manager["headers"],
        "/leaves",
        {"leave_type": "sick", "start_date": start.isoformat(), "end_date": start.isoformat()},
    )
    staff_client = signed_in(make_client(), staff["username"])
    refused = submit(staff_client, f"{LEAVE}{other['id']}/approve/", {"next": "home"})
    assert refused.status_code == 403
    assert "My work" in refused.text


def test_manager_sees_ppas_in_review(make_client, admin_headers):
    api = make_client()
    manager = person(api, admin_headers, "manager", "Fatima Reviewer")
    marker = uuid.uuid4().hex[:8]
    ppa = post(
        api,
        admin_headers,
        "/ppas",
        {"title": f"Livelihood grants {marker}", "category": "oobc_ppa"},
    )
    moved = api.post(
        f"/api/v1/ppas/{ppa['id']}/approval",
        json={"to": "technical_review"},
        headers=admin_headers,
    )
    assert moved.status_code == 200, moved.text
    draft = post(
        api, admin_headers, "/ppas", {"title": f"Draft only {marker}", "category": "oobc_ppa"}
    )
    # One at the final approval: an admin's decision, not waiting for a manager.
    final = post(
        api, admin_headers, "/ppas", {"title": f"Final only {marker}", "category": "oobc_ppa"}
    )
    for stage in ("technical_review", "budget_review", "executive_approval"):
        step = api.post(
            f"/api/v1/ppas/{final['id']}/approval", json={"to": stage}, headers=admin_headers
        )
        assert step.status_code == 200, step.text

    page = signed_in(make_client(), manager["username"]).get("/").text
    ppas = _section(page, "pending-ppas")
    assert f"Livelihood grants {marker}" in ppas
    assert f"/oobc-management/portfolio/ppas/{ppa['id']}/#approval" in ppas
    assert "Technical review" in ppas
    assert draft["id"] not in page
    assert final["id"] not in page
    admin_page = signed_in(make_client(), "admin", ADMIN_PASSWORD).get("/").text
    assert final["id"] in _section(admin_page, "pending-ppas")


def test_a_service_down_leaves_the_rest_of_the_page(in_process):
    # A gateway whose calendar service is unreachable (nothing listens on port 9).
    client = in_process(calendar_url="http://127.0.0.1:9")
    admin = token_for(client, "admin", ADMIN_PASSWORD)
    me = person(client, admin, "manager", "Gil Degraded")
    marker = uuid.uuid4().hex[:8]
    _task(client, me, f"Still listed {marker}", _today() - timedelta(days=2))
    signed_in(client, me["username"])
    page = client.get("/")
    assert page.status_code == 200
    assert f"Still listed {marker}" in _section(page.text, "overdue")
    assert "Events could not load" in _section(page.text, "events")
    assert "Leave requests could not load" in _section(page.text, "pending-leave")
    assert "Bookings could not load" in _section(page.text, "pending-bookings")
    assert "could not load" not in _section(page.text, "pending-ppas")


def test_home_needs_a_login(make_client):
    response = make_client().get("/")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/accounts/login/")


def test_a_managers_own_requests_wait_for_another_manager(make_client, admin_headers):
    api = make_client()
    manager = person(api, admin_headers, "manager", "Fatima Manager")
    staff = person(api, admin_headers, "staff", "Gani Staff")
    marker = uuid.uuid4().hex[:8]
    start = _today() + timedelta(days=40)
    leave = post(
        api,
        manager["headers"],
        "/leaves",
        {"leave_type": "vacation", "start_date": start.isoformat(), "end_date": start.isoformat()},
    )
    van = post(
        api,
        admin_headers,
        "/resources",
        {"name": f"Van {marker}", "resource_type": "vehicle", "booking_requires_approval": True},
    )
    booking = post(
        api,
        manager["headers"],
        "/bookings",
        {
            "resource_id": van["id"],
            "start": f"{start.isoformat()}T09:00:00+08:00",
            "end": f"{start.isoformat()}T11:00:00+08:00",
        },
    )
    client = signed_in(make_client(), manager["username"])
    home = client.get("/").text
    for section, record in (("pending-leave", leave), ("pending-bookings", booking)):
        item = re.search(rf'data-\w+-id="{record["id"]}".*?</li>', _section(home, section), re.S)
        assert item, section
        assert "Your request: another manager decides it" in item.group(0)
        assert "approve/" not in item.group(0)
    # Nor on the request's own pages; its questions are refused, with the reason.
    assert "approve/" not in client.get(f"{LEAVE}{leave['id']}/").text
    assert "approve/" not in client.get(f"{BOOKINGS}{booking['id']}/").text
    own = client.get(f"{LEAVE}{leave['id']}/reject/")
    assert own.status_code == 403
    assert "Nobody decides their own request" in own.text
    assert client.get(f"{BOOKINGS}{booking['id']}/reject/").status_code == 403
    # A staff member is refused the question too (only its answer was refused before).
    staff_client = signed_in(make_client(), staff["username"])
    asked = staff_client.get(f"{LEAVE}{leave['id']}/reject/")
    assert asked.status_code == 403
    assert "Only a manager approves or rejects a request" in asked.text


def test_leave_filed_after_its_first_day_says_so_to_the_manager(make_client, admin_headers):
    api = make_client()
    staff = person(api, admin_headers, "staff", "Hana Late")
    manager = person(api, admin_headers, "manager", "Ibrahim Manager")
    today = _today()
    late = post(
        api,
        staff["headers"],
        "/leaves",
        {
            "leave_type": "vacation",
            "start_date": (today - timedelta(days=3)).isoformat(),
            "end_date": (today - timedelta(days=2)).isoformat(),
        },
    )
    ahead = post(
        api,
        staff["headers"],
        "/leaves",
        {
            "leave_type": "vacation",
            "start_date": (today + timedelta(days=50)).isoformat(),
            "end_date": (today + timedelta(days=50)).isoformat(),
        },
    )
    filed = f"filed {formatting.format_day(today)}, after its first day"
    client = signed_in(make_client(), manager["username"])
    pending = _section(client.get("/").text, "pending-leave")
    for leave, said in ((late, True), (ahead, False)):
        item = re.search(rf'data-leave-id="{leave["id"]}".*?</li>', pending, re.S)
        assert item
        assert (filed in item.group(0)) is said
    page = client.get(f"{LEAVE}{late['id']}/").text
    assert f"{formatting.format_day(today)} (after its first day)" in page
    listed = client.get(LEAVE).text
    assert f"(filed {formatting.format_day(today)}, after its first day)" in listed


def test_due_today_comes_first_and_the_overdue_show_five_then_a_link_to_all(
    make_client, admin_headers
):
    """On a phone 20 overdue tasks put "Due today" 2,000 px down: today's come first, then the
    first 5 overdue and a link to all of them in "My tasks"."""
    api = make_client()
    me = person(api, admin_headers, "staff", "Bai Overdue")
    marker = uuid.uuid4().hex[:8]
    for n in range(7):
        _task(api, me, f"Late return {marker} {n}", _today() - timedelta(days=n + 1))
    _task(api, me, f"Today's call {marker}", _today())
    client = signed_in(make_client(), me["username"])
    page = client.get("/").text
    assert page.index('aria-labelledby="today"') < page.index('aria-labelledby="overdue"')
    overdue = _section(page, "overdue")
    assert _heading(overdue) == "Overdue (7)"
    assert overdue.count('class="work-item"') == 5
    link = re.search(r'<a href="([^"]+)">Show all 7 overdue</a>', overdue)
    assert link, "a link to all the overdue tasks"
    listed = client.get(html.unescape(link.group(1))).text
    assert "7 tasks" in listed
    assert listed.count(f"Late return {marker}") >= 7
