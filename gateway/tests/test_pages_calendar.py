"""Resource, booking, leave and event pages against the real calendar service."""

from __future__ import annotations

import html
import re
import uuid
from typing import Any

import httpx
import pytest
from gateway_helpers import (
    ADMIN_PASSWORD,
    USER_PASSWORD,
    create_user,
    post,
    signed_in,
    submit,
    token_for,
)

FRONTS_CALENDAR = True  # the conftest gateway fronts the calendar service too

RESOURCES = "/oobc-management/resources/"
BOOKINGS = RESOURCES + "bookings/"
LEAVE = "/oobc-management/staff/leave/"
EVENTS = "/oobc-management/calendar/events/"


@pytest.fixture
def staff_user(make_client, admin_headers) -> dict[str, Any]:
    return create_user(make_client(), admin_headers, "staff")


def _created_id(response: httpx.Response, prefix: str) -> str:
    assert response.status_code == 303, response.text
    # The record's page, perhaps saying what was done (``?saved=sent``).
    match = re.fullmatch(
        re.escape(prefix) + r"([0-9a-f-]{36})/(?:\?saved=[\w-]+)?", response.headers["location"]
    )
    assert match, response.headers["location"]
    return match.group(1)


def _resource(client: httpx.Client, name: str, *, approval: bool) -> str:
    data = {"name": name, "resource_type": "vehicle", "capacity": "7", "location": "Cotabato"}
    if approval:
        data["booking_requires_approval"] = "1"
    created = submit(client, RESOURCES + "create/", data)
    assert created.status_code == 303, created.text
    page = client.get(RESOURCES).text
    found = re.search(rf'<option value="([0-9a-f-]{{36}})"[^>]*>{re.escape(name)} ', page)
    assert found, "the book form offers the new resource"
    return found.group(1)


def test_calendar_pages_need_a_login_and_csrf(make_client):
    anonymous = make_client()
    for path in (
        RESOURCES,
        f"{BOOKINGS}{uuid.uuid4()}/",
        LEAVE,
        f"{LEAVE}{uuid.uuid4()}/",
        f"{EVENTS}{uuid.uuid4()}/",
    ):
        response = anonymous.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/accounts/login/?next=")
    client = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    refused = client.post(
        LEAVE + "create/",
        data={"leave_type": "sick", "start_date": "2031-01-01", "end_date": "2031-01-01"},
    )
    assert refused.status_code == 403


