"""Comments and attachments on a PPA's page in a real browser (Debian's Chromium driven by
Playwright): a comment typed with "@" and a colleague chosen from the suggestions (by mouse
and by keyboard), posted; a PDF attached; both in the activity stream, newest first; the
colleague signs in and finds the mention under the bell. axe-core and the 390 px check on the
page with its new parts, screenshots (test-artifacts/screenshots/ppa-collaboration-*.png,
ppa-stream.png)."""

from __future__ import annotations

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
    token_for,
)
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import MetaData, select

from notifications_service.db import load_models
from notifications_service.events import handlers
from notifications_service.settings import NotificationsSettings
from obcms_platform.bus import Event
from obcms_platform.bus.tables import bus_tables
from obcms_platform.db import Database

FRONTS_NOTIFICATIONS = True
PPAS = "/oobc-management/portfolio/ppas/"
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
# What the notifications service learns from the bus for this test: the people, the comment.
RELAYED = ("user.changed", "comment.posted")


@pytest.fixture(scope="module")
def staff(gateway: ServedApp) -> dict[str, Any]:
    with httpx.Client(base_url=gateway.url, timeout=30) as client:
        admin = token_for(client, "admin", ADMIN_PASSWORD)
        marker = uuid.uuid4().hex[:6]
        people: dict[str, Any] = {"marker": marker}
        for key, full_name in (
            ("me", f"Nurhan Ali {marker}"),
            ("colleague", f"Farida Usman {marker}"),
        ):
            people[key] = {**create_user(client, admin, "staff", full_name), "full_name": full_name}
            people[key]["headers"] = token_for(client, people[key]["username"], USER_PASSWORD)
        return people


@pytest.fixture(scope="module")
def relay(
    gateway: ServedApp, portfolio_database: str, notifications_database: str
) -> Iterator[Any]:
    """Hands the notifications service what the gateway's and the portfolio's outboxes hold
    of `RELAYED` (the relay's job, done here in the test's own time)."""
    load_models()
    table = bus_tables(MetaData()).outbox
    gateway_url = gateway.server.config.app.state.settings.database_url
    sources = [Database(url, pool_size=1) for url in (gateway_url, portfolio_database)]
    target = Database(notifications_database, pool_size=1)
    react = handlers(NotificationsSettings(database_url=notifications_database))

    def deliver() -> None:
        for source in sources:
            with source.session() as session:
                rows = session.execute(
                    select(table.c.payload)
                    .where(table.c.event_type.in_(RELAYED))
                    .order_by(table.c.created_at)
                ).all()
            for row in rows:
                event = Event.model_validate(row.payload)
                with target.session() as session:
                    react[event.type](session, event)
                    session.commit()

    yield deliver
    for database in (*sources, target):
        database.dispose()


@pytest.fixture
def page(browser: Browser, gateway: ServedApp, staff: dict[str, Any]) -> Iterator[Page]:
    with browser_session(
        browser, gateway.url, staff["me"]["username"], USER_PASSWORD, DESKTOP
    ) as page:
        yield page


def _ppa(gateway: ServedApp, staff: dict[str, Any], title: str) -> dict[str, Any]:
    with httpx.Client(base_url=gateway.url, timeout=30) as client:
        created = client.post(
            "/api/v1/ppas",
            json={"title": title, "category": "moa_ppa"},
            headers=staff["me"]["headers"],
        )
    assert created.status_code == 201, created.text
    body: dict[str, Any] = created.json()
    return body


