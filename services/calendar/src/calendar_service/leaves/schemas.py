"""Staff leave request and response schemas."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field

from calendar_service.leaves.models import LeaveStatus, LeaveType
from obcms_platform.schemas import PlausibleDate, RequestModel, ResponseModel

Reason = Annotated[str, Field(max_length=5000)]


class LeaveCreate(RequestModel):
    """`user_id` defaults to the caller; filing for someone else needs the manager role."""

    user_id: uuid.UUID | None = None
    leave_type: LeaveType
    start_date: PlausibleDate
    end_date: PlausibleDate
    reason: Reason = ""


class LeaveDecision(RequestModel):
    reason: Reason | None = None


class LeaveRead(ResponseModel):
    id: uuid.UUID
    user_id: uuid.UUID
    leave_type: LeaveType
    start_date: date
    end_date: date
    status: LeaveStatus
    approved_by: uuid.UUID | None
    reason: str
    created_by: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    version: int


class LeaveFilters(BaseModel):
    user_id: uuid.UUID | None = None
    mine: bool = False
    status: list[LeaveStatus] = []
    leave_type: list[LeaveType] = []
    from_date: PlausibleDate | None = None  # leave ending on or after
    to_date: PlausibleDate | None = None  # leave starting on or before
