"""Bookings of resources. Two pending-or-approved bookings of one resource never overlap:
the database refuses it (exclusion constraint), so concurrent requests cannot double-book."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    Computed,
    DateTime,
    ForeignKey,
    Index,
    Text,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import TSTZRANGE, ExcludeConstraint, Range
from sqlalchemy.orm import Mapped, mapped_column, relationship

from calendar_service.db import Base, history
from calendar_service.resources.models import Resource
from obcms_platform.columns import Identified, Versioned
from obcms_platform.db import Timestamped, enum_column
from obcms_platform.vocabulary import BookingStatus as BookingStatus

OVERLAP_CONSTRAINT = "ex_bookings__resource_id_during"
# Statuses that hold the resource.
HOLDING = "status IN ('pending', 'approved')"


class Booking(Identified, Versioned, Timestamped, Base):
    __tablename__ = "bookings"

    resource_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("resources.id", ondelete="RESTRICT")
    )
    start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    end: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # [start, end): a booking ending at 10:00 and one starting at 10:00 do not overlap.
    during: Mapped[Range[datetime]] = mapped_column(
        TSTZRANGE, Computed('tstzrange(start, "end")', persisted=True)
    )
    status: Mapped[BookingStatus] = mapped_column(
        enum_column(BookingStatus, "status"), default=BookingStatus.PENDING
    )
    booked_by: Mapped[uuid.UUID] = mapped_column(Uuid)
    approved_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    notes: Mapped[str] = mapped_column(Text, default="")
    # What was said with the last decision: approval, rejection or cancellation.
    decision_note: Mapped[str | None] = mapped_column(Text)
    # The event the booking was made for (its page lists it); the booking outlives it.
    event_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("events.id", ondelete="SET NULL")
    )

    resource: Mapped[Resource] = relationship(lazy="raise")

    __table_args__ = (
        CheckConstraint('"end" > start', name="end"),
        ExcludeConstraint(
            ("resource_id", "="),
            ("during", "&&"),
            name=OVERLAP_CONSTRAINT,
            using="gist",
            where=text(HOLDING),
        ),
        # Feed window: the bookings that show (pending or approved) overlapping a window.
        Index(
            "ix_bookings__holding_during",
            "during",
            postgresql_using="gist",
            postgresql_where=text(HOLDING),
        ),
        Index("ix_bookings__booked_by_start", "booked_by", "start"),
        Index("ix_bookings__resource_id_start", "resource_id", "start"),
        Index("ix_bookings__event_id", "event_id", postgresql_where=text("event_id IS NOT NULL")),
    )


history.keep(Booking, "booking")