def test_mention_a_colleague_attach_a_pdf_and_see_both_in_the_stream(
    page: Page, browser: Browser, gateway: ServedApp, staff: dict[str, Any], relay: Any
):
    me, colleague = staff["me"], staff["colleague"]
    ppa = _ppa(gateway, staff, f"Road to Barangay {staff['marker']}")
    page.goto(f"{PPAS}{ppa['id']}/")

    # "@" and part of a first name: the colleague is offered; a click chooses them.
    box = page.get_by_label("Comment", exact=True)
    box.click()
    box.press_sequentially("Please review the budget, @Farida")
    suggestion = page.get_by_role("option", name=colleague["full_name"])
    expect(suggestion).to_be_visible()
    check_page(page, "ppa-comment-suggestions")
    suggestion.click()
    expect(box).to_have_value(f"Please review the budget, @{colleague['full_name']} ")
    box.press_sequentially("before Friday.")
    page.get_by_role("button", name="Post comment").click()
    expect(page.locator("#toast")).to_contain_text("Comment posted")
    stream = page.locator("[data-activity] > li")
    expect(stream.first).to_contain_text(f"{me['full_name']} commented")
    expect(stream.first).to_contain_text(f"@{colleague['full_name']} before Friday.")

    # A file past the limit is refused before it is sent, beside the input.
    too_large = PDF + b"0" * (10 * 1024 * 1024)
    page.get_by_label("Attach a file").set_input_files(
        files=[{"name": "Scan.pdf", "mimeType": "application/pdf", "buffer": too_large}]
    )
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("#attachment-error")).to_have_text(
        "“Scan.pdf” is larger than the limit of 10 MB"
    )
    expect(page.get_by_label("Attach a file")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("[data-attachments] li")).to_have_count(0)

    # Attach a PDF: listed in words, and the newest entry of the stream.
    page.get_by_label("Attach a file").set_input_files(
        files=[{"name": "Budget plan.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("#toast")).to_contain_text("File attached")
    listed = page.locator("[data-attachments] li")
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text("Budget plan.pdf")
    expect(listed).to_contain_text("PDF document")
    expect(stream.nth(0)).to_contain_text(f"{me['full_name']} attached “Budget plan.pdf”")
    expect(stream.nth(1)).to_contain_text(f"{me['full_name']} commented")
    expect(stream.nth(2)).to_contain_text(f"{me['full_name']} created it")
    with page.expect_download() as download:
        listed.get_by_role("link", name="Budget plan.pdf (download)").click()
    assert download.value.suggested_filename == "Budget plan.pdf"
    check_page(page, "ppa-collaboration")
    page.locator("#activity").screenshot(path=SCREENSHOTS / "ppa-stream.png")

    # The colleague finds the mention under the bell, linked to the PPA.
    relay()
    with browser_session(
        browser, gateway.url, colleague["username"], USER_PASSWORD, DESKTOP
    ) as theirs:
        bell = theirs.locator(".bell")
        expect(bell.locator(".bell-count")).to_have_text("1")
        bell.click()
        mention = theirs.locator("li.notification", has_text="mentioned you")
        expect(mention).to_contain_text(me["full_name"])
        expect(mention).to_contain_text(ppa["title"])
        check_page(theirs, "mention-notification")
        mention.locator("a.open").click()  # its title, a link
        expect(theirs.locator("h1")).to_have_text(ppa["title"])
        # At the comment that mentions them, not the top of a long page.
        assert theirs.evaluate("location.hash").startswith("#comment-")
        expect(theirs.locator(theirs.evaluate("location.hash"))).to_contain_text(
            colleague["full_name"]
        )
        expect(theirs.locator(theirs.evaluate("location.hash"))).to_be_in_viewport()
        at_comment = theirs.evaluate("location.hash")

    # The e-mail's link, opened signed out: through the login page, still to the comment.
    context = browser.new_context(base_url=gateway.url, viewport=DESKTOP)
    signed_out = context.new_page()
    signed_out.goto(f"/go/ppa/{ppa['id']}{at_comment}")
    signed_out.fill("input[name=username]", colleague["username"])
    signed_out.fill("input[name=password]", USER_PASSWORD)
    signed_out.click("button[type=submit]")
    expect(signed_out.locator("h1")).to_have_text(ppa["title"])
    assert signed_out.evaluate("location.hash") == at_comment
    context.close()


def test_choose_by_keyboard_and_a_refused_comment_keeps_its_text(
    page: Page, gateway: ServedApp, staff: dict[str, Any]
):
    colleague = staff["colleague"]
    ppa = _ppa(gateway, staff, f"Keyboard {staff['marker']}")
    page.goto(f"{PPAS}{ppa['id']}/")
    box = page.get_by_label("Comment", exact=True)
    box.click()
    box.press_sequentially("@Usman")
    # The answer for the whole text: only the colleague (the answer for "@U" had both).
    suggestions = page.get_by_role("listbox", name="People to mention").get_by_role("option")
    expect(suggestions).to_have_text([colleague["full_name"]])
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(box).to_have_value(f"@{colleague['full_name']} ")
    expect(box).to_be_focused()
    expect(page.locator(f'input[name=mention_ids][value="{colleague["id"]}"]')).to_have_count(1)
    # Escape closes the suggestions without choosing.
    box.press_sequentially("and @Nurhan")
    expect(page.get_by_role("listbox")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("listbox")).to_be_hidden()

    # Emptied and posted: refused beside the textarea, focus on it.
    box.fill("   ")
    page.get_by_role("button", name="Post comment").click()
    expect(page.locator("#comment-new-error")).to_have_text("Write the comment first")
    expect(page.get_by_label("Comment", exact=True)).to_be_focused()
    check_page(page, "ppa-comment-refused")
