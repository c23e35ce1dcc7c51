"""The portfolio's change history (`GET /api/v1/{records}/{id}/history`): a PPA's edit by one
user and approval move by another, each with its old and new values (the move's note is its
reason); assessments', needs' and ceilings' edits; the changes no API request makes (a PPA's
workflow stages, its progress from a task) with their cause."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from portfolio_service.db import history
from portfolio_service.events import HANDLERS

from .helpers import (
    ASSESSMENTS,
    CEILINGS,
    NEEDS,
    PPAS,
    STAGES,
    create_assessment,
    create_need,
    create_ppa,
    put_links,
    task_event,
)


def changes(entry) -> dict[str, tuple[object, object]]:
    return {change["field"]: (change["old"], change["new"]) for change in entry["changes"]}


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


def test_assessment_and_need_edits_and_need_links_show_who_changed_what(
    client, staff, manager
) -> None:
    assessment = create_assessment(client, staff, title="Tugaya survey")
    edited = client.patch(
        f"{ASSESSMENTS}/{assessment['id']}",
        json={"status": "data_collection", "description": "Door to door"},
        headers={**manager.headers, "If-Match": f'"{assessment["version"]}"'},
    )
    assert edited.status_code == 200, edited.text
    edit, creation = client.get(
        f"{ASSESSMENTS}/{assessment['id']}/history", headers=staff.headers
    ).json()["items"]
    assert edit["actor_id"] == str(manager.user_id)
    # Long text keeps only its new text.
    assert changes(edit) == {
        "status": ("planning", "data_collection"),
        "description": (None, "Door to door"),
    }
    assert creation["actor_id"] == str(staff.user_id)
    assert changes(creation)["title"] == (None, "Tugaya survey")

    need = create_need(client, staff, title="Clean water")
    ppa = create_ppa(client, staff, title="Water system")
    linked = put_links(client, manager, need["id"], [ppa["id"]])
    assert linked.status_code == 200, linked.text
    unknown = put_links(client, manager, need["id"], [str(uuid.uuid4())])
    assert unknown.status_code == 422
    answer = client.get(f"{NEEDS}/{need['id']}/history", headers=staff.headers).json()
    assert answer["total"] == 2
    link, _ = answer["items"]
    assert link["actor_id"] == str(manager.user_id)
    assert link["record_version"] == linked.json()["version"]
    assert changes(link) == {"ppa_ids": ([], [ppa["id"]])}
    missing = client.get(f"{NEEDS}/{uuid.uuid4()}/history", headers=staff.headers)
    assert missing.status_code == 404


def test_a_ceiling_edit_is_recorded(client, staff, manager) -> None:
    created = client.post(
        CEILINGS,
        json={"sector": "social", "fiscal_year": 2031, "amount": "1000000.00"},
        headers=manager.headers,
    )
    assert created.status_code == 201, created.text
    ceiling = created.json()
    updated = client.patch(
        f"{CEILINGS}/{ceiling['id']}", json={"amount": "1250000.00"}, headers=manager.headers
    )
    assert updated.status_code == 200, updated.text
    edit, _ = client.get(f"{CEILINGS}/{ceiling['id']}/history", headers=staff.headers).json()[
        "items"
    ]
    assert edit["actor_id"] == str(manager.user_id)
    assert changes(edit) == {"amount": ("1000000.00", "1250000.00")}


def test_stages_and_progress_changed_by_no_request_name_their_cause(client, staff, session) -> None:
    ppa = create_ppa(client, staff, title="Tracked")
    stages = session.execute(
        select(history.table).where(history.table.c.record_type == "workflow_stage")
    ).all()
    assert sorted(row.changes[0]["new"] for row in stages) == sorted(STAGES)
    assert {(row.action, row.actor_id, row.cause) for row in stages} == {
        ("created", staff.user_id, "created with the PPA")
    }

    done, other = uuid.uuid4(), uuid.uuid4()
    for event in (
        task_event("created", other, ppa["id"], "not_started", 1),
        task_event("created", done, ppa["id"], "completed", 1),
    ):
        HANDLERS[event.type](session, event)
        session.commit()
    # A stale event changes nothing, and records nothing.
    stale = task_event("updated", done, ppa["id"], "not_started", 1)
    HANDLERS[stale.type](session, stale)
    session.commit()

    answer = client.get(f"{PPAS}/{ppa['id']}/history", headers=staff.headers).json()
    progress, creation = answer["items"]
    assert answer["total"] == 2
    assert progress["actor_id"] is None
    assert progress["cause"] == 'progress from task "a task"'
    assert progress["record_version"] == ppa["version"]  # the system's figure: no new version
    assert changes(progress) == {"progress": (0, 50)}
    assert creation["action"] == "created"
