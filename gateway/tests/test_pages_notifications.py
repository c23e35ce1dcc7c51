"""The notifications pages: the inbox grouped by day with mark read / all read, the bell's
count rising and falling in a real browser, the preferences form with its errors beside the
fields and its version, record links that land on the record's page, and the development
mailbox."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import smtplib
import uuid
from collections.abc import Callable, Iterator, Sequence
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from gateway_helpers import (
    ADMIN_PASSWORD,
    DESKTOP,
    USER_PASSWORD,
    browser_session,
    check_page,
    create_user,
    signed_in,
    submit,
    token_for,
)
from playwright.sync_api import Browser, expect

from notifications_service.db import load_models
from notifications_service.delivery.service import send_due
from notifications_service.events import handlers
from notifications_service.settings import NotificationsSettings
from obcms_platform.bus import Event
from obcms_platform.contracts import TASK_CREATED, USER_CHANGED, TaskChanged, UserChanged
from obcms_platform.db import Database
from obcms_platform.mailcatcher import MailCatcher
from obcms_platform.unsubscribe import DEV_UNSUBSCRIBE_SECRET, unsubscribe_link
from obcms_platform.vocabulary import NotificationKind

FRONTS_NOTIFICATIONS = True
INBOX = "/notifications/"
PREFERENCES = "/notifications/preferences/"


@pytest.fixture(scope="module")
def inboxes(notifications_database: str) -> Iterator[Callable[..., list[str]]]:
    """Fills a person's inbox the way the bus does: their account, then tasks assigned to
    them (one notification each); returns the task ids."""
    load_models()
    database = Database(notifications_database, pool_size=1)
    table = handlers(NotificationsSettings(database_url=notifications_database))

    def handle(contract: Any, payload: Any, subject: uuid.UUID) -> None:
        event = Event.new(contract.name, producer="test", subject_id=subject, data=payload.data())
        with database.session() as session:
            table[event.type](session, event)
            session.commit()

    def assign(person: dict[str, Any], *titles: str, task_ids: Sequence[str] = ()) -> list[str]:
        """`task_ids`: the tasks' ids when they are real (one per title), else made up."""
        user_id = uuid.UUID(person["id"])
        handle(
            USER_CHANGED,
            UserChanged(
                user_id=user_id,
                full_name=person.get("full_name") or "Amina Kusain",
                email="amina@example.org",
                role=person["role"],
                active=True,
                version=1,
            ),
            user_id,
        )
        ids = []
        for title, given in itertools.zip_longest(titles, task_ids):
            task_id = uuid.UUID(given) if given else uuid.uuid4()
            handle(
                TASK_CREATED,
                TaskChanged(
                    task_id=task_id,
                    title=title,
                    status="not_started",
                    due_date=dt.date(2031, 3, 14),
                    assignee_ids=[user_id],
                    version=1,
                ),
                task_id,
            )
            ids.append(str(task_id))
        return ids

    yield assign
    database.dispose()


@pytest.fixture
def person(make_client: Callable[[], httpx.Client]) -> dict[str, Any]:
    admin = token_for(make_client(), "admin", ADMIN_PASSWORD)
    return create_user(make_client(), admin, "staff")


def test_the_inbox_groups_by_day_and_marks_read(
    make_client: Callable[[], httpx.Client],
    person: dict[str, Any],
    inboxes: Callable[..., list[str]],
) -> None:
    inboxes(person, "Draft the work plan", "Book the venue")
    client = signed_in(make_client(), person["username"])
    page = client.get(INBOX)
    assert page.status_code == 200, page.text
    assert "2 unread" in page.text
    assert "Today" in page.text
    assert "A colleague assigned you \u201cBook the venue\u201d" in page.text
    assert "Due Fri 14 Mar 2031." in page.text
    assert page.text.index("Book the venue") < page.text.index("Draft the work plan")

    listed = client.get(
        "/api/v1/notifications", headers=token_for(make_client(), person["username"], USER_PASSWORD)
    )
    first = listed.json()["items"][0]["id"]
    marked = submit(client, f"{INBOX}{first}/read/", {"unread": ""})
    assert marked.status_code == 303
    assert marked.headers["location"] == f"{INBOX}?done=read"
    after = client.get(marked.headers["location"])
    assert "Marked as read" in after.text
    assert "1 unread" in after.text
    assert client.get(f"{INBOX}count.json").json() == {"unread": 1}
    assert "Draft the work plan" in client.get(f"{INBOX}?unread=1").text
    assert "Book the venue" not in client.get(f"{INBOX}?unread=1").text

    everything = submit(client, f"{INBOX}read-all/", {"unread": "1"})
    assert everything.headers["location"] == f"{INBOX}?unread=1&done=all_read"
    done = client.get(everything.headers["location"])
    assert "All marked as read" in done.text
    assert "Nothing unread" in done.text
    assert client.get(f"{INBOX}count.json").json() == {"unread": 0}


