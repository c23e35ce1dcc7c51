"""Milestones, the budget workflow and funding tranches of a PPA."""

from __future__ import annotations

import uuid
from typing import Any

from obcms_platform.testing import assert_error
from obcms_platform.testing.service_probes import run_concurrently

from .helpers import PPAS, STAGES, create_ppa, get_ppa, outbox_rows, summary, tranche

# --- milestones -------------------------------------------------------------------------


def test_milestone_crud(client, staff, database):
    ppa = create_ppa(client, staff)
    url = f"{PPAS}/{ppa['id']}/milestones"
    body = {"title": "Groundbreaking", "date": "2026-03-01", "status": "at_risk", "notes": "rain"}
    created = client.post(url, json=body, headers=staff.headers)
    assert created.status_code == 201, created.text
    milestone = created.json()
    for name, value in body.items():
        assert milestone[name] == value
    assert milestone["ppa_id"] == ppa["id"]
    assert created.headers["Location"] == f"{url}/{milestone['id']}"
    second = client.post(
        url, json={"title": "Turnover", "date": "2026-01-10"}, headers=staff.headers
    )
    assert second.status_code == 201
    assert (second.json()["status"], second.json()["notes"]) == ("planned", "")

    listed = client.get(url, headers=staff.headers).json()
    assert [m["title"] for m in listed] == ["Turnover", "Groundbreaking"]  # by date
    assert [m["title"] for m in get_ppa(client, staff, ppa["id"])["milestones"]] == [
        "Turnover",
        "Groundbreaking",
    ]

    patched = client.patch(
        f"{url}/{milestone['id']}",
        json={"status": "completed", "date": "2026-03-05"},
        headers=staff.headers,
    )
    assert patched.status_code == 200, patched.text
    assert (patched.json()["status"], patched.json()["date"], patched.json()["title"]) == (
        "completed",
        "2026-03-05",
        "Groundbreaking",
    )
    deleted = client.delete(f"{url}/{milestone['id']}", headers=staff.headers)
    assert deleted.status_code == 204
    assert [m["title"] for m in client.get(url, headers=staff.headers).json()] == ["Turnover"]
    assert_error(client.delete(f"{url}/{milestone['id']}", headers=staff.headers), 404)
    assert len(outbox_rows(database, "milestone.changed")) == 4


def test_every_milestone_status_is_accepted(client, staff):
    ppa = create_ppa(client, staff)
    url = f"{PPAS}/{ppa['id']}/milestones"
    statuses = ["planned", "completed", "delayed", "at_risk", "blocked", "cancelled"]
    for status in statuses:
        response = client.post(
            url,
            json={"title": status, "date": "2026-01-01", "status": status},
            headers=staff.headers,
        )
        assert response.status_code == 201, response.text
    assert sorted(m["status"] for m in client.get(url, headers=staff.headers).json()) == sorted(
        statuses
    )


INVALID_MILESTONES: list[tuple[dict[str, Any], str]] = [
    ({"date": "2026-01-01"}, "title"),
    ({"title": "x"}, "date"),
    ({"title": "", "date": "2026-01-01"}, "title"),
    ({"title": "x", "date": "2026-13-01"}, "date"),
    ({"title": "x", "date": "1900-01-01"}, "date"),
    ({"title": "x", "date": "2026-01-01", "status": "done"}, "status"),
    ({"title": "x", "date": "2026-01-01", "ppa_id": str(uuid.uuid4())}, "ppa_id"),
]


def test_invalid_milestones_are_422(client, staff):
    ppa = create_ppa(client, staff)
    url = f"{PPAS}/{ppa['id']}/milestones"
    for body, field in INVALID_MILESTONES:
        assert_error(client.post(url, json=body, headers=staff.headers), 422, field)
    assert client.get(url, headers=staff.headers).json() == []


