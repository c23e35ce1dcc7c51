"""The task template pages: every template the product ships, a template's tasks by the day
they fall on, and a manager's changes (a task's day and title, one added, one dropped, the
template switched off) with every refusal beside its input, a colleague's change meanwhile
not overwritten, and a staff member shown no form and refused."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest
from gateway_helpers import ADMIN_PASSWORD, create_user, signed_in, submit, visible_text

TEMPLATES = "/oobc-management/staff/task-templates/"


@pytest.fixture
def admin(make_client) -> httpx.Client:
    return signed_in(make_client(), "admin", ADMIN_PASSWORD)


def _template(client: httpx.Client, admin_headers: dict[str, str], name: str) -> dict:
    reply = client.get(f"/api/v1/task-templates/{name}", headers=admin_headers)
    assert reply.status_code == 200, reply.text
    return reply.json()


def _form_of(page: str) -> dict[str, Any]:
    """The edit form's values as the page holds them (lists for the rows' inputs)."""
    read_at = re.search(r'name="read_at" value="([^"]+)"', page)
    assert read_at
    titles = re.findall(r'<input name="title" value="([^"]*)"', page)
    days = re.findall(r'<input name="days" value="([^"]*)"', page)
    priorities = re.findall(
        r'<select name="priority"[^>]*>.*?<option value="(\w+)" selected', page, re.S
    )
    hours = re.findall(r'<input name="hours" value="([^"]*)"', page)
    notes = re.findall(r'name="item_description" value="([^"]*)"', page)
    return {
        "read_at": read_at.group(1),
        "description": "Meetings of the office",
        "title": titles,
        "days": days,
        "priority": priorities,
        "hours": hours,
        "item_description": notes,
    }


def test_a_manager_changes_a_template_and_a_colleagues_change_is_kept(
    make_client, admin, admin_headers
):
    name = f"visit_{uuid.uuid4().hex[:8]}"
    made = make_client().post(
        "/api/v1/task-templates",
        json={
            "name": name,
            "domain": "coordination",
            "description": "Field visits",
            "items": [
                {"title": "Book the van for {event_title}", "days_from_start": 0},
                {"title": "Write the visit report", "days_from_start": 3, "priority": "high"},
            ],
        },
        headers=admin_headers,
    )
    assert made.status_code == 201, made.text

    listing = visible_text(admin.get(TEMPLATES).text)
    assert f"{name.replace('_', ' ').capitalize()} Field visits 2 In use" in listing
    page = admin.get(f"{TEMPLATES}{name}/").text
    text = visible_text(page)
    assert "The start day Book the van for {event_title}" in text
    assert "3 days after Write the visit report" in text

    # A day that is not a number, beside its row, what was typed kept.
    form = _form_of(page)
    form["days"] = ["0", "three", "", "", ""]
    refused = submit(admin, f"{TEMPLATES}{name}/", form)
    assert refused.status_code == 422
    assert (
        'id="tpl-days-1-error">A whole number of days from -365 (before the start) to 3650<'
        in refused.text
    )
    assert 'value="three"' in refused.text

    # The report a day later, a new task added in an empty row, the van's task dropped.
    form = _form_of(page)
    form["title"] = ["", "Write the visit report", "Thank the barangay", "Confirm the van", ""]
    form["days"] = ["0", "4", "5", "\N{MINUS SIGN}2", ""]
    saved = submit(admin, f"{TEMPLATES}{name}/", form)
    assert saved.status_code == 303, saved.text
    assert "Template saved" in admin.get(saved.headers["location"]).text
    stored = _template(make_client(), admin_headers, name)
    assert [(i["title"], i["days_from_start"], i["priority"]) for i in stored["items"]] == [
        ("Write the visit report", 4, "high"),
        ("Thank the barangay", 5, "medium"),
        ("Confirm the van", -2, "medium"),
    ]
    # A task before the start says so.
    assert "2 days before Confirm the van" in visible_text(admin.get(f"{TEMPLATES}{name}/").text)
    assert stored["description"] == "Meetings of the office"

    # Saved from a page opened before that change: refused, the form showing it as it is now.
    stale = _form_of(page)
    stale["inactive"] = "1"
    again = submit(admin, f"{TEMPLATES}{name}/", stale)
    assert again.status_code == 412
    assert "Someone changed this template since you opened it" in again.text
    assert 'value="Thank the barangay"' in again.text
    assert _template(make_client(), admin_headers, name)["is_active"] is True

    # Switched off from the page as it is now.
    now = _form_of(again.text)
    now["inactive"] = "1"
    off = submit(admin, f"{TEMPLATES}{name}/", now)
    assert off.status_code == 303, off.text
    assert _template(make_client(), admin_headers, name)["is_active"] is False
    assert "Switched off: no tasks are made from it" in admin.get(f"{TEMPLATES}{name}/").text


def test_staff_read_the_templates_and_may_not_change_them(make_client, admin_headers):
    person = create_user(make_client(), admin_headers, "staff")
    staff = signed_in(make_client(), person["username"])
    page = staff.get(f"{TEMPLATES}event_meeting_standard/")
    assert page.status_code == 200
    assert "Change the template" not in page.text
    admin = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    form = _form_of(admin.get(f"{TEMPLATES}event_meeting_standard/").text)
    form["title"] = ["Taken over", *form["title"][1:]]
    refused = submit(staff, f"{TEMPLATES}event_meeting_standard/", form)
    assert refused.status_code == 403
    items = _template(make_client(), admin_headers, "event_meeting_standard")["items"]
    assert items[0]["title"] != "Taken over"
    assert staff.get(f"{TEMPLATES}no_such_template/").status_code == 404