def test_opening_a_notification_marks_it_read_and_lands_on_its_record(
    make_client: Callable[[], httpx.Client],
    person: dict[str, Any],
    inboxes: Callable[..., list[str]],
) -> None:
    [task_id] = inboxes(person, "Review the MOA")
    client = signed_in(make_client(), person["username"])
    headers = token_for(make_client(), person["username"], USER_PASSWORD)
    [item] = client.get("/api/v1/notifications", headers=headers).json()["items"]
    # The title is a link (a new tab, a copied address): following it marks it read.
    assert f'<a class="open" href="{INBOX}{item["id"]}/open/">' in client.get(INBOX).text
    opened = client.get(f"{INBOX}{item['id']}/open/")
    assert opened.headers["location"] == f"/go/task/{task_id}"
    assert client.get(f"{INBOX}{item['id']}/open/").headers["location"] == f"/go/task/{task_id}"
    landed = client.get(opened.headers["location"])
    assert landed.status_code == 303
    assert landed.headers["location"] == f"/oobc-management/staff/tasks/{task_id}/"
    # The tasks service has no such task (as after a deletion since the message): the page
    # says so in words and where to look, not "task <uuid> not found".
    gone = client.get(landed.headers["location"])
    assert gone.status_code == 404
    assert "This task is not here any more" in gone.text
    assert "It may have been deleted" in gone.text
    assert '<a href="/oobc-management/staff/tasks/">Open the task list</a>' in gone.text
    assert task_id not in gone.text
    assert client.get(f"{INBOX}count.json").json() == {"unread": 0}
    # Another person cannot mark it; an unknown kind of record is no page.
    other = create_user(make_client(), token_for(make_client(), "admin", ADMIN_PASSWORD))
    stranger = signed_in(make_client(), other["username"])
    assert submit(stranger, f"{INBOX}{item['id']}/unread/").status_code == 403
    assert stranger.get(f"{INBOX}{item['id']}/open/").status_code == 403
    assert client.get(f"/go/spaceship/{task_id}").status_code == 404
    # A link to one occurrence of a repeating event opens it; a query that is not a day, or
    # that is not an event's, is left out.
    event_id = str(uuid.uuid4())
    one = client.get(f"/go/event/{event_id}?occurrence=2026-12-16")
    assert (
        one.headers["location"]
        == f"/oobc-management/calendar/events/{event_id}/?occurrence=2026-12-16"
    )
    odd = client.get(f"/go/event/{event_id}?occurrence=<script>")
    assert odd.headers["location"] == f"/oobc-management/calendar/events/{event_id}/"
    task_day = client.get(f"/go/task/{task_id}?occurrence=2026-12-16")
    assert task_day.headers["location"] == f"/oobc-management/staff/tasks/{task_id}/"
    # Signed out, a link from an email goes through the login page and back.
    signed_out = make_client().get(f"/go/task/{task_id}")
    assert signed_out.status_code in {302, 303}
    assert "next=/go/task/" in httpx.URL(signed_out.headers["location"]).query.decode().replace(
        "%2F", "/"
    )


