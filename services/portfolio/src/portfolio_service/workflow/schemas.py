"""Budget workflow request and response schemas."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import ClassVar

from obcms_platform.schemas import LongText, PlausibleDate, ResponseModel, UpdateModel
from portfolio_service.workflow.models import BudgetStage, StageStatus


class StageUpdate(UpdateModel):
    """Partial update: only the fields present change; null clears due_date or owner."""

    clearable: ClassVar[frozenset[str]] = frozenset({"due_date", "owner_team_id"})

    status: StageStatus | None = None
    due_date: PlausibleDate | None = None
    owner_team_id: uuid.UUID | None = None
    notes: LongText | None = None


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
    version: int