def test_resources_bookings_overlap_and_decisions(make_client, staff_user):
    manager = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    marker = uuid.uuid4().hex[:8]
    van = _resource(manager, f"Van {marker}", approval=True)
    listing = manager.get(RESOURCES)
    assert listing.status_code == 200
    assert f"Van {marker}" in listing.text
    invalid = submit(
        manager, RESOURCES + "create/", {"name": f"Bus {marker}", "resource_type": "spaceship"}
    )
    assert invalid.status_code == 422
    assert re.search(r'<select name="resource_type" aria-invalid="true"', invalid.text)
    # Every problem at once, each beside its input, the values typed kept.
    both = submit(manager, RESOURCES + "create/", {"name": "", "capacity": "twelve"})
    assert both.status_code == 422
    assert 'id="resource-name-error">Give the resource a name<' in both.text
    assert 'id="resource-capacity-error">Give a whole number of people or seats' in both.text
    assert 'value="twelve"' in both.text
    assert "Please correct the 2 fields marked below." in both.text
    taken = submit(
        manager, RESOURCES + "create/", {"name": f"Van {marker}", "resource_type": "room"}
    )
    assert taken.status_code == 409
    assert re.search(r'id="resource-name-error">[^<]*already exists', taken.text)

    staff = signed_in(make_client(), staff_user["username"])
    staff_page = staff.get(RESOURCES)
    assert staff_page.status_code == 200
    assert 'action="/oobc-management/resources/create/"' not in staff_page.text
    not_allowed = submit(
        staff, RESOURCES + "create/", {"name": f"Car {marker}", "resource_type": "vehicle"}
    )
    assert not_allowed.status_code == 403

    slot = {
        "resource_id": van,
        "start": "2031-05-04T09:00",
        "end": "2031-05-04T12:00",
        "notes": f"trip {marker}",
    }
    booking = _created_id(submit(staff, BOOKINGS + "create/", slot), BOOKINGS)
    detail = staff.get(f"{BOOKINGS}{booking}/")
    assert detail.status_code == 200
    assert f"Van {marker}" in detail.text
    assert "badge-pending" in detail.text
    assert "/approve/" not in detail.text  # staff are offered cancel only
    assert "/cancel/" in detail.text

    overlap = submit(
        manager,
        BOOKINGS + "create/",
        {**slot, "start": "2031-05-04T11:00", "end": "2031-05-04T13:00"},
    )
    assert overlap.status_code == 409
    assert "already booked Sun 4 May 2031, 09:00" in overlap.text  # in words
    assert f'href="{BOOKINGS}{booking}/"' in overlap.text  # names the conflicting booking
    assert f"id {booking}" not in overlap.text  # linked, not printed
    bad_times = submit(
        manager,
        BOOKINGS + "create/",
        {**slot, "start": "2031-05-05T10:00", "end": "2031-05-05T09:00"},
    )
    assert bad_times.status_code == 422
    assert "end" in bad_times.text

    refused = submit(staff, f"{BOOKINGS}{booking}/approve/")
    assert refused.status_code == 403
    assert "manager" in refused.text
    assert "/approve/" in manager.get(f"{BOOKINGS}{booking}/").text
    assert submit(manager, f"{BOOKINGS}{booking}/approve/").status_code == 303
    approved = staff.get(f"{BOOKINGS}{booking}/").text
    assert "badge-approved" in approved
    assert "Administrator" in approved
    twice = submit(manager, f"{BOOKINGS}{booking}/approve/")
    assert twice.status_code == 409
    assert submit(staff, f"{BOOKINGS}{booking}/cancel/").status_code == 303
    assert "badge-cancelled" in staff.get(f"{BOOKINGS}{booking}/").text
    mine = staff.get(RESOURCES, params={"mine": "true"})
    assert f'href="{BOOKINGS}{booking}/"' in mine.text

    for path in (f"{BOOKINGS}{uuid.uuid4()}/", f"{BOOKINGS}zzz/"):
        assert manager.get(path).status_code == 404


def test_leave_requests_and_decisions(make_client, staff_user):
    staff = signed_in(make_client(), staff_user["username"])
    manager = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    marker = uuid.uuid4().hex[:8]
    # The browser limits the reason as the service does (the attribute was escaped to
    # maxlength="&quot;5000&quot;", which a browser ignores).
    assert '<input name="reason" type="text" value="" maxlength="5000"' in staff.get(LEAVE).text
    created = submit(
        staff,
        LEAVE + "create/",
        {
            "leave_type": "vacation",
            "start_date": "2031-07-01",
            "end_date": "2031-07-03",
            "reason": f"family {marker}",
        },
    )
    leave = _created_id(created, LEAVE)
    assert created.headers["location"].endswith("?saved=sent")
    assert (
        'role="status" aria-live="polite">Leave request sent<'
        in staff.get(created.headers["location"]).text
    )
    own = staff.get(LEAVE)
    assert own.status_code == 200
    assert f"family {marker}" in own.text
    assert "Pending requests" not in own.text

    # Every problem beside its input, at once, in words; what was typed stays.
    backwards = submit(
        staff,
        LEAVE + "create/",
        {"leave_type": "sick", "start_date": "2031-07-05", "end_date": "2031-07-01"},
    )
    assert backwards.status_code == 422
    assert (
        '<span class="field-error" id="f-end_date-error">'
        "The last day must not be before the first day</span>" in backwards.text
    )
    assert 'value="2031-07-05"' in backwards.text
    empty = submit(
        staff, LEAVE + "create/", {"leave_type": "sick", "start_date": "", "end_date": "x"}
    )
    assert empty.status_code == 422
    assert 'id="f-start_date-error">Give the first day<' in empty.text
    assert 'id="f-end_date-error">Enter a date, e.g. 2026-12-14<' in empty.text
    assert "Please correct the 2 fields marked below." in empty.text

    refused = submit(staff, f"{LEAVE}{leave}/approve/")
    assert refused.status_code == 403

    queue = manager.get(LEAVE)
    assert "Pending requests" in queue.text
    assert f"family {marker}" in queue.text
    assert staff_user["username"] in queue.text
    decided = submit(manager, f"{LEAVE}{leave}/approve/", {"next": "list"})
    assert decided.status_code == 303
    assert decided.headers["location"] == LEAVE + "?saved=approved"
    assert ">Leave request approved<" in manager.get(decided.headers["location"]).text
    detail = staff.get(f"{LEAVE}{leave}/")
    assert detail.status_code == 200
    assert "badge-approved" in detail.text
    again = submit(manager, f"{LEAVE}{leave}/reject/")
    assert again.status_code == 409
    assert manager.get(f"{LEAVE}{uuid.uuid4()}/").status_code == 404


