"""Staff leave request and response schemas."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ValidationInfo, field_validator

from calendar_service.leaves.models import LeaveStatus, LeaveType
from calendar_service.limits import current_limits
from obcms_platform.exports import field
from obcms_platform.schemas import (
    ActivePersonId,
    Note,
    PlausibleDate,
    RequestModel,
    ResponseModel,
)


class LeaveCreate(RequestModel):
    """`user_id` defaults to the caller; filing for someone else needs the manager role."""

    user_id: ActivePersonId | None = None
    leave_type: LeaveType
    start_date: PlausibleDate
    end_date: PlausibleDate
    reason: Note = ""

    @field_validator("end_date")
    @classmethod
    def _at_most_max_leave_days(cls, end_date: date, info: ValidationInfo) -> date:
        """Both dates count (MAX_LEAVE_DAYS, limits.py); an end before the start is the
        service's error."""
        start_date = info.data.get("start_date")
        days = current_limits().leave_days
        if start_date is not None and (end_date - start_date).days + 1 > days:
            raise ValueError(f"a leave may span at most {days} days")
        return end_date


class LeaveDecision(RequestModel):
    reason: Note | None = None


class LeaveRead(ResponseModel):
    """`leave_type`, `reason` and `decision_note` (what the manager said with the approval or
    rejection) are null for a caller who may not see them (a colleague): only the person on
    leave, who filed it, and managers do (authz.LEAVE_READ_PRIVATE)."""

    id: uuid.UUID
    user_id: uuid.UUID
    leave_type: LeaveType | None
    start_date: date
    end_date: date
    status: LeaveStatus
    approved_by: uuid.UUID | None
    reason: str | None
    decision_note: str | None
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


# The columns of the leave list's export, of each leave as the list shows it to the caller
# (a colleague's type and reason empty); people as their user ids.
LEAVE_EXPORT_COLUMNS = (
    field("user_id", "On leave (user id)"),
    field("leave_type", "Type"),
    field("start_date", "From"),
    field("end_date", "To (inclusive)"),
    field("status", "Status"),
    field("reason", "Reason"),
    field("approved_by", "Decided by (user id)"),
    field("decision_note", "Decision note"),
    field("id", "Leave id"),
    field("created_at", "Filed"),
)
