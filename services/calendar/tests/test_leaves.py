"""Staff leave: filing, approval by managers and admins, refused transitions."""

from __future__ import annotations

import csv
import uuid

from sqlalchemy import select

from calendar_service.db import bus
from obcms_platform.testing.service_probes import run_concurrently


def file_leave(client, caller, **overrides):
    body = {"leave_type": "vacation", "start_date": "2026-12-21", "end_date": "2026-12-23"}
    body.update(overrides)
    return client.post("/api/v1/leaves", json=body, headers=caller.headers)


def test_file_and_approve_leave(client, session, staff, manager):
    filed = file_leave(client, staff, reason="Family visit")
    assert filed.status_code == 201, filed.text
    leave = filed.json()
    assert leave["status"] == "pending"
    assert leave["user_id"] == str(staff.user_id)
    assert leave["approved_by"] is None

    url = f"/api/v1/leaves/{leave['id']}"
    assert client.post(f"{url}/approve", headers=staff.headers).status_code == 403
    approved = client.post(f"{url}/approve", headers=manager.headers)
    assert approved.status_code == 200
    assert approved.json()["status"] == "approved"
    assert approved.json()["approved_by"] == str(manager.user_id)
    assert client.post(f"{url}/reject", headers=manager.headers).status_code == 409
    assert client.post(f"{url}/approve", headers=manager.headers).status_code == 409

    types = list(session.scalars(select(bus.outbox.c.event_type)))
    assert sorted(types) == ["leave.created", "leave.updated"]


def test_a_rejection_says_why(client, session, staff, manager):
    """The requester is told why: rejecting without a reason (or a blank one) is refused,
    naming it, and the request stays pending; a decided request is refused as decided."""
    leave = file_leave(client, staff).json()
    url = f"/api/v1/leaves/{leave['id']}/reject"
    for body in (None, {}, {"reason": None}, {"reason": ""}, {"reason": " \n "}):
        refused = client.post(url, json=body, headers=manager.headers)
        assert refused.status_code == 422, (body, refused.text)
        assert refused.json()["error"]["field"] == "reason"
        assert refused.json()["error"]["message"] == (
            "reason: give the reason for rejecting it, the requester reads it"
        )
    stored = client.get(f"/api/v1/leaves/{leave['id']}", headers=staff.headers).json()
    assert (stored["status"], stored["version"]) == ("pending", 1)
    assert list(session.scalars(select(bus.outbox.c.event_type))) == ["leave.created"]
    # Approving needs no reason; a decided request is refused as such, reason or not.
    approve = f"/api/v1/leaves/{leave['id']}/approve"
    assert client.post(approve, headers=manager.headers).status_code == 200
    assert client.post(url, headers=manager.headers).status_code == 409


def test_admin_rejects_leave_with_a_note_apart_from_the_reason(
    client, session, staff, other_staff, admin
):
    leave = file_leave(client, staff, leave_type="sick", reason="Flu").json()
    rejected = client.post(
        f"/api/v1/leaves/{leave['id']}/reject",
        json={"reason": "Overlaps audit"},
        headers=admin.headers,
    )
    assert rejected.status_code == 200
    assert rejected.json()["status"] == "rejected"
    # The requester's words stay theirs; the decider's note is its own field, told to them.
    assert (rejected.json()["reason"], rejected.json()["decision_note"]) == (
        "Flu",
        "Overlaps audit",
    )
    (announced,) = session.scalars(
        select(bus.outbox.c.payload).where(bus.outbox.c.event_type == "leave.updated")
    )
    assert announced["data"]["decision_note"] == "Overlaps audit"
    # A colleague cannot open a refused request at all (its reason and note with it).
    seen = client.get(f"/api/v1/leaves/{leave['id']}", headers=other_staff.headers)
    assert seen.status_code == 404


def test_a_pending_request_is_withdrawn_by_its_owner_and_any_leave_cancelled_by_a_manager(
    client, session, staff, other_staff, manager
):
    pending = file_leave(client, staff, start_date="2027-01-04", end_date="2027-01-05").json()
    url = f"/api/v1/leaves/{pending['id']}"
    assert client.delete(url, headers=other_staff.headers).status_code == 403
    stale = client.delete(url, headers={**staff.headers, "If-Match": '"9"'})
    assert stale.status_code == 412
    assert client.delete(url, headers=staff.headers).status_code == 204
    assert client.get(url, headers=staff.headers).status_code == 404
    assert client.delete(url, headers=staff.headers).status_code == 404

    approved = file_leave(client, staff, start_date="2027-02-01", end_date="2027-02-02").json()
    url = f"/api/v1/leaves/{approved['id']}"
    assert client.post(f"{url}/approve", headers=manager.headers).status_code == 200
    refused = client.delete(url, headers=staff.headers)
    assert refused.status_code == 409
    assert refused.json()["error"]["field"] == "status"
    assert "a manager can cancel it" in refused.json()["error"]["message"]
    assert client.delete(url, headers=manager.headers).status_code == 204

    deleted = session.execute(
        select(bus.outbox.c.payload).where(bus.outbox.c.event_type == "leave.deleted")
    ).scalars()
    announced = {payload["data"]["leave_id"]: payload["data"]["status"] for payload in deleted}
    assert announced == {pending["id"]: "pending", approved["id"]: "approved"}


