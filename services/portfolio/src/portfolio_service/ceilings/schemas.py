"""Budget ceiling request and response schemas."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel

from obcms_platform.schemas import Note, RequestModel, ResponseModel, UpdateModel
from portfolio_service.fields import Amount, FiscalYear, Money
from portfolio_service.ppas.models import Sector


class CeilingCreate(RequestModel):
    sector: Sector
    fiscal_year: FiscalYear
    amount: Amount
    is_active: bool = True
    notes: Note = ""


class CeilingUpdate(UpdateModel):
    """Partial update: only the fields present change; none of them may be null."""

    sector: Sector | None = None
    fiscal_year: FiscalYear | None = None
    amount: Amount | None = None
    is_active: bool | None = None
    notes: Note | None = None


class CeilingRead(ResponseModel):
    id: uuid.UUID
    sector: Sector
    fiscal_year: int
    amount: Money
    is_active: bool
    notes: str
    created_at: datetime
    updated_at: datetime


class CeilingFilters(BaseModel):
    sector: Sector | None = None
    fiscal_year: FiscalYear | None = None
    active: bool | None = None
