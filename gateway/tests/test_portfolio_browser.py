"""The portfolio pages in a real browser (Debian's Chromium driven by Playwright), as a staff
user: a PPA form with two errors shows both beside their fields (aria-invalid, the first
focused) and takes "1,500,000" as a budget; deleting a PPA asks first; a need's PPAs are
linked and removed one at a time; a PPA's indicator, actual and status update are added on
its page; a stale need edit names who changed it; a PPA's coverage is picked by a barangay's
name, its tags and SDGs checked, shown in words and filtered by province. axe-core on the
pages at desktop and phone widths (no sideways scroll at 390 px), and screenshots
(test-artifacts/screenshots/portfolio-*.png)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from gateway_helpers import (
    ADMIN_PASSWORD,
    DESKTOP,
    PHONE,
    SCREENSHOTS,
    USER_PASSWORD,
    ServedApp,
    browser_session,
    check_page,
    ok,
    person,
    token_for,
)
from playwright.sync_api import Browser, Page, expect

PPAS = "/oobc-management/portfolio/ppas/"
NEEDS = "/oobc-management/portfolio/needs/"


@pytest.fixture(scope="module")
def people(gateway: ServedApp) -> dict[str, Any]:
    """Me (staff) and a manager who changes my records meanwhile, both with full names."""
    with httpx.Client(base_url=gateway.url, timeout=30) as client:
        admin = token_for(client, "admin", ADMIN_PASSWORD)
        marker = uuid.uuid4().hex[:6]
        found: dict[str, Any] = {"marker": marker}
        for key, role, full_name in (
            ("me", "staff", f"Nasser Ampatuan {marker}"),
            ("manager", "manager", f"Rohaida Sinsuat {marker}"),
        ):
            found[key] = person(client, admin, role, full_name)
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


def test_ppa_form_errors_amounts_and_delete_asks_first(page: Page, people: dict[str, Any]):
    marker = people["marker"]
    page.goto(PPAS + "new/")
    page.select_option("select[name=category]", "moa_ppa")
    page.fill("input[name=budget_allocation]", "abc")
    page.click("main button[type=submit]")

    title = page.locator("input[name=title]")
    budget = page.locator("input[name=budget_allocation]")
    expect(title).to_have_attribute("aria-invalid", "true")
    expect(budget).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#f-title-error")).to_have_text("Give the title")
    expect(page.locator("#f-budget_allocation-error")).to_have_text(
        "Budget allocation must be a number, e.g. 1,500,000"
    )
    expect(page.get_by_role("alert")).to_contain_text("Please correct the 2 fields marked below.")
    expect(title).to_be_focused()
    expect(budget).to_have_value("abc")  # what was typed stays
    check_page(page, "portfolio-ppa-form-errors")

    title.fill(f"Solar dryers {marker}")
    budget.fill("1,500,000")
    page.click("main button[type=submit]")
    expect(page.locator("#toast")).to_have_text("PPA created")
    expect(page.locator("#funding")).to_contain_text("1,500,000.00")
    ppa_url = page.url.split("?")[0]

    # Delete asks first; "Keep it" keeps the PPA, "Yes, delete" removes it.
    page.get_by_role("link", name="Delete PPA…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Delete the PPA “Solar dryers {marker}”?"
    )
    page.get_by_role("link", name="Keep it").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Solar dryers {marker}")
    page.get_by_role("link", name="Delete PPA…").click()
    page.get_by_role("button", name="Yes, delete").click()
    expect(page.locator("#toast")).to_have_text("PPA deleted")
    expect(page.get_by_role("heading", level=1)).to_have_text("Programs, projects and activities")
    assert page.request.get(ppa_url).status == 404


def test_need_links_one_at_a_time_and_a_stale_edit_names_who_changed(
    page: Page, api: httpx.Client, people: dict[str, Any]
):
    marker = people["marker"]
    me = people["me"]["headers"]
    kept, added = (
        ok(
            api.post(
                "/api/v1/ppas",
                json={"title": f"{title} {marker}", "category": "oobc_ppa"},
                headers=me,
            )
        )
        for title in ("Water system", "Hygiene kits")
    )
    need = ok(
        api.post(
            "/api/v1/needs",
            json={"title": f"Clean water {marker}", "ppa_ids": [kept["id"]], "community": "Tugaya"},
            headers=me,
        )
    )
    need_page = f"{NEEDS}{need['id']}/"
    links = page.locator("#ppas ul")
    page.goto(need_page)
    page.get_by_label("Link a PPA").select_option(label=f"Hygiene kits {marker}")
    page.get_by_role("button", name="Link PPA").click()
    expect(page.locator("#toast")).to_have_text("PPA linked")
    expect(links.get_by_role("link", name=f"Water system {marker}")).to_be_visible()
    expect(links.get_by_role("link", name=f"Hygiene kits {marker}")).to_be_visible()
    both = api.get(f"/api/v1/needs/{need['id']}", headers=me).json()["ppa_ids"]
    assert sorted(both) == sorted([kept["id"], added["id"]])
    check_page(page, "portfolio-need")

    page.get_by_role("button", name=f"Remove the link to Hygiene kits {marker}").click()
    expect(page.locator("#toast")).to_have_text("PPA unlinked")
    expect(links.get_by_role("link", name=f"Hygiene kits {marker}")).to_have_count(0)
    expect(links.get_by_role("link", name=f"Water system {marker}")).to_be_visible()
    stored = api.get(f"/api/v1/needs/{need['id']}", headers=me).json()
    assert stored["ppa_ids"] == [kept["id"]]

    # The PPA page lists the need, with its Remove button.
    links.get_by_role("link", name=f"Water system {marker}").click()
    needs = page.locator("#needs")
    expect(needs.get_by_role("link", name=f"Clean water {marker}")).to_be_visible()
    expect(
        needs.get_by_role("button", name=f"Remove the link to Clean water {marker}")
    ).to_be_visible()

    # M&E on the same page: an indicator, its first actual and a status update.
    add = page.locator("form[action$='/indicators/']")
    add.locator("input[name=name]").fill(f"Households served {marker}")
    add.locator("input[name=baseline]").fill("10")
    add.locator("input[name=target]").fill("110")
    add.locator("input[name=target_date]").fill("2026-12-31")
    add.get_by_role("button", name="Add indicator").click()
    expect(page.locator("#toast")).to_have_text("Indicator added")
    record = page.locator("form[action$='/actuals/']")
    record.get_by_label("Indicator").select_option(label=f"Households served {marker}")
    # Wrong in both fields (a period not over yet, fewer than no households): both at once.
    record.locator("input[name=period_end]").fill(f"{date.today() + timedelta(days=3)}")
    record.locator("input[name=value]").fill("-5")
    record.get_by_role("button", name="Record actual").click()
    expect(record.locator("#f-period_end-error")).to_contain_text("must not be in the future")
    expect(record.locator("#f-value-error")).to_contain_text("Value: cannot be negative")
    check_page(page, "portfolio-actual-refused")
    record.locator("select[name=indicator_id]").select_option(label=f"Households served {marker}")
    record.locator("input[name=period_end]").fill("2026-06-30")
    record.locator("input[name=value]").fill("60")
    record.get_by_role("button", name="Record actual").click()
    expect(page.locator("#toast")).to_have_text("Actual recorded")
    expect(page.locator("#indicators")).to_contain_text("50.0 %")
    update = page.locator("form[action$='/updates/']")
    update.locator("textarea[name=narrative]").fill(f"Pipes laid {marker}")
    update.get_by_role("button", name="Add update").click()
    expect(page.locator("#toast")).to_have_text("Status update added")
    log = page.locator("#updates")
    expect(log).to_contain_text(f"Pipes laid {marker}")
    expect(log).to_contain_text(f"by {people['me']['full_name']}")
    check_page(page, "portfolio-ppa")
    page.goto(need_page)

    # The manager changes the need while my edit form is open: my save is refused, kept.
    page.get_by_role("link", name="Edit need").click()
    changed = api.patch(
        f"/api/v1/needs/{need['id']}",
        json={"urgency_level": "immediate"},
        headers={**people["manager"]["headers"], "If-Match": f'"{stored["version"]}"'},
    )
    assert changed.status_code == 200, changed.text
    page.fill("input[name=title]", f"Clean water for 300 families {marker}")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("alert")).to_contain_text(
        f"This need was changed by {people['manager']['full_name']} since you opened it"
    )
    expect(page.locator("input[name=title]")).to_have_value(
        f"Clean water for 300 families {marker}"
    )
    assert api.get(f"/api/v1/needs/{need['id']}", headers=me).json()["title"] == (
        f"Clean water {marker}"
    )
    # The manager's change is in the form, where I changed nothing; what I changed alone is
    # kept as typed, with no "Now saved" beside it (that is said only where we both changed
    # an input). Saving again keeps both: nothing of the manager's is undone.
    urgency = page.locator("label", has=page.locator("select[name=urgency_level]"))
    expect(page.locator("select[name=urgency_level]")).to_have_value("immediate")
    expect(urgency.locator(".stored-now")).to_have_count(0)
    title = page.locator("label", has=page.locator("input[name=title]"))
    expect(title.locator(".stored-now")).to_have_count(0)
    page.screenshot(path=SCREENSHOTS / "portfolio-need-stale-desktop.png", full_page=True)
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#toast")).to_have_text("Need saved")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Clean water for 300 families {marker}"
    )
    expect(page.locator("dl.facts")).to_contain_text("Immediate")
    stored = api.get(f"/api/v1/needs/{need['id']}", headers=me).json()
    assert (stored["title"], stored["urgency_level"]) == (
        f"Clean water for 300 families {marker}",
        "immediate",
    )


def test_ppa_coverage_tags_and_sdgs_through_the_form(page: Page, api: httpx.Client, people):
    """The place picker finds a barangay by name; the tags and goals are checkboxes; the PPA
    page says them in words and the list finds the PPA by the barangay's province."""
    marker = people["marker"]
    page.goto(PPAS + "new/")
    page.fill("input[name=title]", f"Seaweed farming {marker}")
    page.select_option("select[name=category]", "oobc_ppa")
    picker = page.locator("label", has_text="Places covered").locator(".ts-control input")
    picker.fill("alonganan datu")
    page.locator(
        ".ts-dropdown .option", has_text="Alonganan, Datu Piang, Maguindanao del Sur"
    ).click()
    page.fill("input[name=beneficiaries_targeted]", "200")
    page.fill("input[name=budget_allocation]", "50,000")
    page.get_by_label("GAD-responsive").check()
    page.get_by_label("14 · Life below water").check()
    page.get_by_label("5 · Gender equality").check()
    check_page(page, "portfolio-ppa-record-form")
    page.click("main button[type=submit]")

    expect(page.locator("#toast")).to_have_text("PPA created")
    record = page.locator("#record")
    expect(record).to_contain_text("Alonganan, Datu Piang, Maguindanao del Sur (barangay)")
    expect(record).to_contain_text("GAD-responsive")
    expect(record).to_contain_text("SDG 5 · Gender equality; SDG 14 · Life below water")
    expect(record).to_contain_text("₱250.00")  # the cost per beneficiary
    check_page(page, "portfolio-ppa-record")
    ppa_id = page.url.split("?")[0].rstrip("/").rsplit("/", 1)[-1]
    stored = api.get(f"/api/v1/ppas/{ppa_id}", headers=people["me"]["headers"]).json()
    assert (stored["coverage"], stored["tags"], stored["sdgs"]) == (
        ["1908807001"],
        ["gad"],
        [5, 14],
    )

    page.goto(PPAS + f"?q={marker}")
    page.get_by_label("province").select_option(
        label="Maguindanao del Sur, Bangsamoro Autonomous Region In Muslim Mindanao (BARMM)"
    )
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("link", name=f"Seaweed farming {marker}")).to_be_visible()
    page.get_by_label("province").select_option(
        label="Basilan, Bangsamoro Autonomous Region In Muslim Mindanao (BARMM)"
    )
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("No PPAs match.")).to_be_visible()
    check_page(page, "portfolio-ppas-filtered")


