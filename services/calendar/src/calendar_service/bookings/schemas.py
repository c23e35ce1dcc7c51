"""Booking request and response schemas."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from calendar_service.bookings.models import BookingStatus
from calendar_service.calendar_events.schemas import Moment
from obcms_platform.schemas import RequestModel, ResponseModel

Notes = Annotated[str, Field(max_length=5000)]


class BookingCreate(RequestModel):
    """Times without an offset are office (Asia/Manila) times."""

    resource_id: uuid.UUID
    start: Moment
    end: Moment
    notes: Notes = ""


class BookingDecision(RequestModel):
    """Optional body of approve / reject / cancel."""

    notes: Notes | None = None


class BookingRead(ResponseModel):
    id: uuid.UUID
    resource_id: uuid.UUID
    start: datetime
    end: datetime
    status: BookingStatus
    booked_by: uuid.UUID
    approved_by: uuid.UUID | None
    notes: str
    created_at: datetime
    updated_at: datetime
    version: int


class BookingFilters(BaseModel):
    resource_id: uuid.UUID | None = None
    status: list[BookingStatus] = []
    booked_by: uuid.UUID | None = None
    mine: bool = False
    starts_after: Moment | None = None
    starts_before: Moment | None = None