def test_milestone_patch_validation_and_scoping(client, staff):
    ppa = create_ppa(client, staff)
    other = create_ppa(client, staff, title="other")
    url = f"{PPAS}/{ppa['id']}/milestones"
    milestone = client.post(
        url, json={"title": "m", "date": "2026-01-01"}, headers=staff.headers
    ).json()
    mid = milestone["id"]
    for body, field in [
        ({"status": "bogus"}, "status"),
        ({"title": None}, "title"),
        ({"date": None}, "date"),
        ({"status": None}, "status"),
        ({"notes": None}, "notes"),
    ]:
        assert_error(client.patch(f"{url}/{mid}", json=body, headers=staff.headers), 422, field)
    # The milestone belongs to its PPA: reached through another PPA it does not exist.
    other_url = f"{PPAS}/{other['id']}/milestones/{mid}"
    assert_error(client.patch(other_url, json={"title": "x"}, headers=staff.headers), 404)
    assert_error(client.delete(other_url, headers=staff.headers), 404)
    missing = f"{PPAS}/{uuid.uuid4()}/milestones"
    assert_error(
        client.post(missing, json={"title": "m", "date": "2026-01-01"}, headers=staff.headers), 404
    )
    assert_error(
        client.patch(f"{url}/{uuid.uuid4()}", json={"title": "x"}, headers=staff.headers), 404
    )
    assert client.get(url, headers=staff.headers).json() == [milestone]


def test_milestone_writes_honour_if_match(client, staff):
    ppa = create_ppa(client, staff)
    url = f"{PPAS}/{ppa['id']}/milestones"
    created = client.post(
        url, json={"title": "Groundbreaking", "date": "2026-03-01"}, headers=staff.headers
    )
    assert (created.json()["version"], created.headers["ETag"]) == (1, '"1"')
    milestone_url = f"{url}/{created.json()['id']}"

    def at(version):
        return {**staff.headers, "If-Match": f'"{version}"'}

    # The calendar moves it to another day (a drag sends the new `date`).
    moved = client.patch(milestone_url, json={"date": "2026-03-04"}, headers=at(1))
    assert moved.status_code == 200, moved.text
    assert (moved.json()["date"], moved.json()["version"]) == ("2026-03-04", 2)
    assert moved.headers["ETag"] == '"2"'
    # Whoever still holds version 1 is refused rather than undoing that move.
    assert_error(client.patch(milestone_url, json={"date": "2026-03-09"}, headers=at(1)), 412)
    assert_error(client.delete(milestone_url, headers=at(1)), 412)
    assert [m["date"] for m in client.get(url, headers=staff.headers).json()] == ["2026-03-04"]
    bad = {**staff.headers, "If-Match": "yesterday"}
    assert_error(client.patch(milestone_url, json={"title": "x"}, headers=bad), 422, "If-Match")
    assert client.delete(milestone_url, headers=at(2)).status_code == 204


# --- budget workflow --------------------------------------------------------------------


def stage(client, caller, ppa_id, name, body):
    return client.patch(f"{PPAS}/{ppa_id}/workflow/{name}", json=body, headers=caller.headers)


def test_stages_complete_in_order_only(client, staff, database):
    ppa = create_ppa(client, staff)
    pid = ppa["id"]
    assert_error(stage(client, staff, pid, "formulation", {"status": "completed"}), 409, "status")
    assert_error(
        stage(client, staff, pid, "accountability", {"status": "completed"}), 409, "status"
    )
    for name in STAGES:
        response = stage(client, staff, pid, name, {"status": "completed"})
        assert response.status_code == 200, (name, response.text)
        assert response.json()["completed_at"] is not None
    stages = client.get(f"{PPAS}/{pid}/workflow", headers=staff.headers).json()
    assert [s["stage"] for s in stages] == STAGES
    assert {s["status"] for s in stages} == {"completed"}
    # Reopening a stage while the next one is completed is refused; the last one may reopen.
    assert_error(stage(client, staff, pid, "execution", {"status": "in_progress"}), 409, "status")
    reopened = stage(client, staff, pid, "accountability", {"status": "in_progress"})
    assert reopened.status_code == 200
    assert reopened.json()["completed_at"] is None
    assert len(outbox_rows(database, "workflow_stage.changed")) == 7


def test_a_stage_may_progress_before_its_predecessor_completes(client, staff):
    ppa = create_ppa(client, staff)
    pid = ppa["id"]
    for status in ["in_progress", "blocked", "not_started"]:
        response = stage(client, staff, pid, "legislation", {"status": status})
        assert response.status_code == 200, response.text
        assert response.json()["status"] == status
    assert stage(client, staff, pid, "budget_call", {"status": "in_progress"}).status_code == 200
    assert_error(stage(client, staff, pid, "formulation", {"status": "completed"}), 409, "status")
    assert stage(client, staff, pid, "budget_call", {"status": "completed"}).status_code == 200
    assert stage(client, staff, pid, "formulation", {"status": "completed"}).status_code == 200