# Each filter control's label: its own words (not its options'), or why it has none.
LABEL_WORDS = """form => [...form.querySelectorAll('select, input:not([type=hidden])')].map(
control => {
  const label = control.closest('label');
  const words = label ? [...label.childNodes]
    .filter(node => !(node instanceof Element && node.matches('select, input')))
    .map(node => node.textContent).join(' ').trim() : '';
  const shown = label && label.getBoundingClientRect().height > 0;
  return [control.name, shown ? words : ''];
})"""


def test_the_dashboard_timeline_and_list_filters_have_visible_labels(page: Page):
    """The filters were selects named only by their first option ("any region"): on a phone
    four of them stacked with nothing naming them. Each has its visible label, at both
    widths (the search box says "search" in it)."""
    for path, form in (
        ("/oobc-management/portfolio/", "form.filters"),
        ("/oobc-management/portfolio/timeline/", "form.filters"),
        (PPAS, "form.filters"),
    ):
        page.goto(path)
        for size in (PHONE, DESKTOP):
            page.set_viewport_size(size)
            labels = dict(page.locator(form).evaluate(LABEL_WORDS))
            unlabelled = [name for name, words in labels.items() if not words and name != "q"]
            assert unlabelled == [], f"{path} at {size['width']} px: {labels}"
        assert {"region", "province", "tag", "sdg"} <= set(labels)
    page.goto("/oobc-management/portfolio/timeline/")
    expect(page.get_by_role("combobox", name="Region", exact=True)).to_be_visible()
    check_page(page, "portfolio-timeline-filters")
    # The dashboard's charts redraw after a resize: its axe sweep loads it at each width
    # (test_pages_formatting); here, how its filters look at each.
    for size, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(viewport)
        page.goto("/oobc-management/portfolio/")
        page.screenshot(path=SCREENSHOTS / f"portfolio-dashboard-filters-{size}.png")