def test_leave_overlapping_a_pending_or_approved_one_of_the_same_person_is_refused(
    client, staff, other_staff, manager
):
    first = file_leave(client, staff, start_date="2027-03-08", end_date="2027-03-12").json()
    for start, end in (("2027-03-12", "2027-03-15"), ("2027-03-01", "2027-03-08")):
        refused = file_leave(client, staff, leave_type="sick", start_date=start, end_date=end)
        assert refused.status_code == 409, refused.text
        assert refused.json()["error"]["field"] == "start_date"
        assert "Mon 8 Mar 2027 \N{EN DASH} Fri 12 Mar 2027" in refused.json()["error"]["message"]
        assert "withdraw that request first" in refused.json()["error"]["message"]
        assert f", id {first['id']};" in refused.json()["error"]["message"]  # a page links it
    # Approved, it is no longer the requester's to withdraw: a manager cancels it.
    approved = file_leave(client, staff, start_date="2027-04-05", end_date="2027-04-06").json()
    client.post(f"/api/v1/leaves/{approved['id']}/approve", headers=manager.headers)
    refused = file_leave(client, staff, start_date="2027-04-06", end_date="2027-04-07")
    assert "ask a manager to cancel it first" in refused.json()["error"]["message"]
    # Another person's days, and the days around, are free.
    assert (
        file_leave(client, other_staff, start_date="2027-03-08", end_date="2027-03-09").status_code
        == 201
    )
    assert (
        file_leave(client, staff, start_date="2027-03-13", end_date="2027-03-14").status_code == 201
    )
    # A rejected request holds no days; neither does a withdrawn one.
    url = f"/api/v1/leaves/{first['id']}"
    reason = {"reason": "The team is at the summit"}
    assert client.post(f"{url}/reject", json=reason, headers=manager.headers).status_code == 200
    again = file_leave(client, staff, start_date="2027-03-10", end_date="2027-03-11")
    assert again.status_code == 201
    assert (
        client.delete(f"/api/v1/leaves/{again.json()['id']}", headers=staff.headers).status_code
        == 204
    )
    assert (
        file_leave(client, staff, start_date="2027-03-10", end_date="2027-03-11").status_code == 201
    )


def test_two_overlapping_requests_at_once_make_one_leave(client, staff):
    answers = run_concurrently(
        [
            lambda kind=kind: (
                file_leave(
                    client, staff, leave_type=kind, start_date="2027-04-05", end_date="2027-04-06"
                ).status_code
            )
            for kind in ("vacation", "sick", "official", "emergency")
        ]
    )
    assert sorted(answers) == [201, 409, 409, 409]


def test_filing_for_someone_else_needs_a_manager(client, staff, manager):
    someone = str(uuid.uuid4())
    assert file_leave(client, staff, user_id=someone).status_code == 403
    filed = file_leave(client, manager, user_id=someone, leave_type="official")
    assert filed.status_code == 201
    assert filed.json()["user_id"] == someone
    mine = client.get("/api/v1/leaves", params={"mine": True}, headers=staff.headers).json()
    assert mine["total"] == 0
    theirs = client.get("/api/v1/leaves", params={"user_id": someone}, headers=staff.headers).json()
    assert theirs["total"] == 1


def test_leave_input_errors(client, staff):
    backwards = file_leave(client, staff, start_date="2026-12-23", end_date="2026-12-21")
    assert backwards.status_code == 422
    assert backwards.json()["error"]["field"] == "end_date"
    bad_type = file_leave(client, staff, leave_type="holiday")
    assert bad_type.json()["error"]["field"] == "leave_type"
    bad_date = file_leave(client, staff, start_date="2026-02-30")
    assert bad_date.status_code == 422
    assert bad_date.json()["error"]["field"] == "start_date"
    unknown = client.post(f"/api/v1/leaves/{uuid.uuid4()}/approve", headers=staff.headers)
    assert unknown.status_code == 403  # the role is checked before the record


