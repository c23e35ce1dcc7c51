"""Email over a real SMTP server: text and HTML parts, retries with backoff while the server
refuses, nothing lost and nothing sent twice."""

from __future__ import annotations

import datetime as dt
import uuid
from email.utils import parsedate_to_datetime

import pytest
from pydantic import ValidationError
from sqlalchemy.orm import Session

from notifications_service.delivery.models import EmailState
from notifications_service.delivery.service import send_due
from notifications_service.kinds import Kind
from notifications_service.settings import NotificationsSettings
from obcms_platform.db import Database
from obcms_platform.mailcatcher import MailCatcher
from obcms_platform.settings import RunMode
from obcms_platform.testing.auth import new_key_pair
from obcms_platform.unsubscribe import Unsubscription, read_token

from .people import Person, assign_task, handle, outgoing


def _assign(session: Session, settings: NotificationsSettings, person: Person) -> uuid.UUID:
    return assign_task(session, settings, [person.user_id], "Book the venue")


def _smtp(settings: NotificationsSettings, server: MailCatcher) -> NotificationsSettings:
    return settings.model_copy(
        update={"smtp_host": server.host, "smtp_port": server.port, "email_retry_base_seconds": 60}
    )


def test_an_email_arrives_with_text_and_html_parts(
    session: Session, database: Database, settings: NotificationsSettings, smtp_server: MailCatcher
) -> None:
    amina = Person()
    handle(session, settings, amina.announced())
    task_id = _assign(session, settings, amina)
    report = send_due(database, _smtp(settings, smtp_server))
    assert report.sent == 1
    [received] = smtp_server.messages()
    assert received["To"] == "Amina Kusain <amina@example.org>"
    assert received["Subject"] == "A colleague assigned you \u201cBook the venue\u201d"
    # Dated as it left (RFC 5322): a mail client sorts and shows it by this.
    sent_at = parsedate_to_datetime(received["Date"])
    assert abs((dt.datetime.now(dt.UTC) - sent_at).total_seconds()) < 300
    assert f"/go/task/{task_id}" in received.get_body(("plain",)).get_content()
    # Whose clock its times are on (a colleague abroad reads theirs).
    assert "Times are Asia/Manila times." in received.get_body(("plain",)).get_content()
    assert (
        f'href="{settings.public_url}/go/task/{task_id}"'
        in received.get_body(("html",)).get_content()
    )
    assert send_due(database, _smtp(settings, smtp_server)).sent == 0  # nothing twice
    assert len(smtp_server.messages()) == 1


def test_an_email_offers_to_stop_emails_of_its_kind_in_one_click(
    session: Session, database: Database, settings: NotificationsSettings, smtp_server: MailCatcher
) -> None:
    """A mail program shows "Unsubscribe" (RFC 2369, RFC 8058) and the footer says what the
    same link stops; the link names this person and this kind, and no other."""
    amina, bai = Person(), Person(full_name="Bai Mangudadatu", email="bai@example.org")
    handle(session, settings, amina.announced(), bai.announced())
    assign_task(session, settings, [amina.user_id, bai.user_id], "Book the venue")
    assert send_due(database, _smtp(settings, smtp_server)).sent == 2
    received = {message["To"]: message for message in smtp_server.messages()}
    to_amina = received["Amina Kusain <amina@example.org>"]
    assert to_amina["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = to_amina["List-Unsubscribe"].removeprefix("<").removesuffix(">")
    assert url.startswith(f"{settings.public_url}/unsubscribe/")
    token = url.rpartition("/")[2]
    assert read_token(settings.unsubscribe_secret, token) == Unsubscription(
        amina.user_id, Kind.TASK_ASSIGNED
    )
    assert read_token("another deployment's secret", token) is None
    to_bai = received["Bai Mangudadatu <bai@example.org>"]
    assert to_bai["List-Unsubscribe"] != to_amina["List-Unsubscribe"]
    text = to_amina.get_body(("plain",)).get_content()
    assert f"Stop emails when a task is assigned to me: {url}" in text
    html = to_amina.get_body(("html",)).get_content()
    assert f'<a href="{url}">Stop emails when a task is assigned to me</a>' in html


def test_production_refuses_the_development_unsubscribe_secret() -> None:
    """Anyone could sign an unsubscribe link with the secret shipped in the code."""
    _, public = new_key_pair()
    with pytest.raises(
        ValidationError, match="OBCMS_NOTIFICATIONS_UNSUBSCRIBE_SECRET is the development default"
    ):
        NotificationsSettings(mode=RunMode.PRODUCTION, internal_token_public_key=public)
    NotificationsSettings(
        mode=RunMode.PRODUCTION, internal_token_public_key=public, unsubscribe_secret="s" * 64
    )


def test_a_refusing_server_gets_retries_with_backoff_and_nothing_is_lost(
    session: Session, database: Database, settings: NotificationsSettings, smtp_server: MailCatcher
) -> None:
    amina = Person()
    handle(session, settings, amina.announced())
    _assign(session, settings, amina)
    smtp_server.refusing = True
    first = send_due(database, _smtp(settings, smtp_server))
    assert (first.sent, first.retried) == (0, 1)
    assert "451" in first.errors[0]
    [email] = outgoing(session, amina)
    assert email.state == EmailState.PENDING
    assert email.attempts == 1
    waited = email.next_attempt_at - dt.datetime.now(dt.UTC)
    assert dt.timedelta(seconds=50) < waited <= dt.timedelta(seconds=60)
    # Not due yet: nothing is tried before the backoff ends.
    smtp_server.refusing = False
    assert send_due(database, _smtp(settings, smtp_server)).sent == 0
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=2)
    assert send_due(database, _smtp(settings, smtp_server), now=later).sent == 1
    assert len(smtp_server.messages()) == 1
    [email] = outgoing(session, amina)
    assert email.state == EmailState.SENT
    assert email.attempts == 2


def test_a_server_that_never_answers_ends_as_failed_after_the_last_attempt(
    session: Session, database: Database, settings: NotificationsSettings
) -> None:
    amina = Person()
    handle(session, settings, amina.announced())
    _assign(session, settings, amina)
    from obcms_platform.mailcatcher import free_port

    down = settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": free_port(), "email_max_attempts": 2}
    )
    far = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    assert send_due(database, down).retried == 1
    assert send_due(database, down, now=far).failed == 1
    [email] = outgoing(session, amina)
    assert email.state == EmailState.FAILED
    assert "Connection refused" in email.last_error