def test_a_leave_page_says_what_its_days_hold(make_client, admin_headers, staff_user):
    """Filing leave in the middle of a mission they run, the person sees the meetings they
    organise then and their open tasks due then; the manager deciding sees those and who
    else is away then."""
    marker = uuid.uuid4().hex[:8]
    colleague = create_user(make_client(), admin_headers, "staff")
    mine = token_for(make_client(), staff_user["username"], USER_PASSWORD)
    standup = post(
        make_client(),
        mine,
        "/events",
        {
            "title": f"Mission stand-up {marker}",
            "event_type": "meeting",
            "start": "2031-09-15T07:00:00+08:00",
            "end": "2031-09-15T07:20:00+08:00",
            "participant_ids": [colleague["id"]],
        },
    )
    tasks = {
        title: post(
            make_client(),
            mine,
            "/tasks",
            {
                "title": f"{title} {marker}",
                "due_date": due,
                "status": status,
                "assignee_ids": [staff_user["id"]],
            },
        )
        for title, due, status in (
            ("Revise the budget", "2031-09-15", "not_started"),
            ("Already done", "2031-09-14", "completed"),
            ("After the leave", "2031-09-16", "not_started"),
        )
    }
    theirs = token_for(make_client(), colleague["username"], USER_PASSWORD)
    post(
        make_client(),
        theirs,
        "/leaves",
        {"leave_type": "vacation", "start_date": "2031-09-12", "end_date": "2031-09-16"},
    )
    staff = signed_in(make_client(), staff_user["username"])
    created = submit(
        staff,
        LEAVE + "create/",
        {"leave_type": "vacation", "start_date": "2031-09-14", "end_date": "2031-09-15"},
    )
    page = staff.get(created.headers["location"]).text
    assert "While you are away" in page
    assert "1 event you organise or attend in these days:" in page
    assert (
        f'<a href="/oobc-management/calendar/events/{standup["id"]}/">'
        f"‘Mission stand-up {marker}’ Mon 15 Sep 2031, 07:00–07:20</a>" in page  # noqa: RUF001
    )
    assert f"{colleague['username']}, Fri 12 Sep 2031 – Tue 16 Sep 2031 (pending)" in page  # noqa: RUF001
    assert "1 open task of yours due in these days:" in page
    revise = tasks["Revise the budget"]["id"]
    assert (
        f'<a href="/oobc-management/staff/tasks/{revise}/">'
        f"‘Revise the budget {marker}’</a>, due Mon 15 Sep 2031" in page  # noqa: RUF001
    )
    assert f"Already done {marker}" not in page
    assert f"After the leave {marker}" not in page
    manager = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    deciding = manager.get(created.headers["location"].split("?")[0]).text
    assert f"While {staff_user['username']} is away" in deciding  # no full name: the user name
    assert "1 event they organise or attend in these days:" in deciding
    assert "1 open task of theirs due in these days:" in deciding
    assert f"Revise the budget {marker}" in deciding