def test_stage_fields_and_validation(client, staff):
    ppa = create_ppa(client, staff)
    pid = ppa["id"]
    team = str(uuid.uuid4())
    response = stage(
        client,
        staff,
        pid,
        "budget_call",
        {"due_date": "2026-02-15", "owner_team_id": team, "notes": "n"},
    )
    assert response.status_code == 200, response.text
    assert (
        response.json()["due_date"],
        response.json()["owner_team_id"],
        response.json()["notes"],
    ) == (
        "2026-02-15",
        team,
        "n",
    )
    cleared = stage(client, staff, pid, "budget_call", {"due_date": None, "owner_team_id": None})
    assert (cleared.json()["due_date"], cleared.json()["owner_team_id"]) == (None, None)
    for body, field in [
        ({"status": "done"}, "status"),
        ({"status": None}, "status"),
        ({"notes": None}, "notes"),
        ({"due_date": "someday"}, "due_date"),
        ({"owner_team_id": "team-a"}, "owner_team_id"),
        ({"sequence": 3}, "sequence"),
    ]:
        assert_error(stage(client, staff, pid, "budget_call", body), 422, field)
    assert_error(stage(client, staff, pid, "planning", {"status": "completed"}), 422, "stage")
    assert_error(stage(client, staff, str(uuid.uuid4()), "budget_call", {"notes": "x"}), 404)


def test_a_stage_changed_by_a_colleague_is_not_overwritten(client, staff, manager):
    """Each stage carries its version (ETag); a change at an older one is 412, and of two
    concurrent changes at the same version exactly one is kept."""
    pid = create_ppa(client, staff)["id"]
    listed = {
        s["stage"]: s for s in client.get(f"{PPAS}/{pid}/workflow", headers=staff.headers).json()
    }
    read = listed["budget_call"]["version"]
    first = client.patch(
        f"{PPAS}/{pid}/workflow/budget_call",
        json={"notes": "Call issued on 3 March"},
        headers={**staff.headers, "If-Match": f'"{read}"'},
    )
    assert first.status_code == 200, first.text
    assert first.json()["version"] == read + 1
    assert first.headers["etag"] == f'"{read + 1}"'
    stale = client.patch(
        f"{PPAS}/{pid}/workflow/budget_call",
        json={"notes": "Call not yet issued"},
        headers={**manager.headers, "If-Match": f'"{read}"'},
    )
    assert_error(stale, 412)
    after = {
        s["stage"]: s for s in client.get(f"{PPAS}/{pid}/workflow", headers=staff.headers).json()
    }
    assert after["budget_call"]["notes"] == "Call issued on 3 March"

    current = after["formulation"]["version"]
    answers = run_concurrently(
        [
            lambda note=note: (
                client.patch(
                    f"{PPAS}/{pid}/workflow/formulation",
                    json={"notes": note},
                    headers={**staff.headers, "If-Match": f'"{current}"'},
                ).status_code
            )
            for note in ("one", "two", "three", "four")
        ]
    )
    assert sorted(answers) == [200, 412, 412, 412]


# --- funding ----------------------------------------------------------------------------


def test_rates_with_exact_numbers(client, staff, manager):
    ppa = create_ppa(client, staff, budget_allocation=1_000_000)
    pid = ppa["id"]
    empty = summary(client, staff, pid)
    # Nothing allocated or obligated yet: those rates have no denominator.
    assert (empty["obligation_rate"], empty["disbursement_rate"], empty["utilization_rate"]) == (
        None,
        None,
        0,
    )
    assert empty["under_obligated"] is False
    for kind, amount in [
        ("allocation", 600_000),
        ("allocation", 200_000),
        ("adjustment", -50_000),
        ("obligation", 500_000),
        ("obligation", "62500.50"),
        ("disbursement", 250_000),
    ]:
        response = tranche(client, manager, pid, kind, amount)
        assert response.status_code == 201, response.text
    figures = summary(client, staff, pid)
    assert figures["allocations"] == 800_000
    assert figures["adjustments"] == -50_000
    assert figures["allocated"] == 750_000
    assert figures["obligated"] == 562_500.5
    assert figures["disbursed"] == 250_000
    assert figures["obligation_rate"] == 75.0  # 562500.50 / 750000 = 75.00007 %
    assert figures["disbursement_rate"] == 44.44  # 250000 / 562500.50
    assert figures["utilization_rate"] == 25.0  # 250000 / 1000000
    assert figures["under_obligated"] is False
    assert len(figures["tranches"]) == 6


