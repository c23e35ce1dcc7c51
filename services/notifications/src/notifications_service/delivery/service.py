"""Email: queued in the sender's transaction, sent later over SMTP with retries.

Queueing writes a row (`OutgoingEmail`) beside the notification; `send_due` sends what is
due, one message per short transaction, marking it sent only once the server accepted it.
A failed attempt is retried with backoff; after the last it is kept as failed (and counted),
never dropped. A message's Message-ID is fixed by its row, so the rare resend after a crash
between the server's "accepted" and our commit is recognisable as the same message.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, select_autoescape
from prometheus_client import Counter
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from notifications_service.delivery.models import EmailState, OutgoingEmail
from notifications_service.kinds import Kind
from notifications_service.recipients.models import Recipient
from notifications_service.settings import NotificationsSettings
from obcms_platform.db import Database
from obcms_platform.unsubscribe import unsubscribe_link

logger = logging.getLogger(__name__)

SENT = Counter(
    "obcms_notifications_sent_total",
    "Notifications delivered, by channel and outcome (sent, retried, failed, stored).",
    ["channel", "outcome"],
)

_templates = Environment(
    loader=PackageLoader("notifications_service.delivery", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    keep_trailing_newline=True,
)


def render(name: str, **context: Any) -> tuple[str, str]:
    """The text and HTML parts of template `name` (``notification``, ``digest``)."""
    return (
        _templates.get_template(f"{name}.txt").render(**context),
        _templates.get_template(f"{name}.html").render(**context),
    )


def absolute(settings: NotificationsSettings, link: str) -> str:
    return f"{settings.public_url.rstrip('/')}{link}" if link else ""


def preferences_url(settings: NotificationsSettings) -> str:
    return absolute(settings, "/notifications/preferences")


def unsubscribe_url(settings: NotificationsSettings, user_id: uuid.UUID, kind: Kind | None) -> str:
    """The address that stops `user_id`'s email of `kind` (None: the daily digest)."""
    return absolute(settings, unsubscribe_link(settings.unsubscribe_secret, user_id, kind))


def after_quiet_hours(
    now: datetime, zone: ZoneInfo, quiet_start: time | None, quiet_end: time | None
) -> datetime:
    """`now`, or the end of the person's quiet hours when `now` falls inside them."""
    if quiet_start is None or quiet_end is None or quiet_start == quiet_end:
        return now
    local = now.astimezone(zone)
    clock = local.time().replace(tzinfo=None)
    if quiet_start < quiet_end:
        inside = quiet_start <= clock < quiet_end
        end_day = local.date()
    else:  # spans midnight: 22:00-06:00
        inside = clock >= quiet_start or clock < quiet_end
        end_day = local.date() + timedelta(days=1) if clock >= quiet_start else local.date()
    if not inside:
        return now
    return datetime.combine(end_day, quiet_end, tzinfo=zone).astimezone(UTC)


def queue(
    session: Session,
    recipient: Recipient,
    *,
    subject: str,
    parts: tuple[str, str],
    dedup_key: str,
    not_before: datetime,
    unsubscribe_url: str,
) -> bool:
    """Queue one email to `recipient` (False: one with this key was queued before, or the
    person has no address); `unsubscribe_url` stops email like it in one click."""
    if not recipient.email:
        return False
    text, html = parts
    queued = session.execute(
        insert(OutgoingEmail)
        .values(
            recipient_id=recipient.user_id,
            to_address=formataddr((recipient.full_name, recipient.email)),
            subject=subject[:300],
            text_body=text,
            html_body=html,
            unsubscribe_url=unsubscribe_url,
            dedup_key=dedup_key,
            next_attempt_at=not_before,
        )
        .on_conflict_do_nothing(constraint="uq_outgoing_emails__recipient_key")
        .returning(OutgoingEmail.id)
    ).first()
    return queued is not None


