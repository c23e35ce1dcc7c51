"""Budget workflow request and response schemas."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from obcms_platform.schemas import PlausibleDate, RequestModel, ResponseModel
from portfolio_service.fields import LongText
from portfolio_service.workflow.models import BudgetStage, StageStatus


class StageUpdate(RequestModel):
    """Partial update: only the fields present change; null clears due_date or owner."""

    status: StageStatus | None = None
    due_date: PlausibleDate | None = None
    owner_team_id: uuid.UUID | None = None
    notes: LongText | None = None


NON_NULLABLE_UPDATE_FIELDS = frozenset({"status", "notes"})


class StageRead(ResponseModel):
    id: uuid.UUID
    ppa_id: uuid.UUID
    stage: BudgetStage
    sequence: int
    status: StageStatus
    due_date: date | None
    owner_team_id: uuid.UUID | None
    notes: str
    completed_at: datetime | None
    updated_at: datetime