def test_rejecting_leave_asks_first_with_the_reason_the_requester_is_told(make_client, staff_user):
    staff = signed_in(make_client(), staff_user["username"])
    manager = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    body = {"leave_type": "vacation", "start_date": "2031-08-04", "end_date": "2031-08-05"}
    leave = _created_id(submit(staff, LEAVE + "create/", body), LEAVE)
    queue = manager.get(LEAVE).text
    assert f'href="{LEAVE}{leave}/reject/?next=list"' in queue
    assert f'action="{LEAVE}{leave}/reject/"' not in queue  # no one-click rejection
    question = manager.get(f"{LEAVE}{leave}/reject/", params={"next": "list"})
    assert question.status_code == 200
    assert "Mon 4 Aug 2031 \N{EN DASH} Tue 5 Aug 2031" in question.text
    # What the manager weighs is on the page: the type and the requester's own reason.
    assert "<dt>Type</dt><dd>Vacation</dd>" in question.text
    assert "<dt>Their reason</dt><dd>\N{EM DASH}</dd>" in question.text
    assert "badge-pending" in staff.get(f"{LEAVE}{leave}/").text  # asking changed nothing
    # No reason: asked again, the refusal beside the reason input, the way back kept.
    for typed, next_page in (("", "list"), ("  ", "home")):
        blank = submit(manager, f"{LEAVE}{leave}/reject/", {"next": next_page, "reason": typed})
        assert blank.status_code == 422
        assert "Please correct the field marked below." in blank.text
        assert re.search(
            r'<textarea name="reason"[^>]*aria-invalid="true"[^>]*></textarea>',
            blank.text,
        )
        assert (
            '<span class="field-error" id="f-reason-error">Give the reason for rejecting it, '
            "the requester reads it</span>"
        ) in html.unescape(blank.text)
        assert f'<input type="hidden" name="next" value="{next_page}">' in blank.text
        assert "obcms-forms.css" in blank.text  # the error red, as on every form
    assert "badge-pending" in staff.get(f"{LEAVE}{leave}/").text
    rejected = submit(
        manager, f"{LEAVE}{leave}/reject/", {"next": "list", "reason": "The team is at the summit"}
    )
    assert rejected.headers["location"] == LEAVE + "?saved=rejected"
    assert ">Leave request rejected<" in manager.get(rejected.headers["location"]).text
    decided = staff.get(f"{LEAVE}{leave}/").text
    assert "badge-rejected" in decided
    assert "<dt>Note with the decision</dt><dd>The team is at the summit</dd>" in decided

    # From Home, too: back there, saying so (it said nothing: "rejectd" is no word).
    body = {**body, "start_date": "2031-08-11", "end_date": "2031-08-11"}
    other = _created_id(submit(staff, LEAVE + "create/", body), LEAVE)
    from_home = submit(manager, f"{LEAVE}{other}/reject/", {"next": "home", "reason": "Busy week"})
    assert from_home.headers["location"] == "/?saved=rejected&subject=leave"
    assert ">Leave request rejected<" in manager.get(from_home.headers["location"]).text


def test_a_request_is_withdrawn_after_asking_and_a_manager_cancels_approved_leave(
    make_client, staff_user
):
    staff = signed_in(make_client(), staff_user["username"])
    manager = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    body = {"leave_type": "official", "start_date": "2031-09-01", "end_date": "2031-09-02"}
    leave = _created_id(submit(staff, LEAVE + "create/", body), LEAVE)
    page = staff.get(f"{LEAVE}{leave}/").text
    assert f'href="{LEAVE}{leave}/withdraw/">Withdraw request…<' in page
    question = staff.get(f"{LEAVE}{leave}/withdraw/")
    assert question.status_code == 200
    assert "Withdraw this leave request?" in question.text
    version = re.search(r'name="version" value="(\d+)"', question.text)
    assert version
    assert staff.get(f"{LEAVE}{leave}/").status_code == 200  # asking changed nothing
    withdrawn = submit(staff, f"{LEAVE}{leave}/withdraw/", {"version": version.group(1)})
    assert withdrawn.headers["location"] == LEAVE + "?saved=withdrawn"
    assert ">Leave request withdrawn<" in staff.get(withdrawn.headers["location"]).text
    assert staff.get(f"{LEAVE}{leave}/").status_code == 404

    approved = _created_id(submit(staff, LEAVE + "create/", body), LEAVE)
    assert submit(manager, f"{LEAVE}{approved}/approve/").status_code == 303
    assert "Withdraw request…" not in staff.get(f"{LEAVE}{approved}/").text
    refused = submit(staff, f"{LEAVE}{approved}/withdraw/", {})
    assert refused.status_code == 409
    assert "a manager can cancel it" in refused.text
    assert "Cancel leave…" in manager.get(f"{LEAVE}{approved}/").text
    cancelled = submit(manager, f"{LEAVE}{approved}/withdraw/", {})
    assert cancelled.status_code == 303
    assert staff.get(f"{LEAVE}{approved}/").status_code == 404


