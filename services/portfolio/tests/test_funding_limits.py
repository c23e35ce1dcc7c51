"""Funding within its limits (obligations ≤ allocated, disbursements ≤ obligated, allocated ≤
the PPA's budget and its sector's ceiling), also under concurrent tranches; corrections by
reversal; the dashboard's quarter-end under-obligation."""

from __future__ import annotations

import functools
import uuid
from datetime import date, datetime, timedelta
from typing import Any

from obcms_platform.feed import OFFICE_ZONE
from obcms_platform.testing import assert_error
from obcms_platform.testing.service_probes import run_concurrently
from obcms_platform.zones import office_today
from portfolio_service.dashboard.service import last_quarter_end

from .helpers import CEILINGS, DASHBOARD, PPAS, create_ppa, summary, tranche


def refusal(response) -> str:
    """The 409's message, which names the `amount` field."""
    return str(assert_error(response, 409, "amount")["message"])


def reverse(client, caller, ppa_id, tranche_id, reason: Any = "Entered twice"):
    body = {} if reason is None else {"reason": reason}
    return client.post(
        f"{PPAS}/{ppa_id}/funding/{tranche_id}/reversal", json=body, headers=caller.headers
    )


def recorded(client, manager, ppa_id, kind, amount, day="2026-02-01") -> dict[str, Any]:
    response = tranche(client, manager, ppa_id, kind, amount, day)
    assert response.status_code == 201, response.text
    return dict(response.json())


# --- the limits -------------------------------------------------------------------------


def test_each_limit_refuses_with_the_figures_in_pesos(client, staff, manager):
    pid = create_ppa(client, staff, budget_allocation=1_000_000)["id"]
    assert refusal(tranche(client, manager, pid, "allocation", 1_200_000)) == (
        "amount: allocations and adjustments would total ₱1,200,000.00, more than the PPA's "
        "budget allocation of ₱1,000,000.00"
    )
    recorded(client, manager, pid, "allocation", 800_000)
    assert refusal(tranche(client, manager, pid, "obligation", 900_000)) == (
        "amount: obligations would total ₱900,000.00, more than the ₱800,000.00 allocated"
    )
    recorded(client, manager, pid, "obligation", 600_000)
    # The case: with 600,000 obligated, a disbursement of 5,000,000.
    assert refusal(tranche(client, manager, pid, "disbursement", 5_000_000)) == (
        "amount: disbursements would total ₱5,000,000.00, more than the ₱600,000.00 obligated"
    )
    recorded(client, manager, pid, "disbursement", 600_000)  # up to the limit exactly
    assert refusal(tranche(client, manager, pid, "disbursement", "0.01")) == (
        "amount: disbursements would total ₱600,000.01, more than the ₱600,000.00 obligated"
    )
    assert refusal(tranche(client, manager, pid, "adjustment", -300_000)) == (
        "amount: allocations and adjustments would total ₱500,000.00, less than the "
        "₱600,000.00 obligated"
    )
    recorded(client, manager, pid, "adjustment", -200_000)
    figures = summary(client, staff, pid)
    assert (figures["allocated"], figures["obligated"], figures["disbursed"]) == (
        600_000,
        600_000,
        600_000,
    )
    assert (figures["obligation_rate"], figures["disbursement_rate"]) == (100.0, 100.0)
    assert len(figures["tranches"]) == 4  # nothing refused was kept


def test_a_tranche_dated_after_the_offices_today_is_refused(client, staff, manager):
    """QA's case: a disbursement dated next year moved today's "Disbursed" and the rates.
    Every type records money that has moved (none is planned ahead), so none may be dated
    after today at the office; today itself is accepted."""
    pid = create_ppa(client, staff, budget_allocation=100_000)["id"]
    today = office_today()
    recorded(client, manager, pid, "allocation", 50_000, str(today - timedelta(days=30)))
    recorded(client, manager, pid, "obligation", 40_000, str(today - timedelta(days=10)))
    before = summary(client, staff, pid)
    for kind, amount in (
        ("disbursement", 10_000),
        ("obligation", 5_000),
        ("allocation", 5_000),
        ("adjustment", 5_000),
    ):
        for ahead in (today + timedelta(days=1), today + timedelta(days=90)):
            error = assert_error(tranche(client, manager, pid, kind, amount, str(ahead)), 422)
            assert (error["field"], error["message"]) == (
                "date",
                "date: a tranche records money that has moved; the day must not be in the future",
            )
    assert summary(client, staff, pid) == before
    recorded(client, manager, pid, "disbursement", 10_000, str(today))
    assert summary(client, staff, pid)["disbursed"] == 10_000


