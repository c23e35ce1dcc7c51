"""Approval workflow request and response schemas."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field

from obcms_platform.schemas import Note, RequestModel, ResponseModel
from portfolio_service.ppas.models import ApprovalStatus


class ApprovalRequest(RequestModel):
    """Move the PPA's approval status to `to` (DOMAIN.md, "Approval workflow")."""

    to: ApprovalStatus
    note: Note = ""


class ApprovalHistoryRead(ResponseModel):
    """One transition: who (`changed_by`), when, `from`, `to` and the note."""

    id: uuid.UUID
    from_status: ApprovalStatus = Field(serialization_alias="from")
    to_status: ApprovalStatus = Field(serialization_alias="to")
    changed_by: uuid.UUID
    changed_at: datetime
    note: str
