"""The budget approval queue in a real browser (Debian's Chromium driven by Playwright), as a
manager: a PPA is approved from the queue into budget review (the page confirms it and shows
it in its new stage), another rejected after a note (focused, asked for before sending) and a
confirmation; the ceilings' usage
with its enforcement in words. axe-core at desktop and phone widths, no sideways scroll at
390 px, screenshots (test-artifacts/screenshots/approvals-*.png)."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from gateway_helpers import (
    ADMIN_PASSWORD,
    DESKTOP,
    USER_PASSWORD,
    ServedApp,
    browser_session,
    check_page,
    create_user,
    token_for,
)
from playwright.sync_api import Browser, Page, expect

QUEUE = "/oobc-management/portfolio/approvals/"


@pytest.fixture
def manager(gateway: ServedApp) -> dict[str, Any]:
    with httpx.Client(base_url=gateway.url, timeout=30) as client:
        admin = token_for(client, "admin", ADMIN_PASSWORD)
        return {**create_user(client, admin, "manager"), "admin": admin}


@pytest.fixture
def page(browser: Browser, gateway: ServedApp, manager: dict[str, Any]) -> Iterator[Page]:
    with browser_session(browser, gateway.url, manager["username"], USER_PASSWORD, DESKTOP) as page:
        yield page


def test_a_manager_approves_and_rejects_from_the_queue(
    page: Page, gateway: ServedApp, manager: dict[str, Any]
):
    marker = uuid.uuid4().hex[:6]
    year = random.randint(2100, 2199)
    admin = manager["admin"]
    with httpx.Client(base_url=gateway.url, timeout=30) as api:
        for body in (
            {"funding_source": "gaa", "enforcement": "soft", "amount": 1_000_000},
            {"enforcement": "hard", "amount": 3_000_000},
            # The longest name and amount: its row leaves "Deactivate…" the least room.
            {"sector": "peace_security", "funding_source": "lgu_counterpart"}
            | {"amount": 125_000_000},
        ):
            created = api.post(
                "/api/v1/budget-ceilings",
                json={"sector": "infrastructure", "fiscal_year": year, **body},
                headers=admin,
            )
            assert created.status_code == 201, created.text
        ids = {}
        for title, allocation in (("Farm-to-market road", 880_000), ("Fish port", 240_000)):
            ppa = api.post(
                "/api/v1/ppas",
                json={
                    "title": f"{title} {marker}",
                    "category": "oobc_ppa",
                    "sector": "infrastructure",
                    "fiscal_year": year,
                    "funding_source": "gaa",
                    "budget_allocation": allocation,
                },
                headers=admin,
            ).json()
            moved = api.post(
                f"/api/v1/ppas/{ppa['id']}/approval", json={"to": "technical_review"}, headers=admin
            )
            assert moved.status_code == 200, moved.text
            ids[title] = ppa["id"]

    page.goto(QUEUE)
    road = page.locator(f"#queued-{ids['Farm-to-market road']}")
    expect(road).to_contain_text("₱880,000.00")
    expect(road).to_contain_text(
        f"Leaves ₱120,000.00 under the soft ceiling for GAA infrastructure {year}"
    )
    expect(page.locator("#ceilings")).to_contain_text("Soft: flags")
    # "Deactivate…" stays on one line (its "…" wrapped under it).
    deactivate = page.locator("#ceilings a[href$='/deactivate/']")
    expect(deactivate.first).to_be_visible()
    assert (
        deactivate.evaluate_all("links => links.map(a => a.getClientRects().length)")
        == [1] * deactivate.count()
    )
    check_page(page, "approvals-queue")

    road.get_by_role("button", name="Approve, on to budget review").click()
    expect(page.locator("#toast")).to_have_text("Approved: the PPA moved on to its next stage")
    expect(
        page.locator(f"#stage-budget_review #queued-{ids['Farm-to-market road']}")
    ).to_be_visible()
    port = page.locator(f"#queued-{ids['Fish port']}")
    expect(port).to_contain_text(
        f"Over the soft ceiling for GAA infrastructure {year} by ₱120,000.00"
    )
    check_page(page, "approvals-approved")

    port.get_by_role("link", name="Reject…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Reject “Fish port {marker}”?")
    # The note, the one thing to give, has the focus; the browser asks for it before sending.
    note = page.locator("textarea[name=note]")
    expect(note).to_be_focused()
    page.keyboard.type("   ")
    page.get_by_role("button", name="Yes, reject").click()
    # Blank is refused by the gateway too, beside the note, which keeps the focus.
    expect(page.locator("#f-note-error")).to_have_text("Give the note")
    expect(note).to_be_focused()
    note.fill("")
    page.get_by_role("button", name="Yes, reject").click()
    assert note.evaluate("note => note.validity.valueMissing")
    expect(page.locator("#f-note-error")).to_have_text("Give the note")  # not sent again
    note.fill("The port is funded by the province this year")
    check_page(page, "approvals-reject-note")
    page.get_by_role("button", name="Yes, reject").click()
    expect(page.locator("#toast")).to_have_text("Rejected: the PPA left the queue with your note")
    expect(page.locator(f"#queued-{ids['Fish port']}")).to_have_count(0)
