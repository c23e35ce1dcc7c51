"""Conflict warning request and response schemas."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field

from calendar_service.calendar_events.schemas import IdList, Venue
from obcms_platform.schemas import TextWithoutNul


class ConflictKind(StrEnum):
    EVENT = "event"  # a person is in another event at that time
    LEAVE = "leave"  # a person is on leave, approved or requested
    BOOKING = "booking"  # the venue, a resource, is booked


def _user_ids(values: Any) -> Any:
    """Query values parsed as ids here, so that a malformed one is refused naming the
    parameter (as every query parameter's error does), not its position."""
    if not isinstance(values, list):
        return values
    try:
        return [value if isinstance(value, uuid.UUID) else uuid.UUID(value) for value in values]
    except (TypeError, ValueError):
        raise ValueError("each must be a user id (a UUID)") from None


class ConflictQuery(BaseModel):
    """A time slot (ISO dates or date-times; without an offset office times, as the feed's
    window), the people to be in it and its venue; `exclude_event_id`: the event being
    edited (itself and its own bookings are no conflict)."""

    # Both required; checked after the other parameters, so each error names its own.
    start: Annotated[TextWithoutNul, Field(max_length=40)] | None = None
    end: Annotated[TextWithoutNul, Field(max_length=40)] | None = None
    participant_ids: Annotated[IdList, BeforeValidator(_user_ids)] = []
    venue: Annotated[TextWithoutNul, Venue] = ""
    exclude_event_id: uuid.UUID | None = None


class ConflictRead(BaseModel):
    """What is in the way. Leave says only "On leave" (never its type or reason); all-day
    entries have dates (`end` exclusive), others date-times."""

    kind: ConflictKind
    user_id: uuid.UUID | None  # who is busy (null for a booked venue)
    record_id: uuid.UUID
    title: str
    start: datetime | date
    end: datetime | date
    all_day: bool
    url: str  # its page
    # Awaiting a manager's decision: leave requested, a booking pending (it may not happen).
    tentative: bool = False


class ConflictsRead(BaseModel):
    items: list[ConflictRead]  # by start, at most `MAX_CONFLICTS`
