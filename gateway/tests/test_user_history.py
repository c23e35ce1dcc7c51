"""Change history on the gateway's accounts (`GET /api/v1/users/{id}/history`: an admin's or
one's own, never a password or token) and the activity streams of the account, assessment,
need, leave, booking and event pages, in words."""

from __future__ import annotations

import re
import uuid

from gateway_helpers import (
    ADMIN_PASSWORD,
    USER_PASSWORD,
    create_user,
    ok,
    person,
    post,
    signed_in,
    token_for,
)

FRONTS_CALENDAR = True  # the conftest gateway fronts the calendar service too
PEOPLE = "/accounts/people/"


def _stream(page: str) -> tuple[list[tuple[str, str]], list[str]]:
    """The activity stream of `page`: (who, what) of each entry, and each change in words."""
    stream = page[page.index('id="activity"') :]
    stream = stream[: stream.index("</section>")]
    entries = re.findall(r"<li>\s*<p><strong>(.*?)</strong> (.*?) · <time", stream)
    changes = [
        re.sub(r"<[^>]+>", "", item) for item in re.findall(r"<li>(\w[^<]*:.*?)</li>", stream)
    ]
    return entries, changes


def test_an_accounts_history_names_the_admin_and_never_a_secret(make_client, admin_headers):
    client = make_client()
    admin_id = ok(client.get("/api/v1/users/me", headers=admin_headers), 200)["id"]
    user = create_user(client, admin_headers, "staff", full_name="Ana Cruz")
    path = f"/api/v1/users/{user['id']}"
    changed = client.patch(
        path,
        json={"role": "manager", "full_name": "Ana M. Cruz"},
        headers={**admin_headers, "If-Match": f'"{user["version"]}"'},
    )
    assert changed.status_code == 200, changed.text
    reset = client.post(
        f"{path}/password", json={"password": "river-lantern-orchard-92"}, headers=admin_headers
    )
    assert reset.status_code == 204, reset.text
    own = token_for(client, user["username"], "river-lantern-orchard-92")  # a login
    renamed = client.patch("/api/v1/users/me", json={"full_name": "Ana Maria Cruz"}, headers=own)
    assert renamed.status_code == 200, renamed.text

    answer = client.get(f"{path}/history", headers=admin_headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    # The password reset is recorded without any value; the login changed nothing recorded.
    assert body["total"] == 4
    mine, reset_entry, admins, creation = body["items"]
    assert reset_entry["actor_id"] == admin_id
    assert reset_entry["changes"] == [
        {"field": "password_hash", "old": None, "new": None, "redacted": True}
    ]
    assert mine["actor_id"] == user["id"]
    assert [(c["field"], c["old"], c["new"]) for c in mine["changes"]] == [
        ("full_name", "Ana M. Cruz", "Ana Maria Cruz")
    ]
    assert admins["actor_id"] == admin_id
    assert {c["field"]: (c["old"], c["new"]) for c in admins["changes"]} == {
        "full_name": ("Ana Cruz", "Ana M. Cruz"),
        "role": ("staff", "manager"),
    }
    assert creation["action"] == "created"
    assert creation["actor_id"] == admin_id
    fields = {c["field"] for entry in body["items"] for c in entry["changes"]}
    assert not fields & {
        "calendar_token_digest",
        "calendar_token_sealed",
        "last_login_at",
    }
    assert "argon2" not in answer.text

    assert client.get(f"{path}/history", headers=own).status_code == 200
    colleague = person(client, admin_headers, "manager", "Ben Reyes")
    refused = client.get(f"{path}/history", headers=colleague["headers"])
    assert refused.status_code == 403, refused.text
    missing = client.get(f"/api/v1/users/{uuid.uuid4()}/history", headers=admin_headers)
    assert missing.status_code == 404, missing.text

    page = signed_in(make_client(), "admin", ADMIN_PASSWORD).get(f"{PEOPLE}{user['id']}/")
    assert page.status_code == 200, page.text
    entries, changes = _stream(page.text)
    assert entries == [
        ("Ana Maria Cruz", "changed"),
        ("Administrator", "changed"),
        ("Administrator", "changed"),
        ("Administrator", "created it"),
    ]
    assert "Password: changed" in changes
    assert "Role: Staff → Manager" in changes
    assert "Full name: Ana M. Cruz → Ana Maria Cruz" in changes


def test_record_pages_show_their_activity_in_words(make_client, admin_headers):
    client = make_client()
    manager = person(client, admin_headers, "manager", "Rosa Dizon")
    staff = create_user(client, admin_headers, "staff", full_name="Carlo Santos")
    staff_headers = token_for(client, staff["username"], USER_PASSWORD)
    colleague = person(client, admin_headers, "staff", "Dina Lopez")

    assessment = post(
        client,
        staff_headers,
        "/assessments",
        {
            "title": "Tugaya survey",
            "primary_methodology": "survey",
            "assessment_level": "community",
        },
    )
    ok(
        client.patch(
            f"/api/v1/assessments/{assessment['id']}",
            json={"status": "data_collection", "assessment_level": "barangay"},
            headers={**manager["headers"], "If-Match": f'"{assessment["version"]}"'},
        ),
        200,
    )
    need = post(client, staff_headers, "/needs", {"title": "Clean water"})
    ok(
        client.patch(
            f"/api/v1/needs/{need['id']}",
            json={"urgency_level": "immediate"},
            headers={**manager["headers"], "If-Match": f'"{need["version"]}"'},
        ),
        200,
    )
    leave = post(
        client,
        staff_headers,
        "/leaves",
        {
            "leave_type": "sick",
            "start_date": "2031-03-02",
            "end_date": "2031-03-03",
            "reason": "Surgery",
        },
    )
    ok(client.post(f"/api/v1/leaves/{leave['id']}/approve", headers=manager["headers"]), 200)
    event = post(
        client,
        staff_headers,
        "/events",
        {
            "title": "Coordination meeting",
            "event_type": "other",
            "start": "2031-03-10T09:00:00+08:00",
            "end": "2031-03-10T10:00:00+08:00",
        },
    )
    ok(
        client.patch(
            f"/api/v1/events/{event['id']}",
            json={"status": "confirmed"},
            headers={**manager["headers"], "If-Match": f'"{event["version"]}"'},
        ),
        200,
    )
    room = post(
        client,
        manager["headers"],
        "/resources",
        {"name": f"Room {uuid.uuid4().hex[:6]}", "resource_type": "room"},
    )
    booking = post(
        client,
        staff_headers,
        "/bookings",
        {
            "resource_id": room["id"],
            "start": "2031-03-11T09:00:00+08:00",
            "end": "2031-03-11T10:00:00+08:00",
        },
    )
    ok(client.post(f"/api/v1/bookings/{booking['id']}/cancel", headers=manager["headers"]), 200)

    viewer = signed_in(make_client(), staff["username"])
    pages: dict[str, tuple[str, list[str]]] = {
        f"/oobc-management/portfolio/assessments/{assessment['id']}/": (
            "Rosa Dizon",
            ["Status: Planning → Data collection", "Level: Community → Barangay"],
        ),
        f"/oobc-management/portfolio/needs/{need['id']}/": (
            "Rosa Dizon",
            ["Urgency: Medium term → Immediate"],
        ),
        f"/oobc-management/staff/leave/{leave['id']}/": (
            "Rosa Dizon",
            ["Status: Pending → Approved", "Decided by: Rosa Dizon"],
        ),
        f"/oobc-management/calendar/events/{event['id']}/": (
            "Rosa Dizon",
            ["Status: Planned → Confirmed"],
        ),
        f"/oobc-management/resources/bookings/{booking['id']}/": (
            "Rosa Dizon",
            ["Status: Approved → Cancelled"],
        ),
    }
    for url, (who, words) in pages.items():
        page = viewer.get(url)
        assert page.status_code == 200, (url, page.text)
        entries, changes = _stream(page.text)
        assert entries == [(who, "changed"), ("Carlo Santos", "created it")], url
        for said in words:
            assert said in changes, (url, said, changes)

    # A colleague sees the leave's stream without its type or reason.
    seen = signed_in(make_client(), colleague["username"]).get(
        f"/oobc-management/staff/leave/{leave['id']}/"
    )
    assert seen.status_code == 200, seen.text
    stream = seen.text[seen.text.index('id="activity"') :]
    assert "Surgery" not in stream
    assert "Sick" not in stream
