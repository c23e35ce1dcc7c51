"""What this service keeps of other services' records, from their events, to remind people
and to know who must act: tasks with their assignees and due dates, calendar events with
their participants, PPAs with their owners, and requests waiting for a manager."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import ARRAY, Boolean, Date, DateTime, Index, Integer, String, Text, Uuid
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, MappedColumn, mapped_column

from notifications_service.db import Base


def _people() -> MappedColumn[list[uuid.UUID]]:
    """The people of a record (its assignees, attendees or owners)."""
    return mapped_column(ARRAY(Uuid), default=list)


class _Titled:
    title: Mapped[str] = mapped_column(String(300), default="")


class _Announced(_Titled):
    """A record kept at the version of its last announcement (an older one arriving late is
    ignored)."""

    version: Mapped[int] = mapped_column(Integer, default=0)


class WatchedTask(_Announced, Base):
    __tablename__ = "watched_tasks"

    task_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    status: Mapped[str] = mapped_column(String(32))
    due_date: Mapped[date | None] = mapped_column(Date)
    assignee_ids: Mapped[list[uuid.UUID]] = _people()

    __table_args__ = (Index("ix_watched_tasks__due_date", "due_date"),)


class WatchedEvent(_Announced, Base):
    __tablename__ = "watched_events"

    event_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    start: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Its end and venue, to tell its people what changed (null: kept by an older release).
    end: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    venue: Mapped[str | None] = mapped_column(String(300))
    all_day: Mapped[bool] = mapped_column(Boolean, default=False)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    attendee_ids: Mapped[list[uuid.UUID]] = _people()
    # A series: its occurrences as the calendar announces them (RFC 5545 lines in naive
    # local times of `time_zone`, see `contracts.CalendarEventChanged`); `start` is its first.
    recurrence: Mapped[str | None] = mapped_column(Text)
    time_zone: Mapped[str | None] = mapped_column(String(64))
    # Its occurrences changed on their own, as announced (`contracts.OccurrenceOverride` as
    # JSON); null for a single event, or a series kept by an older release.
    overrides: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB(none_as_null=True))

    __table_args__ = (Index("ix_watched_events__start", "start"),)


class WatchedPpa(_Titled, Base):
    __tablename__ = "watched_ppas"

    ppa_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    owner_ids: Mapped[list[uuid.UUID]] = _people()
    # When the portfolio announced what is kept (PPA events carry no version): an older
    # announcement arriving late is ignored. Null: kept by a release before it was.
    as_of: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PendingRequest(Base):
    """A leave, booking or PPA approval step waiting for a manager since `since`."""

    __tablename__ = "pending_requests"

    subject_type: Mapped[str] = mapped_column(String(32), primary_key=True)
    subject_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    title: Mapped[str] = mapped_column(String(300), default="")
    link: Mapped[str] = mapped_column(String(500), default="")
    since: Mapped[datetime] = mapped_column(DateTime(timezone=True))
