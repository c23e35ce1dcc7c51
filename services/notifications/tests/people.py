"""Building the events the notifications service consumes, and reading what it made."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from dataclasses import dataclass, field

from notifications_service.delivery.models import OutgoingEmail
from notifications_service.events import handlers
from notifications_service.notifications.models import Notification
from notifications_service.settings import NotificationsSettings
from sqlalchemy import select
from sqlalchemy.orm import Session

from obcms_platform.auth import Role
from obcms_platform.bus import Event
from obcms_platform.contracts import USER_CHANGED, EventContract, EventPayload, UserChanged

_versions = itertools.count(1)


def event(
    contract: EventContract[EventPayload],
    payload: EventPayload,
    subject: uuid.UUID,
    *,
    at: dt.datetime | None = None,
) -> Event:
    built = Event.new(contract.name, producer="test", subject_id=subject, data=payload.data())
    return built.model_copy(update={"occurred_at": at}) if at else built


def handle(session: Session, settings: NotificationsSettings, *events: Event) -> None:
    table = handlers(settings)
    for each in events:
        table[each.type](session, each)
    session.commit()


@dataclass
class Person:
    user_id: uuid.UUID = field(default_factory=uuid.uuid4)
    full_name: str = "Amina Kusain"
    email: str | None = "amina@example.org"
    time_zone: str | None = "Asia/Manila"
    role: Role = Role.STAFF

    def announced(self, *, active: bool = True, version: int | None = None) -> Event:
        return event(
            USER_CHANGED,
            UserChanged(
                user_id=self.user_id,
                full_name=self.full_name,
                email=self.email,
                time_zone=self.time_zone,
                role=self.role,
                active=active,
                version=version or next(_versions),
            ),
            self.user_id,
        )


def inbox(session: Session, person: Person) -> list[Notification]:
    session.expire_all()
    return list(
        session.scalars(
            select(Notification)
            .where(Notification.recipient_id == person.user_id)
            .order_by(Notification.created_at)
        )
    )


def outgoing(session: Session, person: Person) -> list[OutgoingEmail]:
    session.expire_all()
    return list(
        session.scalars(
            select(OutgoingEmail)
            .where(OutgoingEmail.recipient_id == person.user_id)
            .order_by(OutgoingEmail.created_at)
        )
    )
