"""A PPA's change history (`GET /api/v1/ppas/{id}/history`): an edit by one user and an
approval move by another, each with its old and new values; the move's note is its reason."""

from __future__ import annotations

import uuid

from .helpers import PPAS, create_ppa


def test_an_edit_and_an_approval_move_show_who_changed_what_and_why(client, staff, manager) -> None:
    ppa = create_ppa(client, staff, title="Solar dryers")
    edited = client.patch(
        f"{PPAS}/{ppa['id']}",
        json={"title": "Solar dryers for Datu Piang", "budget_allocation": "1500000.00"},
        headers={**staff.headers, "If-Match": f'"{ppa["version"]}"'},
    )
    assert edited.status_code == 200, edited.text
    moved = client.post(
        f"{PPAS}/{ppa['id']}/approval",
        json={"to": "technical_review", "note": "Costs checked"},
        headers=manager.headers,
    )
    assert moved.status_code == 200, moved.text
    refused = client.post(
        f"{PPAS}/{ppa['id']}/approval", json={"to": "enacted"}, headers=manager.headers
    )
    assert refused.status_code == 409, refused.text

    answer = client.get(f"{PPAS}/{ppa['id']}/history", headers=staff.headers)
    assert answer.status_code == 200, answer.text
    move, edit, creation = answer.json()["items"]
    assert answer.json()["total"] == 3
    assert move["actor_id"] == str(manager.user_id)
    assert move["cause"] == "Costs checked"
    assert [(c["field"], c["old"], c["new"]) for c in move["changes"]] == [
        ("approval_status", "draft", "technical_review")
    ]
    assert edit["actor_id"] == str(staff.user_id)
    assert {c["field"]: (c["old"], c["new"]) for c in edit["changes"]} == {
        "title": ("Solar dryers", "Solar dryers for Datu Piang"),
        "budget_allocation": (ppa["budget_allocation"], "1500000.00"),
    }
    assert creation["action"] == "created"
    missing = client.get(f"{PPAS}/{uuid.uuid4()}/history", headers=staff.headers)
    assert missing.status_code == 404, missing.text
