"""Budget ceilings per funding source, hard or soft; their usage; the approval queue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from obcms_platform.testing import assert_error
from obcms_platform.testing.service_probes import run_concurrently

from .helpers import CEILINGS, DASHBOARD, PPAS, create_ppa, get_ppa, tranche

USAGE = f"{CEILINGS}/usage"
QUEUE = "/api/v1/approval-queue"


def ceiling(client, manager, **body):
    response = client.post(CEILINGS, json=body, headers=manager.headers)
    assert response.status_code == 201, response.text
    return response.json()


def move(client, caller, ppa_id, to, note="", **headers):
    return client.post(
        f"{PPAS}/{ppa_id}/approval",
        json={"to": to, "note": note},
        headers={**caller.headers, **headers},
    )


def in_technical_review(client, staff, manager, allocation, source="gaa", **extra):
    body = {
        "sector": "infrastructure",
        "fiscal_year": 2027,
        "funding_source": source,
        "budget_allocation": allocation,
        **extra,
    }
    created = create_ppa(client, staff, **body)
    assert move(client, manager, created["id"], "technical_review").status_code == 200
    return created["id"]


def test_over_a_hard_ceiling_is_refused_naming_it_the_amount_over_and_the_headroom(
    client, staff, manager
):
    ceiling(
        client,
        manager,
        sector="infrastructure",
        fiscal_year=2027,
        funding_source="gaa",
        amount=1_000_000,
    )
    first = in_technical_review(client, staff, manager, 880_000)
    assert move(client, manager, first, "budget_review").status_code == 200
    second = in_technical_review(client, staff, manager, 240_000)
    error = assert_error(move(client, manager, second, "budget_review"), 409, "budget_allocation")
    assert "hard ceiling for GAA infrastructure 2027" in error["message"]
    assert "over by ₱120,000.00" in error["message"]
    assert "headroom is ₱120,000.00" in error["message"]
    assert get_ppa(client, staff, second)["approval_status"] == "technical_review"


def test_over_a_soft_ceiling_is_allowed_and_flagged_in_the_history_and_the_queue(
    client, staff, manager
):
    ceiling(
        client,
        manager,
        sector="infrastructure",
        fiscal_year=2027,
        funding_source="gaa",
        enforcement="soft",
        amount=1_000_000,
    )
    first = in_technical_review(client, staff, manager, 880_000)
    assert move(client, manager, first, "budget_review").status_code == 200
    second = in_technical_review(client, staff, manager, 240_000)
    flag = "over the soft ceiling for GAA infrastructure 2027 by ₱120,000.00"
    # Before the move, the queue shows what approving it would do.
    queued = {
        item["id"]: item for item in client.get(QUEUE, headers=manager.headers).json()["items"]
    }
    assert queued[second]["over_soft_ceiling"] is True
    assert queued[second]["ceilings"][0]["flag"] == flag
    assert queued[second]["ceilings"][0]["headroom_after"] == -120_000
    assert queued[first]["over_soft_ceiling"] is False

    response = move(client, manager, second, "budget_review", note="Within the plan")
    assert response.status_code == 200, response.text
    history = get_ppa(client, staff, second)["approval_history"]
    assert history[-1]["note"] == f"Within the plan; {flag}"
    queued = {
        item["id"]: item for item in client.get(QUEUE, headers=manager.headers).json()["items"]
    }
    assert queued[second]["ceilings"][0]["flag"] == flag
    assert queued[second]["ceilings"][0]["committed_by_others"] == 880_000


def test_a_ppa_is_held_to_its_source_s_ceiling_and_the_all_sources_one(client, staff, manager):
    ceiling(
        client, manager, sector="infrastructure", fiscal_year=2027, funding_source="gaa", amount=100
    )
    ceiling(client, manager, sector="infrastructure", fiscal_year=2027, amount=150)
    # Not GAA: only the all-sources ceiling holds it.
    donor = in_technical_review(client, staff, manager, 120, source="donor")
    assert move(client, manager, donor, "budget_review").status_code == 200
    too_much_overall = in_technical_review(client, staff, manager, 40)
    error = assert_error(
        move(client, manager, too_much_overall, "budget_review"), 409, "budget_allocation"
    )
    assert "infrastructure 2027 (all sources)" in error["message"]
    fits = in_technical_review(client, staff, manager, 30)
    assert move(client, manager, fits, "budget_review").status_code == 200
    # The all-sources ceiling is full; after the donor PPA is rejected, the GAA one decides.
    assert move(client, manager, donor, "rejected", "Donor withdrew").status_code == 200
    over_gaa = in_technical_review(client, staff, manager, 80)
    error = assert_error(move(client, manager, over_gaa, "budget_review"), 409)
    assert "GAA infrastructure 2027" in error["message"]
    # Without a source, a PPA is held to the all-sources ceiling only.
    unsourced = in_technical_review(client, staff, manager, 120, source=None)
    assert move(client, manager, unsourced, "budget_review").status_code == 200


def test_concurrent_budget_reviews_stay_within_a_hard_ceiling(client, staff, manager, database):
    # A soft GAA ceiling beside the hard all-sources one: its rows are locked too.
    ceiling(client, manager, sector="infrastructure", fiscal_year=2027, amount=100)
    ceiling(
        client,
        manager,
        sector="infrastructure",
        fiscal_year=2027,
        funding_source="gaa",
        enforcement="soft",
        amount=10,
    )
    ids = [
        in_technical_review(client, staff, manager, 30, source=source)
        for source in ["gaa", "donor", "gaa", "internal", "gaa", "donor"]
    ]
    results = run_concurrently(
        [(lambda i=i: move(client, manager, i, "budget_review")) for i in ids]
    )
    assert sorted(r.status_code for r in results) == [200] * 3 + [409] * 3, [
        r.text for r in results
    ]
    with database.engine.connect() as connection:
        committed = connection.execute(
            text("SELECT sum(budget_allocation) FROM ppas WHERE approval_status = 'budget_review'")
        ).scalar_one()
    assert committed == 90
    usage = client.get(USAGE, params={"fiscal_year": 2027}, headers=staff.headers).json()
    all_sources = next(u for u in usage if u["funding_source"] is None)
    assert (all_sources["committed"], all_sources["headroom"], all_sources["over"]) == (
        90,
        10,
        False,
    )


def test_usage_per_ceiling(client, staff, manager):
    ceiling(
        client,
        manager,
        sector="infrastructure",
        fiscal_year=2027,
        funding_source="gaa",
        enforcement="soft",
        amount=200,
    )
    ceiling(client, manager, sector="infrastructure", fiscal_year=2027, amount=1000)
    ceiling(client, manager, sector="social", fiscal_year=2027, amount=0)
    ceiling(client, manager, sector="social", fiscal_year=2026, amount=5, is_active=False)
    for allocation, source in [(150, "gaa"), (100, "gaa"), (300, "donor")]:
        ppa = in_technical_review(client, staff, manager, allocation, source=source)
        assert move(client, manager, ppa, "budget_review").status_code == 200
    in_technical_review(client, staff, manager, 999)  # not yet committed
    usage = client.get(USAGE, headers=staff.headers).json()
    by_name = {u["name"]: u for u in usage}
    assert set(by_name) == {
        "GAA infrastructure 2027",
        "infrastructure 2027 (all sources)",
        "social 2027 (all sources)",
    }
    gaa = by_name["GAA infrastructure 2027"]
    assert (gaa["amount"], gaa["committed"], gaa["headroom"], gaa["percent"]) == (
        200,
        250,
        -50,
        125,
    )
    assert (gaa["enforcement"], gaa["over"]) == ("soft", True)
    overall = by_name["infrastructure 2027 (all sources)"]
    assert (overall["committed"], overall["headroom"], overall["percent"], overall["over"]) == (
        550,
        450,
        55,
        False,
    )
    assert by_name["social 2027 (all sources)"]["percent"] is None
    filtered = client.get(USAGE, params={"sector": "social"}, headers=staff.headers).json()
    assert [u["name"] for u in filtered] == ["social 2027 (all sources)"]
    assert_error(
        client.get(USAGE, params={"fiscal_year": 1900}, headers=staff.headers), 422, "fiscal_year"
    )
    assert_error(
        client.get(USAGE, params={"sector": "health"}, headers=staff.headers), 422, "sector"
    )


def test_one_active_ceiling_per_sector_year_and_source(client, staff, manager):
    body = {"sector": "economic", "fiscal_year": 2027, "amount": 100}
    ceiling(client, manager, **body)
    ceiling(client, manager, **body, funding_source="gaa")
    ceiling(client, manager, **body, funding_source="donor", enforcement="soft")
    for duplicate in [body, {**body, "funding_source": "gaa", "enforcement": "soft"}]:
        error = assert_error(
            client.post(CEILINGS, json=duplicate, headers=manager.headers), 409, "is_active"
        )
        assert "already has an active ceiling" in error["message"]
    for bad, field in [
        ({**body, "enforcement": "medium"}, "enforcement"),
        ({**body, "funding_source": "bank"}, "funding_source"),
    ]:
        assert_error(client.post(CEILINGS, json=bad, headers=manager.headers), 422, field)
    results = run_concurrently(
        [
            (
                lambda: client.post(
                    CEILINGS,
                    json={**body, "fiscal_year": 2030, "funding_source": "internal"},
                    headers=manager.headers,
                )
            )
            for _ in range(2)
        ]
    )
    assert sorted(r.status_code for r in results) == [201, 409], [r.text for r in results]
    assert_error(next(r for r in results if r.status_code == 409), 409, "is_active")


def test_ceilings_are_versioned_and_only_managers_change_them(client, staff, manager):
    created = ceiling(client, manager, sector="governance", fiscal_year=2027, amount=100)
    assert (created["version"], created["enforcement"]) == (1, "hard")
    url = f"{CEILINGS}/{created['id']}"
    assert_error(
        client.post(
            CEILINGS,
            json={"sector": "social", "fiscal_year": 2027, "amount": 1},
            headers=staff.headers,
        ),
        403,
    )
    assert_error(
        client.patch(url, json={"is_active": False}, headers={**staff.headers, "If-Match": '"1"'}),
        403,
    )
    response = client.patch(
        url,
        json={"enforcement": "soft", "funding_source": "gaa"},
        headers={**manager.headers, "If-Match": '"1"'},
    )
    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == '"2"'
    assert (response.json()["enforcement"], response.json()["funding_source"]) == ("soft", "gaa")
    stale = client.patch(
        url, json={"is_active": False}, headers={**manager.headers, "If-Match": '"1"'}
    )
    assert_error(stale, 412)
    assert client.get(url, headers=staff.headers).json()["is_active"] is True
    cleared = client.patch(url, json={"funding_source": None}, headers=manager.headers)
    assert cleared.json()["funding_source"] is None
    assert_error(
        client.patch(url, json={"enforcement": None}, headers=manager.headers), 422, "enforcement"
    )


def test_allocations_are_held_to_hard_ceilings_of_their_source_only(client, staff, manager):
    ceiling(
        client, manager, sector="infrastructure", fiscal_year=2027, funding_source="gaa", amount=100
    )
    ceiling(
        client,
        manager,
        sector="infrastructure",
        fiscal_year=2027,
        funding_source="donor",
        enforcement="soft",
        amount=100,
    )

    def allocate(source, amount):
        ppa = create_ppa(
            client,
            staff,
            sector="infrastructure",
            fiscal_year=2027,
            funding_source=source,
            budget_allocation=1000,
        )
        return client.post(
            f"{PPAS}/{ppa['id']}/funding",
            json={"tranche_type": "allocation", "amount": amount, "date": "2026-10-01"},
            headers=manager.headers,
        )

    error = assert_error(allocate("gaa", 101), 409, "amount")
    assert "hard ceiling for GAA infrastructure 2027" in error["message"]
    assert "headroom ₱100.00" in error["message"]
    assert allocate("donor", 500).status_code == 201  # a soft ceiling does not refuse
    assert allocate("gaa", 100).status_code == 201


def test_the_queue_per_role_oldest_first(client, staff, manager, admin, database):
    ceiling(client, manager, sector="infrastructure", fiscal_year=2027, amount=1000)
    old = in_technical_review(client, staff, manager, 100)
    final = in_technical_review(client, staff, manager, 200)
    for to in ["budget_review", "executive_approval"]:
        assert move(client, manager, final, to).status_code == 200
    newer = in_technical_review(client, staff, manager, 300)
    create_ppa(client, staff, title="Still a draft")
    # `old` entered technical review three days ago.
    with database.engine.begin() as connection:
        connection.execute(
            text("UPDATE approval_history SET changed_at = :at WHERE ppa_id = :id"),
            {"at": datetime.now(UTC) - timedelta(days=3), "id": old},
        )

    managers = client.get(QUEUE, headers=manager.headers).json()
    assert managers["stages"] == ["technical_review", "budget_review", "stakeholder_consultation"]
    assert managers["may_decide"] is True
    assert [item["id"] for item in managers["items"]] == [old, newer]
    first = managers["items"][0]
    assert (first["days_waiting"], first["budget_allocation"], first["version"]) == (3, 100, 2)
    assert first["moves"] == ["budget_review", "rejected"]
    # Approving `newer` leaves 1000 - 200 (committed by `final`) - 300.
    assert managers["items"][1]["ceilings"][0]["headroom_after"] == 500
    assert managers["items"][1]["days_waiting"] == 0

    admins = client.get(QUEUE, headers=admin.headers).json()
    assert admins["stages"][-1] == "executive_approval"
    assert [item["id"] for item in admins["items"]] == [old, final, newer]
    assert admins["items"][1]["moves"] == ["approved", "rejected"]
    # `final` counts already: approving it leaves 1000 - 200.
    assert admins["items"][1]["ceilings"][0]["headroom_after"] == 800

    staffs = client.get(QUEUE, headers=staff.headers).json()
    assert staffs["may_decide"] is False
    assert [item["id"] for item in staffs["items"]] == [old, newer]
    assert all(item["moves"] == [] for item in staffs["items"])


def test_ppas_over_budget_are_counted_listed_and_sorted_by_their_money(
    client, staff, manager, session
):
    """Over budget: counted against a ceiling that is over (a soft one let them through), or
    spending above the allocation (an older record: the limits refuse that now). The
    dashboard counts them, the list filters them, and shows and sorts by each PPA's money."""
    ceiling(
        client,
        manager,
        sector="infrastructure",
        fiscal_year=2027,
        funding_source="gaa",
        enforcement="soft",
        amount=1_000_000,
    )
    first = in_technical_review(client, staff, manager, 880_000)
    second = in_technical_review(client, staff, manager, 240_000)
    waiting = in_technical_review(client, staff, manager, 50_000)  # not committed yet
    assert move(client, manager, first, "budget_review").status_code == 200
    for kind, amount in (("allocation", 800_000), ("obligation", 500_000)):
        assert tranche(client, manager, first, kind, amount).status_code == 201
    board = client.get(DASHBOARD, params={"fiscal_year": 2027}, headers=staff.headers).json()
    assert board["over_budget"] == 0
    assert move(client, manager, second, "budget_review").status_code == 200
    # An older record: obligated more than its budget allows now.
    older = create_ppa(client, staff, title="Older record", budget_allocation=100)
    for kind in ("allocation", "obligation"):
        assert tranche(client, manager, older["id"], kind, 100).status_code == 201
    session.execute(
        text("UPDATE ppas SET budget_allocation = 60 WHERE id = :ppa"), {"ppa": older["id"]}
    )
    session.commit()

    board = client.get(DASHBOARD, params={"fiscal_year": 2027}, headers=staff.headers).json()
    assert board["over_budget"] == 2  # first and second; not the one waiting
    assert client.get(DASHBOARD, headers=staff.headers).json()["over_budget"] == 3
    over = client.get(PPAS, params={"over_budget": "true"}, headers=staff.headers).json()
    assert {item["id"] for item in over["items"]} == {first, second, older["id"]}
    fine = client.get(PPAS, params={"over_budget": "false"}, headers=staff.headers).json()
    assert waiting in {item["id"] for item in fine["items"]}

    by_obligated = client.get(
        PPAS, params={"sort": "-obligated_total", "fiscal_year": 2027}, headers=staff.headers
    ).json()["items"]
    assert by_obligated[0]["id"] == first
    assert (
        by_obligated[0]["allocated_total"],
        by_obligated[0]["obligated_total"],
        by_obligated[0]["disbursed_total"],
    ) == (800_000, 500_000, 0)
