"""The needs prioritisation board (/oobc-management/portfolio/needs/priorities/): its texts in
words (each score's reasons, the PPAs addressing a need, the summary of high-priority needs
no PPA addresses), moves by a manager confirmed on the page, a stale or invalid move and a
staff member's refused with the reason, the export in the board's order; and in Chromium, a
manager moving a need up and back down by keyboard alone, axe-core and 390 px
(test-artifacts/screenshots/priorities-*.png)."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from gateway_helpers import (
    ADMIN_PASSWORD,
    DESKTOP,
    SCREENSHOTS,
    USER_PASSWORD,
    ServedApp,
    browser_session,
    check_page,
    create_user,
    signed_in,
    submit,
    token_for,
    visible_text,
)
from playwright.sync_api import Browser, Page, expect

BOARD = "/oobc-management/portfolio/needs/priorities/"


@pytest.fixture(scope="module")
def people(gateway: ServedApp) -> dict[str, Any]:
    """A staff member and a manager, with their API tokens."""
    with httpx.Client(base_url=gateway.url, timeout=30) as client:
        admin = token_for(client, "admin", ADMIN_PASSWORD)
        found: dict[str, Any] = {}
        for role in ("staff", "manager"):
            user = create_user(client, admin, role)
            found[role] = {**user, "headers": token_for(client, user["username"], USER_PASSWORD)}
        return found


@pytest.fixture
def community(gateway: ServedApp, people: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Three needs of a community of their own (the board filtered to it shows only them):
    Water (immediate, covered by a PPA), Road (short term) and Fence (long term), with Fence
    ranked above Road by the manager."""
    name = f"Barangay {uuid.uuid4().hex[:8]}"
    manager = people["manager"]["headers"]
    with httpx.Client(base_url=gateway.url, timeout=30) as api:
        ppa = api.post(
            "/api/v1/ppas",
            json={"title": f"Water system of {name}", "category": "oobc_ppa"},
            headers=manager,
        ).json()
        needs = {}
        for title, urgency, severity, ppa_ids in (
            ("Water", "immediate", 5, [ppa["id"]]),
            ("Road", "short_term", 4, []),
            ("Fence", "long_term", 1, []),
        ):
            body = {
                "title": f"{title} {name}",
                "community": name,
                "urgency_level": urgency,
                "impact_severity": severity,
                "affected_population": 2_500,
                "ppa_ids": ppa_ids,
            }
            created = api.post("/api/v1/needs", json=body, headers=manager)
            assert created.status_code == 201, created.text
            needs[title] = created.json()
        for title in ("Fence", "Road"):
            moved = api.put(
                f"/api/v1/needs/{needs[title]['id']}/rank",
                json={"rank": 1},
                headers={**manager, "If-Match": "*"},
            )
            assert moved.status_code == 200, moved.text
        # Road, ranked last, went first: Road 1, Fence 2.
        yield {"name": name, "ppa": ppa, "needs": needs}
        for need in needs.values():
            api.delete(f"/api/v1/needs/{need['id']}", headers=manager)


def _rows(client: httpx.Client, name: str) -> list[str]:
    """The board's need titles, in order, filtered to the community `name`."""
    page = client.get(BOARD, params={"community": name})
    assert page.status_code == 200, page.text
    text = visible_text(page.text)
    titles = [word for word in ("Water", "Road", "Fence") if f"{word} {name}" in text]
    return sorted(titles, key=lambda word: text.index(f"{word} {name}"))


def test_the_board_explains_each_score_and_its_coverage(
    make_client, people: dict[str, Any], community: dict[str, Any]
):
    staff = signed_in(make_client(), people["staff"]["username"])
    name = community["name"]
    page = staff.get(BOARD, params={"community": name})
    assert page.status_code == 200, page.text
    text = visible_text(page.text)

    assert _rows(staff, name) == ["Road", "Fence", "Water"]
    assert (
        "Immediate urgency +40, severity 5/5 +30, medium feasibility +8, 2,500 people +13" in text
    )
    assert "Long term urgency +5, severity 1/5 +6" in text
    assert community["ppa"]["title"] in text
    assert "No PPA" in text
    # Road (30 + 24 + 8 + 13) and Water are high priority; Water has a PPA, Road none.
    assert "1 of the 2 high-priority needs (score 60 or more) is addressed by no PPA" in text
    assert "3 needs shown, 2 of them ranked by a manager" in text
    # Staff see no move buttons.
    assert "Move to" not in text
    assert "Prioritisation board" in visible_text(
        staff.get("/oobc-management/portfolio/needs/").text
    )
    assert "needs prioritisation board" in visible_text(
        staff.get("/oobc-management/portfolio/").text
    )

    uncovered = visible_text(
        staff.get(BOARD, params={"community": name, "addressed": "false"}).text
    )
    assert f"Water {name}" not in uncovered
    assert f"Road {name}" in uncovered


