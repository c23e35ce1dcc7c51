"""The approval state machine of a PPA (DOMAIN.md, "Approval workflow")."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from obcms_platform.auth import Role
from obcms_platform.testing import assert_error, auth_headers
from obcms_platform.testing.databases import checked_values
from obcms_platform.testing.service_probes import run_concurrently
from obcms_platform.zones import office_today
from portfolio_service.ppas.models import ApprovalStatus, Ppa

from .helpers import (
    CEILINGS,
    PPAS,
    create_ppa,
    get_ppa,
    outbox_rows,
    summary,
    tranche,
)

# Every allowed move (DOMAIN.md).
ALLOWED = {
    ("draft", "technical_review"),
    ("technical_review", "budget_review"),
    ("budget_review", "stakeholder_consultation"),
    ("budget_review", "executive_approval"),
    ("stakeholder_consultation", "executive_approval"),
    ("executive_approval", "approved"),
    ("approved", "enacted"),
    ("approved", "draft"),
    ("technical_review", "rejected"),
    ("budget_review", "rejected"),
    ("stakeholder_consultation", "rejected"),
    ("executive_approval", "rejected"),
    ("rejected", "draft"),
}
# A path from draft to each status (by allowed moves).
PATHS = {
    "draft": [],
    "technical_review": ["technical_review"],
    "budget_review": ["technical_review", "budget_review"],
    "stakeholder_consultation": ["technical_review", "budget_review", "stakeholder_consultation"],
    "executive_approval": ["technical_review", "budget_review", "executive_approval"],
    "approved": ["technical_review", "budget_review", "executive_approval", "approved"],
    "enacted": ["technical_review", "budget_review", "executive_approval", "approved", "enacted"],
    "rejected": ["technical_review", "rejected"],
}
STATUSES = [s.value for s in ApprovalStatus]


def move(client, caller, ppa_id: str, to: str, note: str = "", **headers: str):
    return client.post(
        f"{PPAS}/{ppa_id}/approval",
        json={"to": to, "note": note},
        headers={**caller.headers, **headers},
    )


def walk(client, admin, ppa_id: str, status: str) -> None:
    for step in PATHS[status]:
        # A rejection says why (test_a_rejection_says_why).
        note = "Not in this year's plan" if step == "rejected" else ""
        response = move(client, admin, ppa_id, step, note)
        assert response.status_code == 200, response.text


def test_status_values_are_the_stored_ones(session):
    assert set(STATUSES) == checked_values(session, "ppas", "approval_status")
    assert set(PATHS) == set(STATUSES)


def test_every_move_is_allowed_or_409(client, staff, admin, session):
    """From each status exactly the moves of DOMAIN.md work; every other target is 409.

    The PPAs start in each status by SQL (the walk there is tested below)."""
    pairs = [(current, target) for current in STATUSES for target in STATUSES]
    rows = [
        {
            "id": uuid.uuid4(),
            "title": f"{current} -> {target}",
            "category": "oobc_ppa",
            "approval_status": current,
        }
        for current, target in pairs
    ]
    session.execute(insert(Ppa), rows)
    session.commit()
    allowed_seen = set()
    for (current, target), row in zip(pairs, rows, strict=True):
        pid = str(row["id"])
        response = move(client, admin, pid, target, note="why not")
        if (current, target) in ALLOWED:
            assert response.status_code == 200, (current, target, response.text)
            assert response.json()["approval_status"] == target
            history = response.json()["approval_history"]
            assert [(h["from"], h["to"], h["note"]) for h in history] == [
                (current, target, "why not")
            ]
            allowed_seen.add((current, target))
        else:
            error = assert_error(response, 409, "to")
            assert current in error["message"], error
            after = get_ppa(client, staff, pid)
            assert (after["approval_status"], after["approval_history"], after["version"]) == (
                current,
                [],
                1,
            )
    assert allowed_seen == ALLOWED


def test_the_walks_used_here_reach_every_status(client, staff, admin):
    for status in STATUSES:
        ppa = create_ppa(client, staff, title=status)
        walk(client, admin, ppa["id"], status)
        stored = get_ppa(client, staff, ppa["id"])
        assert stored["approval_status"] == status
        assert len(stored["approval_history"]) == len(PATHS[status])


def test_each_move_is_recorded_with_who_when_from_to_and_note(client, staff, manager, admin):
    ppa = create_ppa(client, staff)
    pid = ppa["id"]
    started = datetime.now(UTC)
    steps = [
        (manager, "technical_review", "ready for review"),
        (manager, "budget_review", ""),
        (manager, "stakeholder_consultation", "consult the LGUs"),
        (manager, "executive_approval", "cleared"),
        (admin, "approved", "signed"),
        (admin, "enacted", "in the GAA"),
    ]
    for caller, to, note in steps:
        response = move(client, caller, pid, to, note)
        assert response.status_code == 200, response.text
        assert response.json()["approval_status"] == to
    response = client.get(f"{PPAS}/{pid}/approval", headers=staff.headers)
    assert response.status_code == 200, response.text
    history = response.json()
    assert [(h["from"], h["to"], h["note"]) for h in history] == [
        ("draft", "technical_review", "ready for review"),
        ("technical_review", "budget_review", ""),
        ("budget_review", "stakeholder_consultation", "consult the LGUs"),
        ("stakeholder_consultation", "executive_approval", "cleared"),
        ("executive_approval", "approved", "signed"),
        ("approved", "enacted", "in the GAA"),
    ]
    assert [h["changed_by"] for h in history] == [str(c.user_id) for c, _, _ in steps]
    times = [datetime.fromisoformat(h["changed_at"]) for h in history]
    assert times == sorted(times)
    assert started - timedelta(seconds=5) <= times[0] <= times[-1] <= datetime.now(UTC)
    assert get_ppa(client, staff, pid)["approval_history"] == history


def test_rejected_returns_to_draft_and_starts_again(client, staff, manager):
    ppa = create_ppa(client, staff)
    pid = ppa["id"]
    for to in ["technical_review", "budget_review", "rejected", "draft", "technical_review"]:
        response = move(client, manager, pid, to, "Costs not justified" if to == "rejected" else "")
        assert response.status_code == 200, (to, response.text)
    history = client.get(f"{PPAS}/{pid}/approval", headers=staff.headers).json()
    assert [h["to"] for h in history] == [
        "technical_review",
        "budget_review",
        "rejected",
        "draft",
        "technical_review",
    ]


def test_roles(client, staff, manager, admin):
    ppa = create_ppa(client, staff)
    pid = ppa["id"]
    assert_error(move(client, staff, pid, "technical_review"), 403)
    for to in ["technical_review", "budget_review", "executive_approval"]:
        assert move(client, manager, pid, to).status_code == 200
    assert_error(move(client, manager, pid, "approved"), 403)
    assert_error(move(client, staff, pid, "rejected"), 403)
    assert get_ppa(client, staff, pid)["approval_status"] == "executive_approval"
    assert move(client, admin, pid, "approved").status_code == 200
    assert_error(move(client, manager, pid, "enacted"), 403)
    assert move(client, admin, pid, "enacted").status_code == 200
    assert len(get_ppa(client, staff, pid)["approval_history"]) == 5
    # Anyone may read the history.
    assert client.get(f"{PPAS}/{pid}/approval", headers=staff.headers).status_code == 200


def test_invalid_requests(client, staff, manager):
    ppa = create_ppa(client, staff)
    url = f"{PPAS}/{ppa['id']}/approval"
    for body, field in [
        ({"to": "bogus"}, "to"),
        ({"to": None}, "to"),
        ({}, "to"),
        ({"to": "technical_review", "note": "x" * 5001}, "note"),
        ({"to": "technical_review", "who": "me"}, "who"),
    ]:
        assert_error(client.post(url, json=body, headers=manager.headers), 422, field)
    assert_error(move(client, manager, str(uuid.uuid4()), "technical_review"), 404)
    assert_error(client.get(f"{PPAS}/{uuid.uuid4()}/approval", headers=staff.headers), 404)
    assert get_ppa(client, staff, ppa["id"])["approval_history"] == []


def test_each_move_writes_an_approval_changed_event(client, staff, manager, database):
    ppa = create_ppa(client, staff, title="Water for Datu Piang")
    assert move(client, manager, ppa["id"], "technical_review", "please check").status_code == 200
    assert move(client, manager, ppa["id"], "rejected", "no budget").status_code == 200
    assert_error(move(client, manager, ppa["id"], "approved"), 409)
    events = outbox_rows(database, "ppa.approval_changed")
    # The note travels too: the tasks service puts it in the approval task's description.
    assert sorted((e["data"]["from"], e["data"]["to"], e["data"]["note"]) for e in events) == [
        ("draft", "technical_review", "please check"),
        ("technical_review", "rejected", "no budget"),
    ]
    for event in events:
        assert event["subject_id"] == ppa["id"]
        assert event["data"]["title"] == "Water for Datu Piang"
        assert event["data"]["changed_on"] == office_today().isoformat()


def _ceiling(client, manager, **body):
    response = client.post(CEILINGS, json=body, headers=manager.headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_budget_review_refused_over_the_active_ceiling(client, staff, manager, database):
    _ceiling(client, manager, sector="social", fiscal_year=2026, amount=1000)
    # Another sector and another year do not count.
    _ceiling(client, manager, sector="economic", fiscal_year=2026, amount=1)
    _ceiling(client, manager, sector="social", fiscal_year=2027, amount=1)

    def ppa(allocation, **extra):
        body = {"sector": "social", "fiscal_year": 2026, "budget_allocation": allocation, **extra}
        created = create_ppa(client, staff, **body)
        assert move(client, manager, created["id"], "technical_review").status_code == 200
        return created["id"]

    first = ppa(600)
    assert move(client, manager, first, "budget_review").status_code == 200
    second = ppa(400)  # exactly at the ceiling: allowed
    assert move(client, manager, second, "budget_review").status_code == 200
    third = ppa("0.01")
    events_before = len(outbox_rows(database, "ppa.approval_changed"))
    assert_error(move(client, manager, third, "budget_review"), 409, "budget_allocation")
    stored = get_ppa(client, staff, third)
    assert stored["approval_status"] == "technical_review"
    assert len(stored["approval_history"]) == 1
    assert len(outbox_rows(database, "ppa.approval_changed")) == events_before

    # A PPA of another sector / year is not held back by the social 2026 ceiling.
    other = ppa(5000, sector="governance")
    assert move(client, manager, other, "budget_review").status_code == 200

    # A rejected PPA no longer counts against the ceiling.
    assert move(client, manager, second, "rejected", "Duplicates another").status_code == 200
    assert move(client, manager, third, "budget_review").status_code == 200


def test_an_inactive_ceiling_does_not_apply(client, staff, manager):
    ceiling = _ceiling(client, manager, sector="infrastructure", fiscal_year=2026, amount=10)
    created = create_ppa(
        client, staff, sector="infrastructure", fiscal_year=2026, budget_allocation=11
    )
    assert move(client, manager, created["id"], "technical_review").status_code == 200
    assert_error(move(client, manager, created["id"], "budget_review"), 409, "budget_allocation")
    response = client.patch(
        f"{CEILINGS}/{ceiling['id']}", json={"is_active": False}, headers=manager.headers
    )
    assert response.status_code == 200, response.text
    assert move(client, manager, created["id"], "budget_review").status_code == 200


def test_raising_the_allocation_of_a_committed_ppa_is_checked_too(client, staff, manager):
    _ceiling(client, manager, sector="environment", fiscal_year=2026, amount=100)
    created = create_ppa(
        client, staff, sector="environment", fiscal_year=2026, budget_allocation=50
    )
    for to in ["technical_review", "budget_review"]:
        assert move(client, manager, created["id"], to).status_code == 200
    response = client.patch(
        f"{PPAS}/{created['id']}", json={"budget_allocation": 101}, headers=staff.headers
    )
    assert_error(response, 409, "budget_allocation")
    assert get_ppa(client, staff, created["id"])["budget_allocation"] == 50


def test_concurrent_moves_exactly_one_wins(client, staff, portfolio_db_url):
    ppa = create_ppa(client, staff)
    managers = [auth_headers(uuid.uuid4(), [Role.MANAGER]) for _ in range(2)]
    url = f"{PPAS}/{ppa['id']}/approval"
    results = run_concurrently(
        [
            (lambda h=h: client.post(url, json={"to": "technical_review"}, headers=h))
            for h in managers
        ]
    )
    statuses = sorted(r.status_code for r in results)
    assert statuses == [200, 409], [r.text for r in results]
    loser = next(r for r in results if r.status_code == 409)
    assert_error(loser, 409)
    history = client.get(url, headers=staff.headers).json()
    assert len(history) == 1
    assert get_ppa(client, staff, ppa["id"])["approval_status"] == "technical_review"


def test_concurrent_budget_reviews_cannot_both_fit_under_the_ceiling(client, staff, manager):
    _ceiling(client, manager, sector="governance", fiscal_year=2027, amount=100)
    ids = []
    for _ in range(2):
        created = create_ppa(
            client, staff, sector="governance", fiscal_year=2027, budget_allocation=60
        )
        assert move(client, manager, created["id"], "technical_review").status_code == 200
        ids.append(created["id"])
    results = run_concurrently(
        [(lambda i=i: move(client, manager, i, "budget_review")) for i in ids]
    )
    assert sorted(r.status_code for r in results) == [200, 409], [r.text for r in results]


def test_approval_with_if_match(client, staff, manager):
    ppa = create_ppa(client, staff)
    assert_error(move(client, manager, ppa["id"], "technical_review", **{"If-Match": '"5"'}), 412)
    response = move(client, manager, ppa["id"], "technical_review", **{"If-Match": '"1"'})
    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == '"2"'


def test_budget_ceilings_crud_and_rules(client, staff, manager):
    body = {"sector": "social", "fiscal_year": 2026, "amount": "5000000.50", "notes": "GAA"}
    assert_error(client.post(CEILINGS, json=body, headers=staff.headers), 403)
    ceiling = _ceiling(client, manager, **body)
    assert (ceiling["amount"], ceiling["is_active"], ceiling["notes"]) == (5000000.5, True, "GAA")
    url = f"{CEILINGS}/{ceiling['id']}"
    assert client.get(url, headers=staff.headers).json() == ceiling
    # One active ceiling per sector and fiscal year.
    assert_error(client.post(CEILINGS, json=body, headers=manager.headers), 409, "is_active")
    inactive = _ceiling(client, manager, **body, is_active=False)
    assert_error(
        client.patch(
            f"{CEILINGS}/{inactive['id']}", json={"is_active": True}, headers=manager.headers
        ),
        409,
        "is_active",
    )
    assert_error(client.patch(url, json={"amount": 1}, headers=staff.headers), 403)
    patched = client.patch(url, json={"amount": 10}, headers=manager.headers)
    assert patched.status_code == 200, patched.text
    assert patched.json()["amount"] == 10
    for bad, field in [
        ({**body, "amount": -1}, "amount"),
        ({**body, "sector": "health"}, "sector"),
        ({**body, "fiscal_year": 1900}, "fiscal_year"),
        ({"sector": "social", "amount": 1}, "fiscal_year"),
    ]:
        assert_error(client.post(CEILINGS, json=bad, headers=manager.headers), 422, field)
    assert_error(client.patch(url, json={"amount": None}, headers=manager.headers), 422, "amount")
    assert_error(client.get(f"{CEILINGS}/{uuid.uuid4()}", headers=staff.headers), 404)
    listed = client.get(
        CEILINGS, params={"sector": "social", "active": True}, headers=staff.headers
    )
    assert [c["id"] for c in listed.json()["items"]] == [ceiling["id"]]
    assert client.get(CEILINGS, headers=staff.headers).json()["total"] == 2


def test_concurrent_ceilings_for_one_sector_and_year_only_one_is_active(client, manager):
    body = {"sector": "economic", "fiscal_year": 2028, "amount": 100}
    results = run_concurrently(
        [(lambda: client.post(CEILINGS, json=body, headers=manager.headers)) for _ in range(3)]
    )
    assert sorted(r.status_code for r in results) == [201, 409, 409], [r.text for r in results]
    for loser in (r for r in results if r.status_code == 409):
        assert_error(loser, 409, "is_active")


def test_a_raise_and_a_budget_review_racing_for_the_same_ceiling(client, staff, manager):
    """Raising a committed PPA's allocation and committing another PPA at the same time:
    together they would exceed the ceiling, so exactly one of them succeeds."""
    _ceiling(client, manager, sector="peace_security", fiscal_year=2026, amount=100)
    body = {"sector": "peace_security", "fiscal_year": 2026}
    committed = create_ppa(client, staff, **body, budget_allocation=50)["id"]
    waiting = create_ppa(client, staff, **body, budget_allocation=45)["id"]
    for pid, steps in [
        (committed, ["technical_review", "budget_review"]),
        (waiting, ["technical_review"]),
    ]:
        for to in steps:
            assert move(client, manager, pid, to).status_code == 200
    results = run_concurrently(
        [
            lambda: client.patch(
                f"{PPAS}/{committed}", json={"budget_allocation": 60}, headers=staff.headers
            ),
            lambda: move(client, manager, waiting, "budget_review"),
        ]
    )
    assert sorted(r.status_code for r in results) == [200, 409], [r.text for r in results]
    for response in results:
        if response.status_code == 409:
            assert_error(response, 409, "budget_allocation")
    total = sum(
        get_ppa(client, staff, pid)["budget_allocation"]
        for pid in (committed, waiting)
        if get_ppa(client, staff, pid)["approval_status"] == "budget_review"
    )
    assert total <= 100


def test_list_filter_by_approval_status(client, staff, manager):
    moved = create_ppa(client, staff, title="moved")
    create_ppa(client, staff, title="stays")
    assert move(client, manager, moved["id"], "technical_review").status_code == 200
    page = client.get(PPAS, params={"approval_status": "technical_review"}, headers=staff.headers)
    assert [p["title"] for p in page.json()["items"]] == ["moved"]
    page = client.get(PPAS, params={"approval_status": "draft"}, headers=staff.headers)
    assert [p["title"] for p in page.json()["items"]] == ["stays"]


def test_a_ppa_is_deleted_only_in_draft_or_rejected_and_never_once_funding_is_recorded(
    client, staff, manager, admin
):
    """Once submitted, a PPA's record belongs to its approval (it goes back to draft only
    through approval); funding once recorded is kept (reversed, never deleted)."""
    for status in STATUSES:
        ppa = create_ppa(client, staff, title=f"Delete in {status}")
        walk(client, admin, ppa["id"], status)
        response = client.delete(f"{PPAS}/{ppa['id']}", headers=manager.headers)
        if status in {"draft", "rejected"}:
            assert response.status_code == 204, (status, response.text)
            continue
        assert_error(response, 409, "approval_status")
        assert get_ppa(client, staff, ppa["id"])["approval_status"] == status

    funded = create_ppa(client, staff, title="Funded, then reworked", budget_allocation="1000")
    walk(client, admin, funded["id"], "approved")
    assert tranche(client, manager, funded["id"], "allocation", "1000").status_code == 201
    assert move(client, admin, funded["id"], "draft", note="Rework the scope").status_code == 200
    assert_error(client.delete(f"{PPAS}/{funded['id']}", headers=admin.headers), 409, "funding")
    assert summary(client, manager, funded["id"])["allocated"] == 1000


def test_undoing_an_approval_needs_a_note_saying_why(client, staff, admin):
    ppa = create_ppa(client, staff, title="Approved, then reworked")
    walk(client, admin, ppa["id"], "approved")
    for blank in ("", "   "):
        assert_error(move(client, admin, ppa["id"], "draft", note=blank), 422, "note")
    assert get_ppa(client, staff, ppa["id"])["approval_status"] == "approved"
    response = move(client, admin, ppa["id"], "draft", note="Scope grows to two provinces")
    assert response.status_code == 200, response.text
    assert response.json()["approval_history"][-1]["note"] == "Scope grows to two provinces"


def test_a_rejection_says_why(client, staff, manager, database):
    """The PPA's owners are told why it was rejected: a move into rejected without a note
    (or a blank one) is refused, naming the note, and leaves no trace."""
    ppa = create_ppa(client, staff, title="Rejected for a reason")
    walk(client, manager, ppa["id"], "budget_review")
    events_before = len(outbox_rows(database, "ppa.approval_changed"))
    for blank in ("", "  \n "):
        error = assert_error(move(client, manager, ppa["id"], "rejected", note=blank), 422, "note")
        assert (
            error["message"] == "note: give the reason for rejecting it, the PPA's owners read it"
        )
    stored = get_ppa(client, staff, ppa["id"])
    assert (stored["approval_status"], len(stored["approval_history"])) == ("budget_review", 2)
    assert len(outbox_rows(database, "ppa.approval_changed")) == events_before
    response = move(client, manager, ppa["id"], "rejected", note="Over the sector's plan")
    assert response.status_code == 200, response.text
    assert response.json()["approval_history"][-1]["note"] == "Over the sector's plan"
    # Other moves still need no note.
    assert move(client, manager, ppa["id"], "draft").status_code == 200
