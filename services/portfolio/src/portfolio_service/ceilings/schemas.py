"""Budget ceiling request and response schemas."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar

from pydantic import BaseModel

from obcms_platform.schemas import Note, RequestModel, ResponseModel, UpdateModel
from portfolio_service.ceilings.models import CeilingEnforcement
from portfolio_service.fields import Amount, FiscalYear, Money
from portfolio_service.ppas.models import FundingSource, Sector


class CeilingCreate(RequestModel):
    sector: Sector
    fiscal_year: FiscalYear
    # None: the ceiling of every source together.
    funding_source: FundingSource | None = None
    enforcement: CeilingEnforcement = CeilingEnforcement.HARD
    amount: Amount
    is_active: bool = True
    notes: Note = ""


class CeilingUpdate(UpdateModel):
    """Partial update: only the fields present change; none of them may be null but
    `funding_source` (null: all sources)."""

    clearable: ClassVar[frozenset[str]] = frozenset({"funding_source"})

    sector: Sector | None = None
    fiscal_year: FiscalYear | None = None
    funding_source: FundingSource | None = None
    enforcement: CeilingEnforcement | None = None
    amount: Amount | None = None
    is_active: bool | None = None
    notes: Note | None = None


class CeilingRead(ResponseModel):
    id: uuid.UUID
    sector: Sector
    fiscal_year: int
    funding_source: FundingSource | None
    enforcement: CeilingEnforcement
    amount: Money
    is_active: bool
    notes: str
    version: int
    created_at: datetime
    updated_at: datetime


class CeilingFilters(BaseModel):
    sector: Sector | None = None
    fiscal_year: FiscalYear | None = None
    funding_source: FundingSource | None = None
    enforcement: CeilingEnforcement | None = None
    active: bool | None = None


class UsageFilters(BaseModel):
    sector: Sector | None = None
    fiscal_year: FiscalYear | None = None


class CeilingUsage(ResponseModel):
    """An active ceiling and what is committed against it: the budget allocations of the
    PPAs of its sector, fiscal year (and source) in budget review or a later approval stage,
    the sum the check of a PPA entering budget review adds to."""

    id: uuid.UUID
    sector: Sector
    fiscal_year: int
    funding_source: FundingSource | None
    enforcement: CeilingEnforcement
    name: str
    amount: Money
    committed: Money
    # amount - committed: negative when over (a soft ceiling, or one lowered meanwhile).
    headroom: Money
    # committed / amount x 100; None for a ceiling of 0.
    percent: float | None
    over: bool
    version: int