def test_moves_are_confirmed_and_refusals_say_why(
    gateway: ServedApp, make_client, people: dict[str, Any], community: dict[str, Any]
):
    name = community["name"]
    fence = community["needs"]["Fence"]
    url = f"{BOARD}{fence['id']}/rank/"
    manager = signed_in(make_client(), people["manager"]["username"])
    with httpx.Client(base_url=gateway.url, timeout=30) as api:
        current = api.get(
            f"/api/v1/needs/{fence['id']}", headers=people["manager"]["headers"]
        ).json()
    back = {"back_community": name}

    moved = submit(manager, url, {"rank": "1", "version": str(current["version"]), **back})
    assert moved.status_code == 303, moved.text
    assert moved.headers["location"].startswith(f"{BOARD}?community=")
    shown = manager.get(moved.headers["location"])
    assert f"“Fence {name}” is now rank 1" in visible_text(shown.text)
    assert _rows(manager, name) == ["Fence", "Road", "Water"]

    stale = submit(manager, url, {"rank": "2", "version": str(current["version"]), **back})
    assert stale.status_code == 412
    assert "Changed by someone else:" in visible_text(stale.text)
    invalid = submit(manager, url, {"rank": "first", "version": "", **back})
    assert invalid.status_code == 422
    assert "enter a whole number, 1 or more" in visible_text(invalid.text)

    staff = signed_in(make_client(), people["staff"]["username"])
    refused = submit(staff, url, {"rank": "", "version": "", **back})
    assert refused.status_code == 403
    assert "Not allowed:" in visible_text(refused.text)
    assert _rows(manager, name) == ["Fence", "Road", "Water"]

    export = manager.get(f"{BOARD}export/", params={"community": name, "format": "csv"})
    assert export.status_code == 200, export.text
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert [row["Title"].split()[0] for row in rows] == ["Fence", "Road", "Water"]
    assert [row["Rank"] for row in rows] == ["1", "2", ""]
    assert rows[2]["Priority score (0-100)"] == "91"


@pytest.fixture
def manager_page(browser: Browser, gateway: ServedApp, people: dict[str, Any]) -> Iterator[Page]:
    with browser_session(
        browser, gateway.url, people["manager"]["username"], USER_PASSWORD, DESKTOP
    ) as page:
        yield page


def test_a_manager_moves_a_need_up_and_back_by_keyboard(
    manager_page: Page, community: dict[str, Any]
):
    page = manager_page
    name = community["name"]
    page.goto(f"{BOARD}?community={name.replace(' ', '+')}")
    titles = page.locator("table.priorities tbody tr td:nth-child(2)")
    expect(titles).to_have_text([f"Road {name}", f"Fence {name}", f"Water {name}"])

    # Tab from the filter button to Fence's first move button, and press it.
    up = page.get_by_role("button", name=f"Move “Fence {name}” up")
    page.get_by_role("button", name="Filter").focus()
    for _ in range(40):
        page.keyboard.press("Tab")
        if up.evaluate("button => button === document.activeElement"):
            break
    expect(up).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.locator("#toast")).to_have_text(f"“Fence {name}” is now rank 1")
    expect(titles).to_have_text([f"Fence {name}", f"Road {name}", f"Water {name}"])
    # The moved need's next move has the focus: Enter moves it back down.
    down = page.get_by_role("button", name=f"Move “Fence {name}” down")
    expect(down).to_be_focused()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "priorities-moved-up.png", full_page=True)
    page.keyboard.press("Enter")
    expect(page.locator("#toast")).to_have_text(f"“Fence {name}” is now rank 2")
    expect(titles).to_have_text([f"Road {name}", f"Fence {name}", f"Water {name}"])
    check_page(page, "priorities-board")
