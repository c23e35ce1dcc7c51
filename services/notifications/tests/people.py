"""Building the events the notifications service consumes, and reading what it made."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from notifications_service.delivery.models import OutgoingEmail
from notifications_service.events import handlers
from notifications_service.notifications.models import Notification
from notifications_service.settings import NotificationsSettings
from obcms_platform.auth import Role
from obcms_platform.bus import Event
from obcms_platform.contracts import (
    TASK_CREATED,
    USER_CHANGED,
    EventContract,
    EventPayload,
    TaskChanged,
    UserChanged,
)
from obcms_platform.vocabulary import TaskStatus

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
    username: str = "amina.kusain"

    def announced(self, *, active: bool = True, version: int | None = None) -> Event:
        return event(
            USER_CHANGED,
            UserChanged(
                user_id=self.user_id,
                username=self.username,
                full_name=self.full_name,
                email=self.email,
                time_zone=self.time_zone,
                role=self.role,
                active=active,
                version=version or next(_versions),
            ),
            self.user_id,
        )


Kept = TypeVar("Kept", Notification, OutgoingEmail)


def _kept_for(session: Session, model: type[Kept], person: Person) -> list[Kept]:
    session.expire_all()
    return list(
        session.scalars(
            select(model).where(model.recipient_id == person.user_id).order_by(model.created_at)
        )
    )


def inbox(session: Session, person: Person) -> list[Notification]:
    return _kept_for(session, Notification, person)


def outgoing(session: Session, person: Person) -> list[OutgoingEmail]:
    return _kept_for(session, OutgoingEmail, person)


def assign_task(
    session: Session,
    settings: NotificationsSettings,
    assignees: list[uuid.UUID],
    title: str,
    *,
    status: TaskStatus = TaskStatus.NOT_STARTED,
    due: dt.date | None = None,
    by: uuid.UUID | None = None,
) -> uuid.UUID:
    """Announce (and handle) a new task of `assignees` (made by `by`; None: the system); its
    id."""
    task_id = uuid.uuid4()
    task = TaskChanged(
        task_id=task_id,
        title=title,
        status=status,
        due_date=due,
        assignee_ids=assignees,
        version=1,
        changed_by=by,
    )
    handle(session, settings, event(TASK_CREATED, task, task_id))
    return task_id
