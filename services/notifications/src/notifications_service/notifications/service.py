"""Turning what happened into notifications, per recipient and by their preferences; the
inbox of one person."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, func, select, tuple_, update
from sqlalchemy.dialects.postgresql import Insert, insert
from sqlalchemy.orm import Session

from notifications_service.delivery import service as delivery
from notifications_service.delivery.service import SENT
from notifications_service.kinds import EMAIL_AT_ONCE, IN_APP, KINDS, Channel, Kind
from notifications_service.notifications.models import Notification
from notifications_service.notifications.schemas import NotificationFilters
from notifications_service.preferences import service as preferences
from notifications_service.recipients import service as recipients
from notifications_service.recipients.models import Recipient
from notifications_service.settings import NotificationsSettings
from obcms_platform.errors import NotFoundError
from obcms_platform.pagination import PageParams, paginate
from obcms_platform.unsubscribe import emails_about


@dataclass(frozen=True)
class Message:
    """What people are told. `worded`, when given, words the title for each reader's time
    zone (an event's time as their calendar shows it); `title` is then the office's."""

    kind: Kind
    title: str
    dedup_key: str
    body: str = ""
    link: str = ""
    worded: Callable[[ZoneInfo], str] | None = None

    def for_reader(self, zone: ZoneInfo) -> Message:
        """The message as someone in `zone` reads it."""
        return self if self.worded is None else replace(self, title=self.worded(zone))


def _reached(
    session: Session, people: Iterable[uuid.UUID], kind: Kind, actor: uuid.UUID | None
) -> tuple[dict[uuid.UUID, Recipient], dict[uuid.UUID, Channel]]:
    """The active people among `people` but `actor` (who did it), and the channel each chose
    for `kind`, leaving out those who turned it off."""
    targets = recipients.active(session, (person for person in people if person != actor))
    chosen = preferences.channels(session, targets, kind)
    return targets, {
        person: channel for person, channel in chosen.items() if channel is not Channel.OFF
    }


def _stored(
    person: uuid.UUID, message: Message, channel: Channel, *, in_digest: bool, at: datetime
) -> Insert:
    return insert(Notification).values(
        recipient_id=person,
        kind=message.kind,
        title=message.title[:300],
        body=message.body,
        link=message.link,
        dedup_key=message.dedup_key,
        in_app=channel in IN_APP,
        in_digest=in_digest,
        created_at=at,
    )


def notified(session: Session, keys: Iterable[tuple[uuid.UUID, str]]) -> set[tuple[uuid.UUID, str]]:
    """Of (person, dedup key) pairs, those already notified. A job that runs every tick over
    the same records asks this once and notifies only the others, instead of one `notify`
    (three statements) per pair and tick that finds the notification there."""
    pairs = list(set(keys))
    if not pairs:
        return set()
    rows = session.execute(
        select(Notification.recipient_id, Notification.dedup_key).where(
            tuple_(Notification.recipient_id, Notification.dedup_key).in_(pairs)
        )
    )
    return {(person, key) for person, key in rows}


def notify(
    session: Session,
    settings: NotificationsSettings,
    people: Iterable[uuid.UUID],
    message: Message,
    *,
    actor: uuid.UUID | None = None,
    now: datetime | None = None,
) -> int:
    """Notify each of `people` (but not `actor`, who did it) once per `message.dedup_key`,
    on the channel they chose for its kind; how many were notified anew."""
    moment = now or datetime.now(UTC)
    targets, chosen = _reached(session, people, message.kind, actor)
    created = 0
    for person, channel in chosen.items():
        shown = message.for_reader(recipients.zone(targets[person], settings.default_time_zone))
        stored = session.execute(
            _stored(person, shown, channel, in_digest=channel is Channel.DIGEST, at=moment)
            .on_conflict_do_nothing(constraint="uq_notifications__recipient_key")
            .returning(Notification.id)
        ).first()
        if stored is None:
            continue
        created += 1
        if channel in IN_APP:
            SENT.labels("in_app", "stored").inc()
        if channel in EMAIL_AT_ONCE:
            email(session, settings, targets[person], shown, now=moment)
    return created


def email(
    session: Session,
    settings: NotificationsSettings,
    recipient: Recipient,
    message: Message,
    *,
    now: datetime,
) -> bool:
    """Queue `message` by email to `recipient`, after their quiet hours."""
    chosen = preferences.delivery_settings(session, recipient.user_id)
    zone = recipients.zone(recipient, settings.default_time_zone)
    unsubscribe_url = delivery.unsubscribe_url(settings, recipient.user_id, message.kind)
    return delivery.queue(
        session,
        recipient,
        subject=message.title,
        parts=delivery.render(
            "notification",
            title=message.title,
            body=message.body,
            url=delivery.absolute(settings, message.link),
            preferences_url=delivery.preferences_url(settings),
            unsubscribe_url=unsubscribe_url,
            unsubscribe_what=emails_about(KINDS[message.kind].label),
            time_zone=zone.key,
        ),
        dedup_key=message.dedup_key,
        not_before=delivery.after_quiet_hours(now, zone, chosen.quiet_start, chosen.quiet_end),
        unsubscribe_url=unsubscribe_url,
    )


def summarise(
    session: Session,
    people: Iterable[uuid.UUID],
    message: Message,
    *,
    actor: uuid.UUID | None = None,
    now: datetime | None = None,
) -> None:
    """One growing notification per person for many like things ("5 tasks generated for
    ..."): the first stores it, each next one counts, and it shows as unread again.
    Summaries never email at once; with the digest channel they go out in the digest."""
    _, chosen = _reached(session, people, message.kind, actor)
    for person, channel in chosen.items():
        statement = _stored(
            person,
            message,
            channel,
            in_digest=channel in {Channel.DIGEST, Channel.EMAIL, Channel.BOTH},
            at=now or datetime.now(UTC),
        )
        session.execute(
            statement.on_conflict_do_update(
                constraint="uq_notifications__recipient_key",
                set_={
                    "count": Notification.count + 1,
                    "read_at": None,
                    "created_at": statement.excluded.created_at,
                },
            )
        )


def _mine(user_id: uuid.UUID) -> ColumnElement[bool]:
    """The person's inbox (notifications they chose to get by email only are not in it)."""
    return and_(Notification.recipient_id == user_id, Notification.in_app)


def list_mine(
    session: Session, user_id: uuid.UUID, filters: NotificationFilters, page: PageParams
) -> tuple[list[Notification], int]:
    statement = select(Notification).where(_mine(user_id))
    if filters.unread:
        statement = statement.where(Notification.read_at.is_(None))
    statement = statement.order_by(Notification.created_at.desc(), Notification.id)
    return paginate(session, statement, page)


def unread_count(session: Session, user_id: uuid.UUID) -> int:
    return (
        session.scalar(select(func.count()).where(_mine(user_id), Notification.read_at.is_(None)))
        or 0
    )


def mark_read(
    session: Session, user_id: uuid.UUID, notification_id: uuid.UUID, *, read: bool
) -> Notification:
    """Mark one of the person's notifications read (or unread again); another person's is
    404, as if it did not exist."""
    found = session.scalar(
        select(Notification)
        .where(Notification.id == notification_id, _mine(user_id))
        .with_for_update()
    )
    if found is None:
        raise NotFoundError("notification", notification_id)
    if read and found.read_at is None:
        found.read_at = datetime.now(UTC)
    elif not read:
        found.read_at = None
    session.flush()
    return found


def mark_all_read(session: Session, user_id: uuid.UUID) -> int:
    """Mark every unread notification of the person read; how many were."""
    result = session.execute(
        update(Notification)
        .where(_mine(user_id), Notification.read_at.is_(None))
        .values(read_at=datetime.now(UTC))
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