def test_a_ppa_without_budget_allocation_is_limited_by_its_tranches_only(client, staff, manager):
    pid = create_ppa(client, staff)["id"]
    assert refusal(tranche(client, manager, pid, "obligation", 1)) == (
        "amount: obligations would total ₱1.00, more than the ₱0.00 allocated"
    )
    assert refusal(tranche(client, manager, pid, "adjustment", "-12.50")) == (
        "amount: allocations and adjustments would total -₱12.50, less than the ₱0.00 obligated"
    )
    recorded(client, manager, pid, "allocation", 50_000_000)
    recorded(client, manager, pid, "obligation", 50_000_000)


def test_a_budget_allocation_may_not_drop_below_what_is_allocated(client, staff, manager):
    ppa = create_ppa(client, staff, budget_allocation=1000)
    recorded(client, manager, ppa["id"], "allocation", 800)

    def set_budget(amount, version):
        return client.patch(
            f"{PPAS}/{ppa['id']}",
            json={"budget_allocation": amount},
            headers={**staff.headers, "If-Match": f'"{version}"'},
        )

    refused = assert_error(set_budget(700, ppa["version"]), 409, "budget_allocation")
    assert refused["message"] == (
        "budget_allocation: ₱700.00 is less than the ₱800.00 its tranches allocate already; "
        "reverse an allocation first"
    )
    lowered = set_budget(800, ppa["version"])
    assert lowered.status_code == 200, lowered.text
    cleared = set_budget(None, lowered.json()["version"])  # no budget: no limit from it
    assert cleared.status_code == 200, cleared.text


def test_a_sector_ceiling_limits_the_allocations_of_all_its_ppas(client, staff, manager):
    ceiling = client.post(
        CEILINGS,
        json={"sector": "economic", "fiscal_year": 2026, "amount": 1_000_000},
        headers=manager.headers,
    )
    assert ceiling.status_code == 201, ceiling.text
    first, second, other_year = (
        create_ppa(client, staff, sector="economic", fiscal_year=year)["id"]
        for year in (2026, 2026, 2027)
    )
    recorded(client, manager, first, "allocation", 600_000)
    assert refusal(tranche(client, manager, second, "allocation", 500_000)) == (
        "amount: allocations and adjustments under the hard ceiling for economic 2026 (all "
        "sources) would total ₱1,100,000.00, more than its ₱1,000,000.00 (headroom "
        "₱400,000.00)"
    )
    recorded(client, manager, second, "allocation", 400_000)
    recorded(client, manager, other_year, "allocation", 5_000_000)  # another year's
    # A correction downwards frees room under the ceiling.
    recorded(client, manager, first, "adjustment", -100_000)
    recorded(client, manager, second, "allocation", 100_000)
    inactive = client.patch(
        f"{CEILINGS}/{ceiling.json()['id']}", json={"is_active": False}, headers=manager.headers
    )
    assert inactive.status_code == 200, inactive.text
    recorded(client, manager, second, "allocation", 1)


def test_twenty_concurrent_tranches_never_pass_a_limit(client, staff, manager):
    pid = create_ppa(client, staff)["id"]
    recorded(client, manager, pid, "allocation", 1000)
    recorded(client, manager, pid, "obligation", 1000)
    responses = run_concurrently(
        [functools.partial(tranche, client, manager, pid, "disbursement", 100)] * 20
    )
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] * 10 + [409] * 10, [r.text for r in responses]
    assert summary(client, staff, pid)["disbursed"] == 1000


