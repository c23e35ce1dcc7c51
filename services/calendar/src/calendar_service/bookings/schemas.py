"""Booking request and response schemas."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from pydantic import BaseModel, ValidationInfo, field_validator

from calendar_service.bookings.models import BookingStatus
from calendar_service.calendar_events.schemas import Moment
from calendar_service.limits import current_limits
from obcms_platform.feed import OFFICE_ZONE
from obcms_platform.schemas import Note, RequestModel, ResponseModel


class BookingCreate(RequestModel):
    """Times without an offset are office (Asia/Manila) times."""

    resource_id: uuid.UUID
    start: Moment
    end: Moment
    notes: Note = ""
    event_id: uuid.UUID | None = None  # the event it is for

    @field_validator("end")
    @classmethod
    def _at_most_max_booking_days(cls, end: datetime, info: ValidationInfo) -> datetime:
        """MAX_BOOKING_DAYS (limits.py); an end not after the start is the service's error."""
        start = info.data.get("start")
        days = current_limits().booking_days
        if start is not None and _office_time(end) - _office_time(start) > timedelta(days=days):
            raise ValueError(f"a booking may last at most {days} days")
        return end


def _office_time(moment: datetime) -> datetime:
    """Aware: a time without an offset is an office time."""
    return moment if moment.tzinfo else moment.replace(tzinfo=OFFICE_ZONE)


class BookingDecision(RequestModel):
    """Optional body of approve / reject / cancel."""

    notes: Note | None = None


class BookingRead(ResponseModel):
    id: uuid.UUID
    resource_id: uuid.UUID
    start: datetime
    end: datetime
    status: BookingStatus
    booked_by: uuid.UUID
    approved_by: uuid.UUID | None
    notes: str
    decision_note: str | None  # what was said with the last approval, rejection or cancellation
    event_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    version: int


class BookingFilters(BaseModel):
    """Times without an offset are office times."""

    resource_id: uuid.UUID | None = None
    status: list[BookingStatus] = []
    booked_by: uuid.UUID | None = None
    mine: bool = False
    event_id: uuid.UUID | None = None
    starts_after: Moment | None = None
    starts_before: Moment | None = None
    # With `starts_before`: the bookings overlapping [ends_after, starts_before).
    ends_after: Moment | None = None