def message(settings: NotificationsSettings, email: OutgoingEmail) -> EmailMessage:
    built = EmailMessage()
    built["From"] = settings.mail_from
    built["To"] = email.to_address
    built["Subject"] = email.subject
    built["Message-ID"] = f"<{email.id}@obcms.notifications>"
    # When it leaves (RFC 5322 requires it; mail held over quiet hours is dated as it goes).
    built["Date"] = format_datetime(datetime.now(UTC))
    if email.unsubscribe_url:
        # RFC 2369 and RFC 8058: mail programs offer an "Unsubscribe" that POSTs
        # "List-Unsubscribe=One-Click" to the address, no sign-in needed.
        built["List-Unsubscribe"] = f"<{email.unsubscribe_url}>"
        built["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    built.set_content(email.text_body)
    built.add_alternative(email.html_body, subtype="html")
    return built


def _smtp(settings: NotificationsSettings) -> smtplib.SMTP:
    timeout = settings.smtp_timeout_seconds
    if settings.smtp_security == "tls":
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            settings.smtp_host,
            settings.smtp_port,
            timeout=timeout,
            context=ssl.create_default_context(),
        )
    else:
        client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
        if settings.smtp_security == "starttls":
            client.starttls(context=ssl.create_default_context())
    if settings.smtp_username:
        client.login(settings.smtp_username, settings.smtp_password.get_secret_value())
    return client


def retry_at(now: datetime, attempts: int, base_seconds: float) -> datetime:
    """Backoff: base, 2 x base, 4 x base ... capped at an hour."""
    return now + timedelta(seconds=min(base_seconds * 2 ** (attempts - 1), 3600.0))


@dataclass
class SendReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def send_due(
    database: Database,
    settings: NotificationsSettings,
    *,
    now: datetime | None = None,
    limit: int = 100,
) -> SendReport:
    """Send the emails due by `now`, at most `limit`; each in its own transaction, its row
    locked (SKIP LOCKED: two senders never take the same message)."""
    report = SendReport()
    if not settings.smtp_host:
        return report
    connection: smtplib.SMTP | None = None
    try:
        for _ in range(limit):
            with database.session() as session:
                email = session.scalars(
                    select(OutgoingEmail)
                    .where(
                        OutgoingEmail.state == EmailState.PENDING,
                        OutgoingEmail.next_attempt_at <= (now or datetime.now(UTC)),
                    )
                    .order_by(OutgoingEmail.next_attempt_at)
                    .limit(1)
                    .with_for_update(skip_locked=True)
                ).first()
                if email is None:
                    break
                email.attempts += 1
                try:
                    connection = connection or _smtp(settings)
                    connection.send_message(message(settings, email))
                except (OSError, smtplib.SMTPException) as exc:
                    _close(connection)
                    connection = None
                    email.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                    report.errors.append(email.last_error)
                    if email.attempts >= settings.email_max_attempts:
                        email.state = EmailState.FAILED
                        report.failed += 1
                        SENT.labels("email", "failed").inc()
                        logger.error("email %s given up: %s", email.id, email.last_error)
                    else:
                        email.next_attempt_at = retry_at(
                            datetime.now(UTC), email.attempts, settings.email_retry_base_seconds
                        )
                        report.retried += 1
                        SENT.labels("email", "retried").inc()
                        logger.warning("email %s not sent: %s", email.id, email.last_error)
                else:
                    email.state = EmailState.SENT
                    email.sent_at = datetime.now(UTC)
                    email.last_error = ""
                    report.sent += 1
                    SENT.labels("email", "sent").inc()
                session.commit()
                if report.retried or report.failed:
                    # The server is failing: leave the rest for the next round.
                    break
    finally:
        _close(connection)
    return report


def _close(connection: smtplib.SMTP | None) -> None:
    if connection is None:
        return
    try:
        connection.quit()
    except (OSError, smtplib.SMTPException):
        connection.close()
