"""The "My work" home page in a real browser (Debian's Chromium): a staff user finds their
overdue task and completes it in one click, a manager approves a leave request from it;
axe-core finds nothing critical or serious on a desktop and at 390 px, where nothing scrolls
sideways. Screenshots go to test-artifacts/screenshots/home-*.png."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from gateway_helpers import (
    ADMIN_PASSWORD,
    DESKTOP,
    PHONE,
    USER_PASSWORD,
    ServedApp,
    signed_in_page,
    token_for,
)
from playwright.sync_api import Browser, Page, expect

from gateway_service import formatting
from obcms_platform.testing.axe import serious_violations, summary

FRONTS_CALENDAR = True  # the conftest gateway fronts the calendar service too

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@pytest.fixture(scope="module")
def people(gateway: ServedApp) -> dict[str, Any]:
    """A staff member with an overdue task, a task due today and a pending leave request, a
    colleague with an overdue task of their own, and a manager."""
    marker = uuid.uuid4().hex[:6]
    today = datetime.now(formatting.OFFICE_ZONE).date()
    with httpx.Client(base_url=gateway.url, timeout=30) as api:
        admin = token_for(api, "admin", ADMIN_PASSWORD)
        found: dict[str, Any] = {"marker": marker}
        for role, name in (
            ("staff", "Hana Field Officer"),
            ("staff", "Ivan Colleague"),
            ("manager", "Jude Division Chief"),
        ):
            username = f"{role}-{uuid.uuid4().hex[:8]}"
            created = api.post(
                "/api/v1/users",
                json={
                    "username": username,
                    "password": USER_PASSWORD,
                    "role": role,
                    "full_name": name,
                },
                headers=admin,
            )
            assert created.status_code == 201, created.text
            found[name.split()[0].lower()] = {
                **created.json(),
                "headers": token_for(api, username, USER_PASSWORD),
            }
        hana, ivan = found["hana"], found["ivan"]
        for owner, title, due in (
            (hana, f"Encode the consultation notes {marker}", today - timedelta(days=2)),
            (hana, f"Confirm the venue {marker}", today),
            (ivan, f"Colleague task {marker}", today - timedelta(days=2)),
        ):
            task = api.post(
                "/api/v1/tasks",
                json={"title": title, "due_date": due.isoformat(), "assignee_ids": [owner["id"]]},
                headers=owner["headers"],
            )
            assert task.status_code == 201, task.text
        start = today + timedelta(days=20)
        leave = api.post(
            "/api/v1/leaves",
            json={
                "leave_type": "vacation",
                "start_date": start.isoformat(),
                "end_date": start.isoformat(),
                "reason": f"wedding {marker}",
            },
            headers=hana["headers"],
        )
        assert leave.status_code == 201, leave.text
        found["leave"] = leave.json()
    return found


def _signed_in(browser: Browser, gateway: ServedApp, username: str, viewport: Any) -> Page:
    return signed_in_page(browser, gateway.url, username, USER_PASSWORD, viewport)


def test_my_overdue_task_is_listed_and_completed_in_one_click(
    browser: Browser, gateway: ServedApp, people: dict[str, Any]
):
    marker = people["marker"]
    page = _signed_in(browser, gateway, people["hana"]["username"], DESKTOP)
    overdue = page.locator("section", has=page.get_by_role("heading", name="Overdue"))
    expect(overdue.get_by_role("heading")).to_have_text("Overdue (1)")
    expect(
        overdue.get_by_role("link", name=f"Encode the consultation notes {marker}")
    ).to_be_visible()
    expect(page.get_by_text(f"Colleague task {marker}")).to_have_count(0)
    today = page.locator("section", has=page.get_by_role("heading", name="Due today"))
    expect(today.get_by_role("link", name=f"Confirm the venue {marker}")).to_be_visible()
    expect(page.get_by_role("heading", name="Waiting for my decision")).to_have_count(0)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "home-staff-desktop.png"), full_page=True)
    violations = serious_violations(page)
    assert not violations, summary(violations)

    overdue.get_by_role("button", name=f"Complete “Encode the consultation notes {marker}”").click()
    expect(page.get_by_role("status")).to_contain_text(
        f"\u201cEncode the consultation notes {marker}\u201d completed"
    )
    expect(page.get_by_role("status").get_by_role("button", name="Undo")).to_be_visible()
    expect(overdue.get_by_text("Nothing overdue.")).to_be_visible()
    page.context.close()


def test_a_manager_approves_leave_from_home(
    browser: Browser, gateway: ServedApp, people: dict[str, Any]
):
    marker = people["marker"]
    page = _signed_in(browser, gateway, people["jude"]["username"], DESKTOP)
    leave = page.locator("li", has_text=f"wedding {marker}")
    expect(leave).to_contain_text("Hana Field Officer")
    page.screenshot(path=str(SCREENSHOTS / "home-manager-desktop.png"), full_page=True)
    violations = serious_violations(page)
    assert not violations, summary(violations)
    leave.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("status")).to_have_text("Leave request approved")
    expect(page.get_by_text(f"wedding {marker}")).to_have_count(0)
    expect(page).to_have_url(f"{gateway.url}/?saved=approved&subject=leave")
    page.context.close()


def test_rejecting_leave_from_home_starts_in_the_reason(
    browser: Browser, gateway: ServedApp, people: dict[str, Any]
):
    """QA: the Reject page left focus at the top (18 Tabs to the reason) and sent an empty
    reason to be refused."""
    marker = people["marker"]
    start = datetime.now(formatting.OFFICE_ZONE).date() + timedelta(days=40)
    with httpx.Client(base_url=gateway.url, timeout=30) as api:
        leave = api.post(
            "/api/v1/leaves",
            json={
                "leave_type": "vacation",
                "start_date": start.isoformat(),
                "end_date": start.isoformat(),
                "reason": f"fiesta {marker}",
            },
            headers=people["hana"]["headers"],
        )
        assert leave.status_code == 201, leave.text
    page = _signed_in(browser, gateway, people["jude"]["username"], DESKTOP)
    page.locator("li", has_text=f"fiesta {marker}").get_by_role("link", name="Reject").click()
    reason = page.get_by_label("Reason (the requester sees it)")
    expect(reason).to_be_focused()
    page.keyboard.press("Enter")  # a blank line: sent, and refused by the service
    page.get_by_role("button", name="Yes, reject").click()
    expect(page.locator("#f-reason-error")).to_have_text(
        "Give the reason for rejecting it, the requester reads it"
    )
    expect(reason).to_be_focused()  # asked again, the reason still first
    reason.fill("")
    page.get_by_role("button", name="Yes, reject").click()
    assert reason.evaluate("reason => reason.validity.valueMissing")
    page.keyboard.type("The whole team is at the summit that week")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text("Leave request rejected")
    page.context.close()


@pytest.mark.parametrize("who", ["hana", "jude"])
def test_the_phone_layout_fits_and_passes_axe(
    browser: Browser, gateway: ServedApp, people: dict[str, Any], who: str
):
    page = _signed_in(browser, gateway, people[who]["username"], PHONE)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow} px"
    role = "staff" if who == "hana" else "manager"
    page.screenshot(path=str(SCREENSHOTS / f"home-{role}-phone.png"), full_page=True)
    violations = serious_violations(page)
    assert not violations, summary(violations)
    page.context.close()


def test_by_keyboard_decisions_are_a_skip_away_and_a_decision_comes_back_to_its_message(
    browser: Browser, gateway: ServedApp, people: dict[str, Any]
):
    """61 Tabs led to the first Approve; after it the page came back with the keyboard at its
    top, 63 Tabs from the next decision."""
    start = datetime.now(formatting.OFFICE_ZONE).date() + timedelta(days=40)
    with httpx.Client(base_url=gateway.url, timeout=30) as api:
        leave = api.post(
            "/api/v1/leaves",
            json={
                "leave_type": "vacation",
                "start_date": start.isoformat(),
                "end_date": start.isoformat(),
                "reason": f"keyboard {people['marker']}",
            },
            headers=people["hana"]["headers"],
        )
        assert leave.status_code == 201, leave.text
    page = _signed_in(browser, gateway, people["jude"]["username"], DESKTOP)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # "Skip to the content"
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to Waiting for my decision")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Waiting for my decision")).to_be_focused()
    item = page.locator(f'li[data-leave-id="{leave.json()["id"]}"]')
    approve = item.get_by_role("button", name="Approve")
    for _ in range(12):
        page.keyboard.press("Tab")
        if approve.evaluate("node => node === document.activeElement"):
            break
    expect(approve).to_be_focused()
    page.keyboard.press("Enter")

    toast = page.get_by_role("status")
    expect(toast).to_have_text("Leave request approved")
    expect(toast).to_be_focused()
    page.screenshot(path=str(SCREENSHOTS / "home-after-approve-keyboard.png"))
    page.keyboard.press("Tab")
    expect(skip).to_be_focused()
    page.context.close()
