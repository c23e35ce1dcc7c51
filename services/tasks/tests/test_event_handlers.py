"""The tasks service's handling of calendar events: a new meeting gets its preparation
tasks; the later half of a split series ("this and following") gets none of its own."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from obcms_platform.bus import Event
from tasks_service.events import HANDLERS
from tasks_service.tasks.models import Task


def _meeting_created(split_from: uuid.UUID | None = None) -> Event:
    return Event.new(
        "event.created",
        producer="calendar",
        subject_id=uuid.uuid4(),
        data={
            "title": "Weekly coordination",
            "event_type": "meeting",
            "start": "2026-12-14T09:00:00+08:00",
            "split_from": str(split_from) if split_from else None,
        },
    )


def _tasks_of(session: Session, event: Event) -> int:
    return session.scalar(
        select(func.count()).select_from(Task).where(Task.related_event_id == event.subject_id)
    )


def test_a_new_meeting_gets_its_preparation_tasks(session: Session) -> None:
    event = _meeting_created()
    HANDLERS["event.created"](session, event)
    session.flush()
    assert _tasks_of(session, event) == 8  # event_meeting_standard


def test_the_later_half_of_a_split_series_gets_no_second_set(session: Session) -> None:
    event = _meeting_created(split_from=uuid.uuid4())
    HANDLERS["event.created"](session, event)
    session.flush()
    assert _tasks_of(session, event) == 0