def test_a_colleagues_leave_shows_who_and_when_but_not_why(client, staff, other_staff, manager):
    """Leave is private: a colleague sees who is away and when; the person on leave, who
    filed it and managers also see its type and reason (API, list, type filter, feed)."""
    filed = file_leave(client, staff, leave_type="sick", reason="medical: surgery").json()
    url = f"/api/v1/leaves/{filed['id']}"

    seen = client.get(url, headers=other_staff.headers).json()
    assert (seen["user_id"], seen["start_date"], seen["end_date"]) == (
        str(staff.user_id),
        filed["start_date"],
        filed["end_date"],
    )
    assert seen["leave_type"] is None
    assert seen["reason"] is None
    listed = client.get(
        "/api/v1/leaves", params={"user_id": str(staff.user_id)}, headers=other_staff.headers
    ).json()["items"]
    assert [(item["id"], item["leave_type"], item["reason"]) for item in listed] == [
        (filed["id"], None, None)
    ]
    by_type = client.get(
        "/api/v1/leaves", params={"leave_type": "sick"}, headers=other_staff.headers
    ).json()
    assert by_type["total"] == 0, "a type filter must not reveal a colleague's type"

    for caller in (staff, manager):
        own = client.get(url, headers=caller.headers).json()
        assert (own["leave_type"], own["reason"]) == ("sick", "medical: surgery")
    assert (
        client.get("/api/v1/leaves", params={"leave_type": "sick"}, headers=manager.headers).json()[
            "total"
        ]
        == 1
    )

    feed = client.get(
        "/api/v1/feed",
        params={"start": filed["start_date"], "end": "2027-01-31"},
        headers=other_staff.headers,
    ).json()
    entry = next(e for e in feed["events"] if e["id"] == f"staff-leave-{filed['id']}")
    assert entry["title"] == "On leave"
    assert "sick" not in str(entry).lower()


def test_nobody_decides_their_own_leave(client, manager, admin):
    own = file_leave(client, manager).json()
    for action in ("approve", "reject"):
        refused = client.post(f"/api/v1/leaves/{own['id']}/{action}", headers=manager.headers)
        assert refused.status_code == 403, refused.text
        assert "own request" in refused.json()["error"]["message"]
    approved = client.post(f"/api/v1/leaves/{own['id']}/approve", headers=admin.headers)
    assert approved.status_code == 200, approved.text


def test_a_leave_export_hides_a_colleagues_type_and_reason_as_the_list_does(
    client, staff, other_staff, manager
):
    filed = file_leave(client, staff, leave_type="sick", reason="medical: surgery").json()

    def exported(caller):
        response = client.get(
            "/api/v1/leaves",
            params={"user_id": str(staff.user_id), "format": "csv"},
            headers=caller.headers,
        )
        assert response.status_code == 200, response.text
        text = response.content.decode("utf-8-sig")
        return [
            (row["Leave id"], row["Type"], row["Reason"])
            for row in csv.DictReader(text.splitlines())
        ]

    assert exported(other_staff) == [(filed["id"], "", "")]
    assert exported(manager) == [(filed["id"], "Sick", "medical: surgery")]


def test_a_refused_request_is_not_a_colleagues_to_see(client, staff, other_staff, manager):
    """Colleagues see who is away and when (pending or approved leave); a rejected request is
    the requester's and the managers' business, not an absence."""
    refused = file_leave(client, staff, start_date="2027-02-01", end_date="2027-02-02").json()
    url = f"/api/v1/leaves/{refused['id']}"
    reason = {"reason": "Audit week"}
    assert client.post(f"{url}/reject", json=reason, headers=manager.headers).status_code == 200
    held = file_leave(client, staff, start_date="2027-03-01", end_date="2027-03-01").json()

    for path in (url, f"{url}/history"):
        assert client.get(path, headers=other_staff.headers).status_code == 404, path
        assert client.get(path, headers=staff.headers).status_code == 200, path
        assert client.get(path, headers=manager.headers).status_code == 200, path

    def listed(caller) -> set[str]:
        answer = client.get(
            "/api/v1/leaves", params={"user_id": str(staff.user_id)}, headers=caller.headers
        )
        return {leave["id"] for leave in answer.json()["items"]}

    assert listed(other_staff) == {held["id"]}
    assert listed(staff) == listed(manager) == {held["id"], refused["id"]}
    assert (
        client.get(f"/api/v1/leaves/{held['id']}", headers=other_staff.headers).status_code == 200
    )
