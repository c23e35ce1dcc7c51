"""Staff leave: a user away for whole days (start and end dates inclusive)."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import CheckConstraint, Date, Index, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from calendar_service.db import Base, history
from obcms_platform.columns import Identified, Versioned
from obcms_platform.db import Timestamped, enum_column
from obcms_platform.vocabulary import LeaveStatus as LeaveStatus
from obcms_platform.vocabulary import LeaveType as LeaveType

# What only the person on leave, who filed it and managers may read (authz.LEAVE_READ_PRIVATE).
PRIVATE_FIELDS = ("leave_type", "reason", "decision_note")
# Leave that holds its days: on the calendar, and no other leave of the person may overlap it.
SHOWN_LEAVE = (LeaveStatus.APPROVED, LeaveStatus.PENDING)


class StaffLeave(Identified, Versioned, Timestamped, Base):
    __tablename__ = "staff_leaves"

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    leave_type: Mapped[LeaveType] = mapped_column(enum_column(LeaveType, "leave_type"))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    status: Mapped[LeaveStatus] = mapped_column(
        enum_column(LeaveStatus, "status"), default=LeaveStatus.PENDING
    )
    approved_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    reason: Mapped[str] = mapped_column(Text, default="")
    # What the manager said with the approval or rejection (the requester is told).
    decision_note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)

    __table_args__ = (
        CheckConstraint("start_date <= end_date", name="end_date"),
        # Feed window: leave starting before the window's end, ending after its start.
        Index("ix_staff_leaves__start_date_end_date", "start_date", "end_date"),
        Index("ix_staff_leaves__user_id_start_date", "user_id", "start_date"),
    )


history.keep(StaffLeave, "leave", private=PRIVATE_FIELDS)
