"""Calendar events, their recurrence, and per-occurrence overrides of a series."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Computed,
    Date,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSTZRANGE, Range
from sqlalchemy.orm import Mapped, mapped_column, relationship

from calendar_service.db import Base, history
from obcms_platform.columns import Authored, Identified, Versioned
from obcms_platform.db import Timestamped, enum_column
from obcms_platform.vocabulary import EventStatus as EventStatus
from obcms_platform.vocabulary import EventType as EventType

DEFAULT_TIMEZONE = "Asia/Manila"


class Event(Identified, Authored, Versioned, Timestamped, Base):
    """A calendar event; with `recurrence` it is a series whose first occurrence is
    `start`-`end`, expanded in `timezone` (wall-clock times stay put across DST)."""

    __tablename__ = "events"

    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    event_type: Mapped[EventType] = mapped_column(enum_column(EventType, "event_type"))
    status: Mapped[EventStatus] = mapped_column(
        enum_column(EventStatus, "status"), default=EventStatus.PLANNED
    )
    start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    end: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    all_day: Mapped[bool] = mapped_column(Boolean, default=False)
    venue: Mapped[str] = mapped_column(String(300), default="")
    organizer_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    participant_ids: Mapped[list[uuid.UUID]] = mapped_column(
        ARRAY(Uuid), default=list, server_default=text("'{}'")
    )
    timezone: Mapped[str] = mapped_column(String(64), default=DEFAULT_TIMEZONE)
    # {"freq", "interval", "by_weekday", "by_monthday", "by_setpos", "count", "until",
    # "exdates"} or null (`recurrence.Rule`; rows before BYSETPOS lack "by_setpos").
    # None is SQL NULL (migration 0006), so `IS NULL` and the single-event check see it.
    recurrence: Mapped[dict[str, Any] | None] = mapped_column(JSONB(none_as_null=True))
    # End of the last occurrence; null for a series without end. With `start` it bounds
    # every occurrence of the series (moved occurrences aside: see EventOccurrence).
    span_end: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    span: Mapped[Range[datetime]] = mapped_column(
        TSTZRANGE, Computed("tstzrange(start, span_end)", persisted=True)
    )
    # The series this one continues, split off it by "this and following" (its earlier
    # occurrences are there): each half's page links the other.
    split_from_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("events.id", ondelete="SET NULL")
    )

    overrides: Mapped[list[EventOccurrence]] = relationship(
        back_populates="event",
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="selectin",
        order_by="EventOccurrence.occurrence_date",
    )

    __table_args__ = (
        CheckConstraint('"end" > start', name="end"),
        CheckConstraint('span_end IS NULL OR span_end >= "end"', name="span_end"),
        # A single event spans exactly its own time.
        CheckConstraint('recurrence IS NOT NULL OR span_end = "end"', name="single_event_span"),
        # The window query: events whose span overlaps the requested window.
        Index("ix_events__span", "span", postgresql_using="gist"),
        Index("ix_events__start_id", "start", "id"),
        Index("ix_events__participant_ids", "participant_ids", postgresql_using="gin"),
        Index("ix_events__organizer_id", "organizer_id"),
        Index(
            "ix_events__split_from_id",
            "split_from_id",
            postgresql_where=text("split_from_id IS NOT NULL"),
        ),
    )


class EventOccurrence(Identified, Base):
    """One occurrence of a series changed on its own: cancelled, or moved (new start/end and
    optionally a different title or venue). Keyed by the occurrence's original local date."""

    __tablename__ = "event_occurrences"

    event_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("events.id", ondelete="CASCADE"))
    occurrence_date: Mapped[date] = mapped_column(Date)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    start: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    end: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    title: Mapped[str | None] = mapped_column(String(300))
    venue: Mapped[str | None] = mapped_column(String(300))
    updated_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )

    event: Mapped[Event] = relationship(back_populates="overrides")

    __table_args__ = (
        UniqueConstraint("event_id", "occurrence_date"),
        CheckConstraint(
            'cancelled OR (start IS NOT NULL AND "end" IS NOT NULL AND "end" > start)',
            name="moved_times",
        ),
        # Moved occurrences that land in a window outside their series' span.
        Index(
            "ix_event_occurrences__moved_start",
            "start",
            postgresql_where=text("NOT cancelled"),
        ),
    )


# Whether an event is a series, in SQL: told by the JSON's type, so a row an older release
# wrote with JSON null (before migration 0006, or during a rolling upgrade) is a single event.
SERIES = func.jsonb_typeof(Event.recurrence) == "object"
SINGLE_EVENT = func.coalesce(func.jsonb_typeof(Event.recurrence), "null") == "null"

history.keep(Event, "event")