def test_under_obligated_below_75_percent(client, staff, manager):
    ppa = create_ppa(client, staff, budget_allocation=400)
    pid = ppa["id"]
    assert tranche(client, manager, pid, "allocation", 400).status_code == 201
    assert tranche(client, manager, pid, "obligation", "299.99").status_code == 201
    figures = summary(client, staff, pid)
    # 299.99 / 400 = 74.9975 %: shown as 75.0 (two decimals) but below 75 %.
    assert figures["obligation_rate"] == 75.0
    assert figures["under_obligated"] is True
    assert tranche(client, manager, pid, "obligation", "0.01").status_code == 201
    figures = summary(client, staff, pid)
    assert figures["obligation_rate"] == 75.0
    assert figures["under_obligated"] is False
    assert figures["disbursement_rate"] == 0
    assert figures["utilization_rate"] == 0


def test_rates_without_denominators_are_null(client, staff, manager):
    ppa = create_ppa(client, staff)  # no budget_allocation
    pid = ppa["id"]
    figures = summary(client, staff, pid)
    assert figures["budget_allocation"] is None
    assert figures["obligation_rate"] is None
    assert figures["disbursement_rate"] is None
    assert figures["utilization_rate"] is None
    assert figures["under_obligated"] is False
    for kind, amount in [("allocation", 10), ("obligation", 10), ("disbursement", 5)]:
        assert tranche(client, manager, pid, kind, amount).status_code == 201
    figures = summary(client, staff, pid)
    assert (figures["obligation_rate"], figures["disbursement_rate"]) == (100.0, 50.0)
    assert figures["utilization_rate"] is None  # no budget allocation to compare with


INVALID_TRANCHES: list[tuple[dict[str, Any], str]] = [
    ({"tranche_type": "allocation", "amount": 0, "date": "2026-01-01"}, "amount"),
    ({"tranche_type": "obligation", "amount": -5, "date": "2026-01-01"}, "amount"),
    ({"tranche_type": "disbursement", "amount": "1.005", "date": "2026-01-01"}, "amount"),
    ({"tranche_type": "adjustment", "amount": 0, "date": "2026-01-01"}, "amount"),
    ({"tranche_type": "allocation", "amount": "abc", "date": "2026-01-01"}, "amount"),
    ({"tranche_type": "allocation", "amount": 1e14, "date": "2026-01-01"}, "amount"),
    ({"tranche_type": "allocation", "date": "2026-01-01"}, "amount"),
    ({"tranche_type": "grant", "amount": 5, "date": "2026-01-01"}, "tranche_type"),
    ({"amount": 5, "date": "2026-01-01"}, "tranche_type"),
    ({"tranche_type": "allocation", "amount": 5}, "date"),
    ({"tranche_type": "allocation", "amount": 5, "date": "2026-02-31"}, "date"),
]


def test_invalid_tranches_are_422(client, staff, manager):
    ppa = create_ppa(client, staff)
    for body, field in INVALID_TRANCHES:
        response = client.post(f"{PPAS}/{ppa['id']}/funding", json=body, headers=manager.headers)
        assert_error(response, 422, field)
    assert summary(client, staff, ppa["id"])["tranches"] == []


def test_negative_adjustment_is_allowed_and_funding_needs_a_manager(client, staff, manager):
    ppa = create_ppa(client, staff)
    assert_error(tranche(client, staff, ppa["id"], "allocation", 5), 403)
    assert tranche(client, manager, ppa["id"], "allocation", 100).status_code == 201
    response = tranche(client, manager, ppa["id"], "adjustment", "-12.50")
    assert response.status_code == 201, response.text
    assert response.json()["amount"] == -12.5
    assert response.json()["created_by"] == str(manager.user_id)
    assert_error(tranche(client, manager, str(uuid.uuid4()), "allocation", 5), 404)


def test_rates_round_half_up_to_two_decimals(client, staff, manager):
    ppa = create_ppa(client, staff, budget_allocation=1600)
    pid = ppa["id"]
    for kind, amount in [("allocation", 800), ("obligation", 1), ("disbursement", "0.00125")]:
        response = tranche(client, manager, pid, kind, amount)
        if kind == "disbursement":
            assert_error(response, 422, "amount")  # at most two decimals
        else:
            assert response.status_code == 201, response.text
    assert tranche(client, manager, pid, "disbursement", "0.02").status_code == 201
    figures = summary(client, staff, pid)
    assert figures["obligation_rate"] == 0.13  # 1 / 800 = 0.125 %
    assert figures["disbursement_rate"] == 2.0  # 0.02 / 1
    assert figures["utilization_rate"] == 0.0  # 0.02 / 1600 = 0.00125 %
    assert figures["under_obligated"] is True