def test_twenty_concurrent_allocations_across_a_sector_stay_under_its_ceiling(
    client, staff, manager
):
    ceiling = client.post(
        CEILINGS,
        json={"sector": "social", "fiscal_year": 2026, "amount": 700},
        headers=manager.headers,
    )
    assert ceiling.status_code == 201, ceiling.text
    ppas = [create_ppa(client, staff, sector="social", fiscal_year=2026)["id"] for _ in range(4)]
    responses = run_concurrently(
        [
            functools.partial(tranche, client, manager, ppas[index % 4], "allocation", 100)
            for index in range(20)
        ]
    )
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] * 7 + [409] * 13, [r.text for r in responses]
    assert sum(summary(client, staff, pid)["allocated"] for pid in ppas) == 700


# --- reversals --------------------------------------------------------------------------


def test_a_reversal_corrects_a_tranche_once_and_within_the_limits(client, staff, manager):
    pid = create_ppa(client, staff, budget_allocation=1000)["id"]
    recorded(client, manager, pid, "allocation", 1000)
    obligation = recorded(client, manager, pid, "obligation", 600)
    disbursement = recorded(client, manager, pid, "disbursement", 200)

    assert_error(reverse(client, staff, pid, disbursement["id"]), 403)
    # The disbursement depends on the obligation: that reversal would leave it uncovered.
    assert refusal(reverse(client, manager, pid, obligation["id"], "Wrong PPA")) == (
        "amount: obligations would total ₱0.00, less than the ₱200.00 already disbursed"
    )
    answer = reverse(client, manager, pid, disbursement["id"], "  Voucher entered twice  ")
    assert answer.status_code == 201, answer.text
    reversal = answer.json()
    assert reversal["tranche_type"] == "disbursement"
    assert reversal["amount"] == -200
    assert reversal["reverses_id"] == disbursement["id"]
    assert reversal["reason"] == "Voucher entered twice"
    assert reversal["date"] == datetime.now(OFFICE_ZONE).date().isoformat()
    assert reversal["created_by"] == str(manager.user_id)

    twice = assert_error(reverse(client, manager, pid, disbursement["id"]), 409, "tranche_id")
    assert "already reversed" in twice["message"]
    undo = assert_error(reverse(client, manager, pid, reversal["id"]), 409, "tranche_id")
    assert "itself a reversal" in undo["message"]
    # Without the disbursement, the obligation may go.
    assert reverse(client, manager, pid, obligation["id"], "Wrong PPA").status_code == 201

    figures = summary(client, staff, pid)
    assert (figures["allocated"], figures["obligated"], figures["disbursed"]) == (1000, 0, 0)
    assert figures["obligation_rate"] == 0
    assert figures["under_obligated"] is True
    by_id = {t["id"]: t for t in figures["tranches"]}
    assert len(by_id) == 5  # nothing edited or deleted: two reversals added
    assert by_id[disbursement["id"]]["amount"] == 200
    assert by_id[disbursement["id"]]["reversed_by_id"] == reversal["id"]
    assert by_id[reversal["id"]]["reversed_by_id"] is None


def test_concurrent_reversals_of_one_tranche_record_one(client, staff, manager):
    pid = create_ppa(client, staff)["id"]
    allocation = recorded(client, manager, pid, "allocation", 500)
    responses = run_concurrently(
        [functools.partial(reverse, client, manager, pid, allocation["id"])] * 5
    )
    assert sorted(r.status_code for r in responses) == [201] + [409] * 4
    assert summary(client, staff, pid)["allocated"] == 0


def test_reversal_input_and_addresses(client, staff, manager):
    pid = create_ppa(client, staff)["id"]
    allocation = recorded(client, manager, pid, "allocation", 500)
    for reason in (None, "", "ab", "   ab   ", "x" * 501, 12, "bad\x00reason"):
        assert_error(reverse(client, manager, pid, allocation["id"], reason), 422, "reason")
    assert_error(reverse(client, manager, pid, uuid.uuid4()), 404)
    other = create_ppa(client, staff)["id"]
    assert_error(reverse(client, manager, other, allocation["id"]), 404)  # not its tranche
    assert_error(reverse(client, manager, uuid.uuid4(), allocation["id"]), 404)
    assert_error(reverse(client, manager, pid, "not-an-id"), 422, "tranche_id")
    assert summary(client, staff, pid)["allocated"] == 500