def test_event_detail_page(make_client, admin_headers):
    client = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    marker = uuid.uuid4().hex[:8]
    event = post(
        make_client(),
        admin_headers,
        "/events",
        {
            "title": f"Coordination meeting {marker}",
            "event_type": "meeting",
            "start": "2031-06-02T09:00:00+08:00",
            "end": "2031-06-02T10:00:00+08:00",
            "venue": "OOBC hall",
        },
    )
    page = client.get(f"{EVENTS}{event['id']}/")
    assert page.status_code == 200
    assert f"Coordination meeting {marker}" in page.text
    assert "OOBC hall" in page.text
    assert 'href="/oobc-management/staff/calendar/"' in page.text
    assert client.get(f"{EVENTS}{uuid.uuid4()}/").status_code == 404


def test_a_renamed_occurrence_is_listed_as_renamed_a_moved_one_as_moved(make_client, admin_headers):
    client = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    api = make_client()
    series = post(
        api,
        admin_headers,
        "/events",
        {
            "title": f"Weekly sync {uuid.uuid4().hex[:8]}",
            "event_type": "meeting",
            "start": "2031-06-02T09:00:00+08:00",
            "end": "2031-06-02T10:00:00+08:00",
            "recurrence": {"freq": "weekly", "count": 3},
        },
    )
    url = f"/api/v1/events/{series['id']}/occurrences"
    renamed = api.put(f"{url}/20310609", json={"title": "Year planning"}, headers=admin_headers)
    assert renamed.status_code == 200, renamed.text
    moved = api.put(
        f"{url}/20310616",
        json={"start": "2031-06-17T14:00:00+08:00", "end": "2031-06-17T15:00:00+08:00"},
        headers=admin_headers,
    )
    assert moved.status_code == 200, moved.text
    page = client.get(f"{EVENTS}{series['id']}/").text
    listed = page[page.index("Changed occurrences") :]
    assert "Mon 9 Jun 2031</a>: called \u201cYear planning\u201d" in listed
    assert "Mon 16 Jun 2031</a>: moved to Tue 17 Jun 2031, 14:00" in listed
    # An occurrence's own page says its own time, venue, title and status, not the series'.
    elsewhere = api.put(
        f"{url}/20310602", json={"venue": "Room 3", "title": "Away day"}, headers=admin_headers
    )
    assert elsewhere.status_code == 200, elsewhere.text
    own = client.get(f"{EVENTS}{series['id']}/", params={"occurrence": "2031-06-16"}).text
    assert "<dt>When</dt><dd>Tue 17 Jun 2031, 14:00–15:00</dd>" in own  # noqa: RUF001
    away = client.get(f"{EVENTS}{series['id']}/", params={"occurrence": "2031-06-02"}).text
    assert "<h1>Away day" in away
    assert "<dt>Venue</dt><dd>Room 3</dd>" in away
    called_off = api.delete(f"{url}/20310609", headers=admin_headers)
    assert called_off.status_code in (200, 204), called_off.text
    off = client.get(f"{EVENTS}{series['id']}/", params={"occurrence": "2031-06-09"}).text
    assert 'badge-cancelled">Cancelled</span> (this occurrence)' in off


def test_every_section_is_in_the_navigation(make_client):
    client = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    home = client.get("/")
    for path in (
        "/oobc-management/staff/tasks/",
        "/oobc-management/staff/tasks/mine/",
        "/oobc-management/portfolio/",
        "/oobc-management/portfolio/ppas/",
        "/oobc-management/portfolio/assessments/",
        "/oobc-management/portfolio/needs/",
        RESOURCES,
        LEAVE,
    ):
        assert f'href="{path}"' in home.text, path
        assert client.get(path).status_code == 200, path