def test_preferences_are_saved_with_their_version_and_errors_beside_the_fields(
    make_client: Callable[[], httpx.Client], person: dict[str, Any]
) -> None:
    client = signed_in(make_client(), person["username"])
    page = client.get(PREFERENCES)
    assert page.status_code == 200
    assert 'value="07:30"' in page.text
    assert "A task is assigned to me" in page.text
    assert "Inbox and email (default)" in page.text
    form = {
        "version": "0",
        "digest_time": "06:45",
        "event_lead_minutes": "15",
        "quiet_start": "",
        "quiet_end": "",
        "channel_task_assigned": "email",
        "channel_task_due_soon": "off",
    }
    saved = submit(client, PREFERENCES, form)
    assert saved.status_code == 303, saved.text
    shown = client.get(saved.headers["location"])
    assert "Preferences saved" in shown.text
    assert 'value="06:45"' in shown.text
    assert '<option value="email" selected>' in shown.text
    # Half a quiet period: the error stands beside the missing input, what was typed stays.
    refused = submit(client, PREFERENCES, {**form, "version": "1", "quiet_start": "22:00"})
    assert refused.status_code == 422
    assert 'id="f-quiet_end-error"' in refused.text
    quiet_end = re.search(r'<input name="quiet_end"[^>]*>', refused.text)
    assert quiet_end is not None
    assert 'aria-invalid="true"' in quiet_end.group()
    assert 'aria-describedby="f-quiet_end-error"' in quiet_end.group()
    assert 'value="22:00"' in refused.text
    # A second tab still at version 0.
    stale = submit(client, PREFERENCES, {**form, "digest_time": "09:00"})
    assert stale.status_code == 412
    assert "Someone changed your preferences meanwhile" in stale.text


def test_the_development_mailbox_shows_what_was_caught(
    make_client: Callable[[], httpx.Client], gateway: Any, person: dict[str, Any]
) -> None:
    settings = gateway.server.config.app.state.settings
    catcher = MailCatcher(settings.dev_mailbox_dir).start()
    try:
        message = EmailMessage()
        message["From"], message["To"] = "OBCMS <obcms@localhost>", "amina@example.org"
        message["Subject"] = "Your OBCMS digest: 2 items"
        message["Date"] = "Mon, 07 Dec 2026 16:40:00 +0000"
        message.set_content("\u201cBook the venue\u201d is due in 2 days")
        with smtplib.SMTP(catcher.host, catcher.port) as smtp:
            smtp.send_message(message)
    finally:
        catcher.stop()
    page = signed_in(make_client(), person["username"]).get("/dev/mailbox/")
    assert page.status_code == 200
    assert "Your OBCMS digest: 2 items" in page.text
    assert "\u201cBook the venue\u201d is due in 2 days" in page.text
    assert "Tue 8 Dec 2026, 00:40" in page.text  # when it was sent, in the reader's time


def test_the_bell_counts_unread_in_the_browser_and_the_pages_pass_axe(
    browser: Browser,
    gateway: Any,
    person: dict[str, Any],
    inboxes: Callable[..., list[str]],
) -> None:
    inboxes(person, "Draft the work plan", "Book the venue")
    with browser_session(browser, gateway.url, person["username"], USER_PASSWORD, DESKTOP) as page:
        bell = page.locator(".bell")
        expect(bell).to_have_attribute("aria-label", "Notifications, 2 unread")
        expect(bell.locator(".bell-count")).to_have_text("2")
        bell.click()
        expect(page).to_have_url(f"{gateway.url}{INBOX}")
        check_page(page, "notifications")
        page.get_by_role("button", name="Mark as read").first.click()
        expect(page.locator("#toast")).to_have_text("Marked as read")
        expect(bell).to_have_attribute("aria-label", "Notifications, 1 unread")
        page.get_by_role("button", name="Mark all as read").click()
        expect(bell.locator(".bell-count")).to_be_hidden()
        expect(bell).to_have_attribute("aria-label", "Notifications")
        # A new assignment shows when the tab comes back (or within a minute).
        inboxes(person, "Prepare the briefing")
        page.reload()
        expect(bell.locator(".bell-count")).to_have_text("1")
        page.goto(PREFERENCES)
        check_page(page, "notification-preferences")
        page.get_by_label("Quiet hours from").fill("22:00")
        page.get_by_role("button", name="Save preferences").click()
        expect(page.locator("#f-quiet_end-error")).to_be_visible()
        check_page(page, "notification-preferences-error")


