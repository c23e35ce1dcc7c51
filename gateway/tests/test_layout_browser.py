"""The layout of every page (base.html) in a real browser (Debian's Chromium): the menu folds
behind a "Menu" button on a phone and opens and closes by keyboard, it is plain on a desktop,
and the status area says what `?saved=` names (never the query's own text). That every page
fits a phone and passes axe-core: test_pages_formatting.py walks them all."""

from __future__ import annotations

from gateway_helpers import ADMIN_PASSWORD, DESKTOP, PHONE, ServedApp, signed_in_page
from playwright.sync_api import Browser, Page, expect

FRONTS_CALENDAR = True  # the conftest gateway fronts the calendar service too


def _signed_in(
    browser: Browser, gateway: ServedApp, viewport: dict[str, int], **options: object
) -> Page:
    return signed_in_page(browser, gateway.url, "admin", ADMIN_PASSWORD, viewport, **options)


def test_the_menu_folds_on_a_phone_and_works_by_keyboard(browser: Browser, gateway: ServedApp):
    page = _signed_in(browser, gateway, PHONE)
    menu = page.get_by_role("button", name="Menu")
    links = page.get_by_role("navigation", name="Main")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(links).to_be_hidden()

    menu.focus()
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(links.get_by_role("link", name="Resources")).to_be_visible()
    page.keyboard.press("Tab")  # into the menu, then out of it with Escape
    expect(links.get_by_role("link", name="Home")).to_be_focused()
    page.keyboard.press("Escape")
    expect(links).to_be_hidden()
    expect(menu).to_be_focused()
    page.keyboard.press("Space")
    links.get_by_role("link", name="Resources").click()
    expect(page.get_by_role("heading", name="Resources and bookings")).to_be_visible()
    assert page.get_by_role("status").count() == 0  # no message without `?saved=`
    page.context.close()


def test_the_menu_is_plain_on_a_desktop(browser: Browser, gateway: ServedApp):
    page = _signed_in(browser, gateway, DESKTOP)
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    expect(page.get_by_text("Administrator (Admin)", exact=True)).to_be_visible()
    expect(
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Leave")
    ).to_be_visible()
    page.context.close()


def test_the_status_area_says_what_worked_in_words_of_its_own(browser: Browser, gateway: ServedApp):
    page = _signed_in(browser, gateway, DESKTOP)
    status = page.locator("#toast[role=status]")
    page.goto("/oobc-management/staff/tasks/?saved=deleted")
    expect(status).to_have_text("Task deleted")
    page.goto("/oobc-management/staff/tasks/?saved=<b>you+were+hacked</b>")
    expect(status).to_be_empty()
    expect(page.get_by_text("you were hacked")).to_have_count(0)
    page.evaluate("window.obcmsToast('Event moved')")
    expect(status).to_have_text("Event moved")
    page.context.close()


def test_a_phone_menu_closes_beside_itself_and_its_controls_fit_a_finger(
    browser: Browser, gateway: ServedApp
):
    """The open menu stayed open under a tap beside it; list buttons were 21 px tall; what
    a page said on arrival stayed stuck over the top of the screen while scrolling."""
    page = _signed_in(browser, gateway, PHONE, has_touch=True, is_mobile=True)
    menu = page.get_by_role("button", name="Menu")
    menu.tap()
    expect(menu).to_have_attribute("aria-expanded", "true")
    page.locator("main h1").tap()
    expect(menu).to_have_attribute("aria-expanded", "false")

    page.goto("/oobc-management/staff/tasks/new/")
    page.locator("form[data-task-form] input[name=title]").fill("Call the venue")
    page.locator("form[data-task-form] button[type=submit]").tap()
    expect(page.locator("#toast")).to_have_text("Task created")
    page.goto("/oobc-management/staff/tasks/?saved=deleted")
    for control in (
        page.locator("main button.small").first,
        page.locator("main tbody input[type=checkbox]").first,
    ):
        box = control.bounding_box()
        assert box is not None
        assert box["height"] >= 24, box
    button = page.locator("main button.small").first.bounding_box()
    assert button is not None
    assert button["height"] >= 44, button
    status = page.locator("#toast")
    assert status.evaluate("node => getComputedStyle(node).position") == "static"
    page.evaluate("window.obcmsToast('Task completed')")
    assert status.evaluate("node => getComputedStyle(node).position") == "sticky"
    page.context.close()


def test_the_export_menu_closes_with_escape(browser: Browser, gateway: ServedApp):
    page = _signed_in(browser, gateway, DESKTOP)
    page.goto("/oobc-management/staff/tasks/")
    menu = page.locator("details.export-menu")
    menu.locator("summary").click()
    expect(menu).to_have_attribute("open", "")
    page.keyboard.press("Escape")
    expect(menu).not_to_have_attribute("open", "")
    expect(menu.locator("summary")).to_be_focused()
    page.context.close()
