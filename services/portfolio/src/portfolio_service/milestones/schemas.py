"""Milestone request and response schemas."""

from __future__ import annotations

import datetime as dt
import uuid

from obcms_platform.schemas import (
    LongText,
    PlausibleDate,
    RequestModel,
    ResponseModel,
    Title,
    UpdateModel,
)
from portfolio_service.milestones.models import MilestoneStatus


class MilestoneCreate(RequestModel):
    title: Title
    date: PlausibleDate
    status: MilestoneStatus = MilestoneStatus.PLANNED
    notes: LongText = ""


class MilestoneUpdate(UpdateModel):
    """Partial update: only the fields present change; none of them may be null."""

    title: Title | None = None
    date: PlausibleDate | None = None
    status: MilestoneStatus | None = None
    notes: LongText | None = None


class MilestoneRead(ResponseModel):
    id: uuid.UUID
    ppa_id: uuid.UUID
    title: str
    date: dt.date
    status: MilestoneStatus
    notes: str
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
