"""The budget approval queue page against the real portfolio service: the queue grouped by
stage with amounts, ceiling impact in words and days waiting; Approve at the version shown
(a stale one says so), Return and Reject after a note; the ceilings' usage and a manager's
ceiling form and deactivation (asked first, at its version); staff read-only."""

from __future__ import annotations

import random
import re
import uuid
from typing import Any

import httpx
from gateway_helpers import ADMIN_PASSWORD, create_user, signed_in, submit

QUEUE = "/oobc-management/portfolio/approvals/"
DASHBOARD = "/oobc-management/portfolio/"


_UNUSED_YEARS = random.sample(range(2100, 2200), 100)


def _year() -> int:
    """A fiscal year of this test's own: the module's tests share one database, so no two
    tests may draw the same year (their ceilings would count each other's PPAs)."""
    return _UNUSED_YEARS.pop()


def _ppa(client: httpx.Client, headers: dict[str, str], title: str, **fields: Any) -> str:
    response = client.post(
        "/api/v1/ppas",
        json={"title": title, "category": "oobc_ppa", "sector": "infrastructure", **fields},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    ppa_id: str = response.json()["id"]
    moved = client.post(
        f"/api/v1/ppas/{ppa_id}/approval", json={"to": "technical_review"}, headers=headers
    )
    assert moved.status_code == 200, moved.text
    return ppa_id


def _row(page: str, ppa_id: str) -> str:
    start = page.index(f'id="queued-{ppa_id}"')
    return page[start : page.index("</tr>", start)]


def _stage_of(page: str, ppa_id: str) -> str:
    before = page[: page.index(f'id="queued-{ppa_id}"')]
    return re.findall(r'id="stage-([a-z_]+)"', before)[-1]


def test_a_manager_sets_a_ceiling_and_approves_returns_and_rejects_from_the_queue(
    make_client, admin_headers
):
    year = _year()
    manager_user = create_user(make_client(), admin_headers, "manager")
    manager = signed_in(make_client(), manager_user["username"])
    marker = uuid.uuid4().hex[:6]

    # The ceiling form: errors beside their fields, then a soft GAA ceiling.
    refused = submit(
        manager,
        QUEUE + "ceilings/",
        {"sector": "infrastructure", "fiscal_year": str(year), "amount": "lots"},
    )
    assert refused.status_code == 422
    assert 'id="f-amount-error"' in refused.text
    ceiling = {
        "sector": "infrastructure",
        "fiscal_year": str(year),
        "funding_source": "gaa",
        "enforcement": "soft",
        "amount": "1,000,000",
    }
    assert (
        submit(manager, QUEUE + "ceilings/", ceiling)
        .headers["location"]
        .endswith("?saved=ceiling-set#ceilings")
    )
    duplicate = submit(manager, QUEUE + "ceilings/", ceiling)
    assert duplicate.status_code == 409
    assert "already has an active ceiling; deactivate it first" in duplicate.text
    assert not re.search(r"ceiling, id [0-9a-f-]{36}", duplicate.text)  # no id to read

    api = make_client()
    first = _ppa(
        api,
        admin_headers,
        f"Road {marker}",
        fiscal_year=year,
        funding_source="gaa",
        budget_allocation="880000",
    )
    second = _ppa(
        api,
        admin_headers,
        f"Bridge {marker}",
        fiscal_year=year,
        funding_source="gaa",
        budget_allocation="240000",
    )
    third = _ppa(api, admin_headers, f"Port {marker}", budget_allocation="5000")

    page = manager.get(QUEUE).text
    row = _row(page, first)
    # One money format on the page: the amount, its ceiling impact and the ceilings' usage.
    assert "₱880,000.00" in row
    assert "PHP" not in page
    assert f"Leaves ₱120,000.00 under the soft ceiling for GAA infrastructure {year}" in row
    assert "since today" in row
    assert _stage_of(page, first) == "technical_review"
    ceilings = page[page.index('id="ceilings"') :]
    assert f"GAA infrastructure {year}" in ceilings
    assert "₱1,000,000.00" in ceilings
    assert "Soft: flags" in page

    # Approve at a stale version: said, and nothing moved.
    stale = submit(manager, QUEUE + f"{first}/approve/", {"to": "budget_review", "version": "1"})
    assert stale.status_code == 412
    assert "since the queue was shown" in stale.text
    version = re.search(r'name="version" value="(\d+)"', _row(page, first)).group(1)
    done = submit(manager, QUEUE + f"{first}/approve/", {"to": "budget_review", "version": version})
    assert done.headers["location"] == QUEUE + "?saved=approved"
    page = manager.get(QUEUE + "?saved=approved").text
    assert "Approved: the PPA moved on to its next stage" in page
    assert _stage_of(page, first) == "budget_review"
    # The second one would now take the soft ceiling over: said before approving.
    assert f"Over the soft ceiling for GAA infrastructure {year} by ₱120,000.00" in _row(
        page, second
    )

    # Reject asks for a note first, then confirms.
    confirm = manager.get(QUEUE + f"{second}/reject/?version=2")
    assert confirm.status_code == 200
    assert "Yes, reject" in confirm.text
    no_note = submit(manager, QUEUE + f"{second}/reject/", {"version": "2", "note": ""})
    assert no_note.status_code == 422
    assert "Give the note" in no_note.text
    rejected = submit(
        manager, QUEUE + f"{second}/reject/", {"version": "2", "note": "Over the plan"}
    )
    assert rejected.headers["location"] == QUEUE + "?saved=rejected"
    # Return: back to draft, the note in its history.
    returned = submit(manager, QUEUE + f"{third}/return/", {"version": "2", "note": "Add the MOA"})
    assert returned.headers["location"] == QUEUE + "?saved=returned"
    page = manager.get(QUEUE).text
    assert f'id="queued-{second}"' not in page
    assert f'id="queued-{third}"' not in page
    ppa = api.get(f"/api/v1/ppas/{third}", headers=admin_headers).json()
    assert ppa["approval_status"] == "draft"
    assert [entry["note"] for entry in ppa["approval_history"][-2:]] == ["Add the MOA"] * 2

    # Deactivating the ceiling asks first and carries its version.
    ceiling_row = page[page.index(f"GAA infrastructure {year}</td>") :]
    ceiling_id = re.search(r"approvals/ceilings/([0-9a-f-]{36})/deactivate/", ceiling_row)
    deactivate = QUEUE + f"ceilings/{ceiling_id.group(1)}/deactivate/"
    question = manager.get(deactivate)
    assert f"Deactivate the ceiling for GAA infrastructure {year}?" in question.text
    stale = submit(manager, deactivate, {"version": "9"})
    assert stale.status_code == 412
    assert "Someone changed this ceiling" in stale.text
    assert submit(manager, deactivate, {"version": "1"}).status_code == 303
    assert f"GAA infrastructure {year}" not in manager.get(QUEUE).text

    dashboard = manager.get(DASHBOARD).text
    assert 'href="/oobc-management/portfolio/approvals/"' in dashboard
    assert "waiting for your approval decision" in dashboard


def test_staff_see_the_queue_read_only_and_are_refused_decisions(make_client, admin_headers):
    year = _year()
    staff_user = create_user(make_client(), admin_headers, "staff")
    staff = signed_in(make_client(), staff_user["username"])
    ppa = _ppa(
        make_client(),
        admin_headers,
        f"Clinic {uuid.uuid4().hex[:6]}",
        fiscal_year=year,
        budget_allocation="100",
    )
    page = staff.get(QUEUE)
    assert page.status_code == 200
    assert "approval decisions need the manager role" in page.text
    row = _row(page.text, ppa)
    assert "Approve" not in row
    assert "Reject" not in row
    assert "Set ceiling" not in page.text
    refused = submit(staff, QUEUE + f"{ppa}/approve/", {"to": "budget_review", "version": "2"})
    assert refused.status_code == 403
    assert "manager" in refused.text
    refused = submit(
        staff,
        QUEUE + "ceilings/",
        {"sector": "social", "fiscal_year": str(year), "enforcement": "hard", "amount": "5"},
    )
    assert refused.status_code == 403
    admin = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    assert _stage_of(admin.get(QUEUE).text, ppa) == "technical_review"
