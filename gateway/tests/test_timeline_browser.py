"""The timelines in a real browser (Debian's Chromium driven by Playwright), as a staff user:
dragging a milestone on the portfolio timeline moves its date (the API and the page's table
say the new day), another person's milestone is read-only, a drag of a milestone someone else
changed by someone else (412) is refused with a message that stays after the reload and the bar
back where it was; dragging a task on a PPA's timeline moves its due date. axe-core at desktop
and phone widths, no sideways scroll at 390 px, screenshots
(test-artifacts/screenshots/timeline-*.png)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
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
    ok,
    token_for,
)
from playwright.sync_api import Browser, Page, expect

from gateway_service.formatting import format_day

TIMELINE = "/oobc-management/portfolio/timeline/"
PPAS = "/api/v1/ppas"


@pytest.fixture(scope="module")
def people(gateway: ServedApp) -> dict[str, Any]:
    """Me (staff) and a manager, each with an API token."""
    with httpx.Client(base_url=gateway.url, timeout=30) as client:
        admin = token_for(client, "admin", ADMIN_PASSWORD)
        found: dict[str, Any] = {"marker": uuid.uuid4().hex[:6], "admin": admin}
        for key, role in (("me", "staff"), ("manager", "manager")):
            user = create_user(client, admin, role)
            found[key] = {**user, "headers": token_for(client, user["username"], USER_PASSWORD)}
        return found


@pytest.fixture
def api(gateway: ServedApp) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gateway.url, timeout=30) as client:
        yield client


@pytest.fixture
def page(browser: Browser, gateway: ServedApp, people: dict[str, Any]) -> Iterator[Page]:
    with browser_session(
        browser, gateway.url, people["me"]["username"], USER_PASSWORD, DESKTOP
    ) as page:
        yield page


def _ppa_with_milestone(
    api: httpx.Client, headers: dict[str, str], title: str, milestone: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    ppa = ok(
        api.post(
            PPAS,
            json={
                "title": title,
                "category": "oobc_ppa",
                "sector": "social",
                "start_date": "2027-01-04",
                "target_end_date": "2027-06-30",
            },
            headers=headers,
        )
    )
    created = ok(
        api.post(
            f"{PPAS}/{ppa['id']}/milestones",
            json={"title": milestone, "date": "2027-03-01"},
            headers=headers,
        )
    )
    return ppa, created


def _drag(page: Page, row_id: str, dx: float) -> None:
    """Drag the bar of chart row `row_id` by `dx` pixels, as a person does."""
    bar = page.locator(f'.bar-wrapper[data-id="{row_id}"] .bar')
    bar.scroll_into_view_if_needed()
    box = bar.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx, y, steps=12)
    page.mouse.up()


def _bar_x(page: Page, row_id: str) -> float:
    """Where the bar is drawn in the chart (whatever the chart's scroll)."""
    x = page.locator(f'.bar-wrapper[data-id="{row_id}"] .bar').get_attribute("x")
    assert x is not None
    return float(x)


def _drawn_box(page: Page, row_id: str) -> Any:
    """The bar's box on the screen once its growing-in animation has ended: frappe-gantt's
    bars grow from 0.1 s to 0.5 s of their chart's clock, and before 0.1 s a bar is drawn at
    its full width (so the width alone can match before the animation has even begun)."""
    bar = f'.bar-wrapper[data-id="{row_id}"] .bar'
    page.wait_for_function(
        """selector => {
            const bar = document.querySelector(selector);
            return bar !== null && bar.ownerSVGElement.getCurrentTime() > 0.6
                && Math.abs(bar.getBoundingClientRect().width - bar.width.baseVal.value) < 1;
        }""",
        arg=bar,
    )
    return page.locator(bar).bounding_box()


def _milestone(api: httpx.Client, headers: dict[str, str], ppa: dict[str, Any], mid: str) -> Any:
    milestones = ok(api.get(f"{PPAS}/{ppa['id']}/milestones", headers=headers), 200)
    return next(each for each in milestones if each["id"] == mid)


def test_dragging_a_milestone_moves_its_date_and_others_are_read_only(
    page: Page, api: httpx.Client, people: dict[str, Any]
):
    marker = people["marker"]
    mine, milestone = _ppa_with_milestone(
        api, people["me"]["headers"], f"Clinic {marker}", f"Groundbreaking {marker}"
    )
    _, theirs = _ppa_with_milestone(
        api, people["manager"]["headers"], f"School {marker}", f"Handover {marker}"
    )
    page.goto(f"{TIMELINE}?q={marker}&group_by=status")
    row = f"milestone-{milestone['id']}"
    expect(page.locator(f'.bar-wrapper[data-id="{row}"]')).to_have_class(
        "bar-wrapper tl-milestone tl-status-planned tl-movable"
    )
    expect(page.locator(f'.bar-wrapper[data-id="milestone-{theirs["id"]}"]')).to_have_class(
        "bar-wrapper tl-milestone tl-status-planned"
    )
    expect(page.locator(".tl-group .bar-label").first).to_have_text("Planning: 2 PPAs")
    table = page.locator(".timeline-table")
    expect(table).to_contain_text(f"Milestone: Groundbreaking {marker}")
    expect(table).to_contain_text("Mon 1 Mar 2027")
    expect(table.get_by_role("link", name=f"Clinic {marker}")).to_have_attribute(
        "href", f"/oobc-management/portfolio/ppas/{mine['id']}/"
    )
    check_page(page, "timeline-portfolio")

    # Someone else's milestone does not move.
    before = _bar_x(page, f"milestone-{theirs['id']}")
    _drag(page, f"milestone-{theirs['id']}", 80)
    assert _bar_x(page, f"milestone-{theirs['id']}") == before
    assert _milestone(api, people["manager"]["headers"], _, theirs["id"])["date"] == "2027-03-01"

    _drag(page, row, 150)
    expect(page.locator("#toast")).to_contain_text(f"“Groundbreaking {marker}” moved to")
    moved = _milestone(api, people["me"]["headers"], mine, milestone["id"])
    assert moved["date"] > "2027-03-01"
    assert moved["version"] == milestone["version"] + 1
    cell = page.locator(f'[data-row="{row}"][data-date-field="date"]')
    expect(cell).to_have_text(format_day(date.fromisoformat(moved["date"])))
    page.screenshot(path=str(_shot("timeline-portfolio-moved")), full_page=True)


def test_a_drag_after_someone_elses_change_is_refused_and_the_bar_goes_back(
    page: Page, api: httpx.Client, people: dict[str, Any]
):
    marker = people["marker"] + "b"
    mine, milestone = _ppa_with_milestone(
        api, people["me"]["headers"], f"Water {marker}", f"Survey {marker}"
    )
    page.goto(f"{TIMELINE}?q={marker}")
    row = f"milestone-{milestone['id']}"
    before = _bar_x(page, row)
    # The manager renames it meanwhile: the page's version is stale.
    ok(
        api.patch(
            f"{PPAS}/{mine['id']}/milestones/{milestone['id']}",
            json={"title": f"Household survey {marker}"},
            headers={**people["manager"]["headers"], "If-Match": f'"{milestone["version"]}"'},
        ),
        200,
    )
    _drag(page, row, 150)
    status = page.locator("#timeline-status")
    expect(status).to_contain_text("changed by someone else")
    # After the reload: the latest version, the bar where the record is, the reason kept.
    expect(page.locator(".timeline-table")).to_contain_text(f"Household survey {marker}")
    expect(status).to_be_visible()
    expect(status).to_contain_text(f"“Survey {marker}” was not moved")
    assert _bar_x(page, row) == before
    stored = _milestone(api, people["me"]["headers"], mine, milestone["id"])
    assert stored["date"] == "2027-03-01"
    page.screenshot(path=str(_shot("timeline-refused")), full_page=True)


def test_dragging_a_task_on_a_ppas_timeline_moves_its_due_date(
    page: Page, api: httpx.Client, people: dict[str, Any]
):
    marker = people["marker"] + "c"
    ppa, _ = _ppa_with_milestone(api, people["me"]["headers"], f"Road {marker}", "Survey")
    first = ok(
        api.post(
            "/api/v1/tasks",
            json={
                "title": f"Design {marker}",
                "start_date": "2027-02-01",
                "due_date": "2027-02-05",
                "related_ppa_id": ppa["id"],
                "assignee_ids": [people["me"]["id"]],
            },
            headers=people["admin"],
        )
    )
    task = ok(
        api.post(
            "/api/v1/tasks",
            json={
                "title": f"Tender {marker}",
                "due_date": "2027-02-10",
                "related_ppa_id": ppa["id"],
                "assignee_ids": [people["me"]["id"]],
                "depends_on": [first["id"]],
            },
            headers=people["admin"],
        )
    )
    page.goto(f"/oobc-management/portfolio/ppas/{ppa['id']}/")
    page.get_by_role("link", name="Timeline of its tasks").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Timeline of Road {marker}")
    expect(page.locator(".timeline-chart .arrow")).to_have_count(1)
    expect(page.locator(f'[data-row="{task["id"]}"][data-date-field="due_date"]')).to_have_text(
        "Wed 10 Feb 2027"
    )
    check_page(page, "timeline-ppa-tasks")

    _drag(page, task["id"], 150)
    expect(page.locator("#toast")).to_contain_text(f"“Tender {marker}” moved to")
    stored = ok(api.get(f"/api/v1/tasks/{task['id']}", headers=people["me"]["headers"]), 200)
    assert stored["due_date"] > "2027-02-10"
    assert stored["start_date"] is None  # a task with only a due date keeps only that
    expect(page.locator(f'[data-row="{task["id"]}"][data-date-field="due_date"]')).to_have_text(
        format_day(date.fromisoformat(stored["due_date"]))
    )


def test_by_month_bars_span_their_months_and_a_dragged_milestone_lands_on_the_dropped_day(
    page: Page, api: httpx.Client, people: dict[str, Any]
):
    marker = people["marker"] + "d"
    mine, milestone = _ppa_with_milestone(
        api, people["me"]["headers"], f"Bridge {marker}", f"Pouring {marker}"
    )
    page.goto(f"{TIMELINE}?q={marker}")
    # January to June opens by month.
    expect(page.get_by_role("button", name="Month", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    column = page.evaluate(
        "getComputedStyle(document.querySelector('.gantt-container'))"
        ".getPropertyValue('--gv-column-width')"
    )
    assert column == "120px"
    ppa_bar = _drawn_box(page, f"ppa-{mine['id']}")
    assert 5.5 * 120 < ppa_bar["width"] < 6.5 * 120  # six months drawn, not one column
    assert ppa_bar["height"] >= 26  # the bar fills its row (38 px), not a thin line

    # By month a drag snaps to weeks: 150 px is five weeks on, whatever the month's length.
    row = f"milestone-{milestone['id']}"
    before = _bar_x(page, row)
    _drag(page, row, 150)
    expect(page.locator("#toast")).to_contain_text(f"“Pouring {marker}” moved to Mon 5 Apr 2027")
    moved = _milestone(api, people["me"]["headers"], mine, milestone["id"])
    assert moved["date"] == "2027-04-05"
    expect(page.locator(f'[data-row="{row}"][data-date-field="date"]')).to_have_text(
        "Mon 5 Apr 2027"
    )
    # Drawn on its new day in the other scales too.
    page.get_by_role("button", name="Week", exact=True).click()
    page.get_by_role("button", name="Month", exact=True).click()
    assert _bar_x(page, row) > before
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(_shot("timeline-portfolio-month-phone")), full_page=True)


def _shot(name: str) -> Any:
    from gateway_helpers import SCREENSHOTS

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / f"{name}.png"