def test_tranches_and_reversals_show_in_the_ppa_history(client, staff, manager):
    pid = create_ppa(client, staff)["id"]
    recorded(client, manager, pid, "allocation", 1000, day="2026-01-15")
    obligation = recorded(client, manager, pid, "obligation", 600, day="2026-02-01")
    reverse(client, manager, pid, obligation["id"], "Charged to the wrong PPA")
    entries = client.get(f"{PPAS}/{pid}/history", headers=staff.headers).json()["items"]
    reversal, obligated, allocated = entries[:3]
    assert reversal["actor_id"] == str(manager.user_id)
    assert reversal["cause"] == (
        "reversal of the obligation of Sun 1 Feb 2026: Charged to the wrong PPA"
    )
    assert [(c["field"], c["old"], c["new"]) for c in reversal["changes"]] == [
        ("obligated", "600.00", "0.00")
    ]
    assert obligated["cause"] == "obligation of Sun 1 Feb 2026"
    assert [(c["field"], c["old"], c["new"]) for c in obligated["changes"]] == [
        ("obligated", "0.00", "600.00")
    ]
    assert [(c["field"], c["new"]) for c in allocated["changes"]] == [("allocated", "1000.00")]


# --- the dashboard: under-obligated at the end of the last quarter ------------------------


def test_last_quarter_end():
    assert last_quarter_end(date(2026, 5, 17)) == date(2026, 3, 31)
    assert last_quarter_end(date(2026, 4, 1)) == date(2026, 3, 31)
    assert last_quarter_end(date(2026, 3, 31)) == date(2025, 12, 31)
    assert last_quarter_end(date(2026, 12, 31)) == date(2026, 9, 30)


def test_the_dashboard_lists_ppas_under_obligated_at_the_quarter_end(client, staff, manager):
    quarter_end = last_quarter_end(office_today())
    before, after = quarter_end.isoformat(), (quarter_end + timedelta(days=1)).isoformat()
    low = create_ppa(client, staff, title="Low", fiscal_year=2026)["id"]
    edge = create_ppa(client, staff, title="Edge")["id"]
    fine = create_ppa(client, staff, title="Fine")["id"]
    unfunded = create_ppa(client, staff, title="Unfunded")["id"]
    for pid, kind, amount, day in [
        (low, "allocation", 1000, before),
        (low, "obligation", 500, before),
        (low, "obligation", 400, after),  # after the quarter's end: not counted
        (edge, "allocation", 400, before),
        (edge, "obligation", "299.99", before),  # 74.9975 %: under, shown as 75.0
        (fine, "allocation", 1000, before),
        (fine, "obligation", 750, before),
        (unfunded, "allocation", 1000, after),  # nothing allocated at the quarter's end
    ]:
        recorded(client, manager, pid, kind, amount, day)

    board = client.get(DASHBOARD, headers=staff.headers).json()["under_obligated"]
    assert board["quarter_end"] == before
    assert board["quarter"] == f"{quarter_end.year} Q{quarter_end.month // 3}"
    assert board["total"] == 2
    assert [(p["title"], p["obligation_rate"]) for p in board["ppas"]] == [
        ("Low", 50.0),
        ("Edge", 75.0),
    ]
    assert (board["ppas"][0]["allocated"], board["ppas"][0]["obligated"]) == (1000, 500)
    # Now (not at the quarter's end) Low is at 90 %.
    assert summary(client, staff, low)["under_obligated"] is False

    scoped = client.get(DASHBOARD, params={"fiscal_year": 2026}, headers=staff.headers).json()
    assert [p["title"] for p in scoped["under_obligated"]["ppas"]] == ["Low"]
    assert scoped["under_obligated"]["total"] == 1