def test_a_notification_is_a_link_that_opens_in_a_new_tab_and_marks_it_read(
    browser: Browser,
    gateway: Any,
    person: dict[str, Any],
    make_client: Callable[[], httpx.Client],
    inboxes: Callable[..., list[str]],
) -> None:
    headers = token_for(make_client(), person["username"], USER_PASSWORD)
    task = make_client().post(
        "/api/v1/tasks",
        headers=headers,
        json={"title": "Review the MOA", "domain": "general", "assignee_ids": [person["id"]]},
    )
    assert task.status_code == 201, task.text
    [task_id] = inboxes(person, "Review the MOA", task_ids=[task.json()["id"]])
    inboxes(person, "Book the venue")
    with browser_session(browser, gateway.url, person["username"], USER_PASSWORD, DESKTOP) as page:
        page.goto(INBOX)
        link = page.get_by_role("link", name="A colleague assigned you \u201cReview the MOA\u201d")
        expect(link).to_have_attribute("href", re.compile(r"^/notifications/[0-9a-f-]{36}/open/$"))
        check_page(page, "notifications-links")
        # Opened in a new tab (a middle click, Ctrl+click): the task there, the inbox stays.
        with page.context.expect_page() as opened:
            link.click(modifiers=["Control"])
        tab = opened.value
        tab.wait_for_load_state()
        expect(tab).to_have_url(f"{gateway.url}/oobc-management/staff/tasks/{task_id}/")
        expect(tab.get_by_role("heading", name="Review the MOA")).to_be_visible()
        expect(page).to_have_url(f"{gateway.url}{INBOX}")
        page.reload()
        expect(page.locator(".notification.unread")).to_have_count(1)
        expect(page.locator(".notification.unread")).to_contain_text("Book the venue")
        expect(page.locator(".bell")).to_have_attribute("aria-label", "Notifications, 1 unread")


def _delivered(notifications_database: str, maildir: Path, *names: str) -> dict[str, list[Any]]:
    """Send what waits in the notifications service to a real SMTP catcher; the emails that
    arrived for each of `names` (other tests' people share the database)."""
    catcher = MailCatcher(maildir).start()
    database = Database(notifications_database, pool_size=1)
    try:
        settings = NotificationsSettings(
            database_url=notifications_database, smtp_host=catcher.host, smtp_port=catcher.port
        )
        send_due(database, settings, limit=1000)
        received = catcher.messages()
    finally:
        database.dispose()
        catcher.stop()
    return {
        name: [message for message in received if message["To"].startswith(f"{name} <")]
        for name in names
    }


def test_one_click_unsubscribe_stops_that_kind_of_email_for_that_person_only(
    make_client: Callable[[], httpx.Client],
    notifications_database: str,
    inboxes: Callable[..., list[str]],
    tmp_path: Path,
) -> None:
    admin = token_for(make_client(), "admin", ADMIN_PASSWORD)
    farida = create_user(make_client(), admin, "staff", "Farida Sangki")
    jamal = create_user(make_client(), admin, "staff", "Jamal Ampatuan")
    inboxes(farida, "Reserve the hall")
    inboxes(jamal, "Reserve the hall")
    first = _delivered(notifications_database, tmp_path / "first", "Farida Sangki")
    [email] = first["Farida Sangki"]
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    address = urlsplit(email["List-Unsubscribe"].removeprefix("<").removesuffix(">")).path
    assert address in email.get_body(("plain",)).get_content()

    # What a mail program sends (RFC 8058: url-encoded or multipart): no session, no CSRF
    # token; twice does no harm.
    mail_program = make_client()
    one_click = {"List-Unsubscribe": "One-Click"}
    for encoded in ({"data": one_click}, {"files": {"List-Unsubscribe": (None, "One-Click")}}):
        done = mail_program.post(address, **encoded)
        assert done.status_code == 200, done.text
        assert "Emails stopped" in done.text
        assert "no more emails when a task is assigned to me, for Farida Sangki" in done.text
        assert 'href="/notifications/preferences/"' in done.text

    inboxes(farida, "Print the programme")
    inboxes(jamal, "Print the programme")
    later = _delivered(
        notifications_database, tmp_path / "later", "Farida Sangki", "Jamal Ampatuan"
    )
    assert later["Farida Sangki"] == []
    assert [m["Subject"] for m in later["Jamal Ampatuan"]] == [
        "A colleague assigned you \u201cPrint the programme\u201d"
    ]
    # Only that kind changed, and it still reaches her inbox.
    farida_api = token_for(make_client(), farida["username"], USER_PASSWORD)
    kinds = {
        choice["kind"]: (choice["channel"], choice["default"])
        for choice in make_client()
        .get("/api/v1/notification-preferences", headers=farida_api)
        .json()["kinds"]
    }
    assert kinds.pop("task_assigned") == ("in_app", "both")
    assert all(channel == default for channel, default in kinds.values()), kinds
    inbox = make_client().get("/api/v1/notifications", headers=farida_api).json()["items"]
    assert "A colleague assigned you \u201cPrint the programme\u201d" in {
        item["title"] for item in inbox
    }
    jamal_api = token_for(make_client(), jamal["username"], USER_PASSWORD)
    jamal_kinds = make_client().get("/api/v1/notification-preferences", headers=jamal_api).json()
    assert all(choice["channel"] == choice["default"] for choice in jamal_kinds["kinds"])


