"""Ownership of PPAs, assessments and needs (docs/authorization.md), on the issue's findings:
any staff user could change a manager's approved PPA, its workflow, milestones, another
person's assessment or need, and an approved PPA's budget moved while it stayed approved."""

from __future__ import annotations

from obcms_platform.testing import assert_error

from .helpers import ASSESSMENTS, NEEDS, PPAS, create_ppa, get_ppa


def _walk_to_approved(client, admin, ppa_id: str) -> None:
    for step in ("technical_review", "budget_review", "executive_approval", "approved"):
        moved = client.post(
            f"{PPAS}/{ppa_id}/approval", json={"to": step, "note": ""}, headers=admin.headers
        )
        assert moved.status_code == 200, moved.text


def test_staff_cannot_touch_a_managers_approved_ppa(client, staff, manager, admin):
    ppa = create_ppa(client, manager, budget_allocation="1000000")
    _walk_to_approved(client, admin, ppa["id"])
    url = f"{PPAS}/{ppa['id']}"

    assert_error(
        client.patch(url, json={"budget_allocation": "123456789"}, headers=staff.headers), 403
    )
    stage = {"status": "completed"}
    assert_error(
        client.patch(f"{url}/workflow/budget_call", json=stage, headers=staff.headers), 403
    )
    milestone = {"title": "Mine now", "date": "2027-01-05"}
    assert_error(client.post(f"{url}/milestones", json=milestone, headers=staff.headers), 403)
    assert_error(client.delete(url, headers=staff.headers), 403)

    stored = get_ppa(client, manager, ppa["id"])
    assert float(stored["budget_allocation"]) == 1_000_000
    assert stored["milestones"] == []
    assert stored["approval_status"] == "approved"
    stages = client.get(f"{url}/workflow", headers=manager.headers).json()
    assert {stage["status"] for stage in stages} == {"not_started"}


def test_an_approved_ppas_budget_changes_only_back_through_approval(client, staff, admin):
    ppa = create_ppa(client, staff, budget_allocation="1000000")
    _walk_to_approved(client, admin, ppa["id"])
    url = f"{PPAS}/{ppa['id']}"

    # Not even its owner or an admin moves the budget of an approved PPA.
    for caller in (staff, admin):
        error = assert_error(
            client.patch(url, json={"budget_allocation": "2000000"}, headers=caller.headers),
            409,
            "budget_allocation",
        )
        assert "send it back to draft" in error["message"]
    # What is not budget or scope still changes (the PPA goes on being run).
    assert client.patch(url, json={"status": "ongoing"}, headers=staff.headers).status_code == 200
    # Sending the same value is no change.
    assert (
        client.patch(url, json={"budget_allocation": "1000000"}, headers=staff.headers).status_code
        == 200
    )

    # Only an admin undoes an approval; the move is in the history.
    back = {"to": "draft", "note": "re-scoping after the budget call"}
    assert_error(client.post(f"{url}/approval", json=back, headers=staff.headers), 403)
    moved = client.post(f"{url}/approval", json=back, headers=admin.headers)
    assert moved.status_code == 200, moved.text
    assert moved.json()["approval_history"][-1]["from"] == "approved"
    assert moved.json()["approval_history"][-1]["note"] == "re-scoping after the budget call"
    changed = client.patch(url, json={"budget_allocation": "2000000"}, headers=staff.headers)
    assert changed.status_code == 200, changed.text
    assert float(changed.json()["budget_allocation"]) == 2_000_000


def test_a_ppas_lead_and_members_own_it_with_its_creator(client, staff, other_staff, manager):
    ppa = create_ppa(client, manager)
    url = f"{PPAS}/{ppa['id']}"
    assert_error(client.patch(url, json={"summary": "x"}, headers=staff.headers), 403)
    assert_error(
        client.patch(url, json={"member_ids": [str(staff.user_id)]}, headers=staff.headers), 403
    )

    made = client.patch(
        url,
        json={"lead_id": str(staff.user_id), "member_ids": [str(other_staff.user_id)]},
        headers=manager.headers,
    )
    assert made.status_code == 200, made.text
    for caller in (staff, other_staff):
        response = client.patch(
            url, json={"summary": f"by {caller.user_id}"}, headers=caller.headers
        )
        assert response.status_code == 200, response.text
    assert made.json()["lead_id"] == str(staff.user_id)
    assert made.json()["member_ids"] == [str(other_staff.user_id)]


def test_another_persons_assessment_and_need_are_theirs(client, staff, other_staff, manager):
    assessment = client.post(
        ASSESSMENTS,
        json={"title": "Mine", "primary_methodology": "survey", "assessment_level": "regional"},
        headers=staff.headers,
    ).json()
    need = client.post(NEEDS, json={"title": "Mine"}, headers=staff.headers).json()
    ppa = create_ppa(client, other_staff)
    for url, body in (
        (f"{ASSESSMENTS}/{assessment['id']}", {"title": "Taken"}),
        (f"{NEEDS}/{need['id']}", {"title": "Taken"}),
    ):
        assert_error(client.patch(url, json=body, headers=other_staff.headers), 403)
        assert client.patch(url, json=body, headers=staff.headers).status_code == 200
        assert client.patch(url, json=body, headers=manager.headers).status_code == 200
    links = {"ppa_ids": [ppa["id"]]}
    assert_error(
        client.put(f"{NEEDS}/{need['id']}/ppas", json=links, headers=other_staff.headers), 403
    )
    assert (
        client.put(f"{NEEDS}/{need['id']}/ppas", json=links, headers=staff.headers).status_code
        == 200
    )