def test_a_changed_or_foreign_unsubscribe_link_is_refused_with_a_page(
    make_client: Callable[[], httpx.Client], person: dict[str, Any]
) -> None:
    link = unsubscribe_link(
        DEV_UNSUBSCRIBE_SECRET, uuid.UUID(person["id"]), NotificationKind.TASK_ASSIGNED
    )
    another_kind = unsubscribe_link(
        DEV_UNSUBSCRIBE_SECRET, uuid.UUID(person["id"]), NotificationKind.MENTIONED
    )
    # The signature of one kind's link on another's, a changed signature, another secret's.
    payload, _, signature = link.rpartition(".")
    changed = [
        another_kind.rpartition(".")[0] + "." + signature,
        payload + "." + ("A" if signature[0] != "A" else "B") + signature[1:],
        unsubscribe_link("another deployment's secret", uuid.UUID(person["id"]), None),
        "/unsubscribe/nonsense",
    ]
    client = make_client()
    for address in changed:
        for method in ("GET", "POST"):
            refused = client.request(method, address, data={"List-Unsubscribe": "One-Click"})
            assert refused.status_code == 404, (method, address, refused.text)
            assert "This link does not work" in refused.text
            assert "Nothing was changed" in refused.text
    token = token_for(make_client(), person["username"], USER_PASSWORD)
    preferences = client.get("/api/v1/notification-preferences", headers=token).json()
    assert preferences["version"] == 0  # never changed


def test_the_unsubscribe_page_asks_first_and_passes_axe(
    browser: Browser,
    gateway: Any,
    person: dict[str, Any],
    make_client: Callable[[], httpx.Client],
) -> None:
    link = unsubscribe_link(
        DEV_UNSUBSCRIBE_SECRET, uuid.UUID(person["id"]), NotificationKind.EVENT_REMINDER
    )
    # Signed in (the button's form carries its CSRF token like every form; a mail program's
    # POST, with no session, needs none: the test above).
    with browser_session(browser, gateway.url, person["username"], USER_PASSWORD, DESKTOP) as page:
        page.goto(gateway.url + link)
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Stop emails when an event I attend is about to start?"
        )
        check_page(page, "unsubscribe")
        page.get_by_role("button", name="Stop these emails").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Emails stopped")
        expect(page.locator("main")).to_contain_text(
            "Done: no more emails when an event I attend is about to start"
        )
        check_page(page, "unsubscribe-done")
    token = token_for(make_client(), person["username"], USER_PASSWORD)
    preferences = make_client().get("/api/v1/notification-preferences", headers=token).json()
    [reminder] = [c for c in preferences["kinds"] if c["kind"] == "event_reminder"]
    assert (reminder["channel"], reminder["default"]) == ("in_app", "email")


def test_the_digest_link_stops_the_daily_digest_and_keeps_the_inbox(
    make_client: Callable[[], httpx.Client], person: dict[str, Any]
) -> None:
    link = unsubscribe_link(DEV_UNSUBSCRIBE_SECRET, uuid.UUID(person["id"]), None)
    asked = make_client().get(link)
    assert asked.status_code == 200
    assert "Stop daily digest emails?" in asked.text
    done = make_client().post(link, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    assert "no more daily digest emails" in done.text
    token = token_for(make_client(), person["username"], USER_PASSWORD)
    kinds = make_client().get("/api/v1/notification-preferences", headers=token).json()["kinds"]
    # What went out in the digest now waits in the inbox; what was emailed at once still is.
    for choice in kinds:
        expected = "in_app" if choice["default"] == "digest" else choice["default"]
        assert choice["channel"] == expected, choice
    assert {c["kind"] for c in kinds if c["default"] == "digest"} >= {"task_due_soon"}
