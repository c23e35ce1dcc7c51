"""Funding request and response schemas."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints, ValidationInfo, field_validator

from obcms_platform.exports import Column, field, named
from obcms_platform.schemas import (
    Note,
    PlausibleDate,
    RequestModel,
    ResponseModel,
    TextWithoutNul,
)
from portfolio_service.fields import FiscalYear, Money, SignedAmount
from portfolio_service.funding.models import TrancheType
from portfolio_service.ppas.models import Sector


class TrancheCreate(RequestModel):
    tranche_type: TrancheType
    amount: SignedAmount
    date: PlausibleDate
    notes: Note = ""

    @field_validator("amount")
    @classmethod
    def _amount_sign(cls, amount: Decimal, info: ValidationInfo) -> Decimal:
        if info.data.get("tranche_type") is TrancheType.ADJUSTMENT:
            if amount == 0:
                raise ValueError("an adjustment must not be zero")
        elif amount <= 0:
            raise ValueError("must be greater than 0 (only an adjustment may be negative)")
        return amount


ReversalReason = Annotated[TextWithoutNul, StringConstraints(min_length=3, max_length=500)]


class ReversalCreate(RequestModel):
    """Why a tranche is reversed: kept on the reversal and in the PPA's history."""

    reason: ReversalReason


class TrancheRead(ResponseModel):
    """A tranche; a reversal names the tranche it reverses (`reverses_id`) and why
    (`reason`), and a reversed tranche its reversal (`reversed_by_id`)."""

    id: uuid.UUID
    ppa_id: uuid.UUID
    tranche_type: TrancheType
    amount: Money
    date: dt.date
    notes: str
    reverses_id: uuid.UUID | None
    reason: str
    reversed_by_id: uuid.UUID | None = None
    created_by: uuid.UUID | None
    created_at: dt.datetime


class FundingSummary(ResponseModel):
    """Totals and rates of one PPA's funding (DOMAIN.md, "Funding tranches").

    allocated = allocation tranches + adjustments; obligation rate = obligated / allocated;
    disbursement rate = disbursed / obligated; utilization = disbursed / the PPA's
    budget_allocation (all x 100, two decimals). A rate is null when its denominator is 0
    (or unset). Under-obligated: an obligation rate below 75 % today
    (`obcms_platform.obligation`). Reversals count in every total (they carry the opposite
    amount).
    """

    ppa_id: uuid.UUID
    budget_allocation: Money | None
    allocations: Money
    adjustments: Money
    allocated: Money
    obligated: Money
    disbursed: Money
    obligation_rate: float | None
    disbursement_rate: float | None
    utilization_rate: float | None
    under_obligated: bool
    tranches: list[TrancheRead]


class TrancheFilters(BaseModel):
    """The filters of the tranche list across PPAs; all combine with AND, repeated values
    within one OR. Dates are inclusive; fiscal year and sector are the PPA's."""

    ppa_id: Annotated[list[uuid.UUID], Field(max_length=200)] = []
    tranche_type: list[TrancheType] = []
    date_from: PlausibleDate | None = None
    date_to: PlausibleDate | None = None
    fiscal_year: FiscalYear | None = None
    sector: list[Sector] = []


# The columns of the tranche list's export (its query loads each tranche's PPA).
TRANCHE_EXPORT_COLUMNS = (
    Column("PPA", lambda tranche: tranche.ppa.title),
    field("tranche_type", "Type"),
    field("amount", "Amount"),
    field("date", "Date"),
    field("notes", "Notes"),
    field("reason", "Reversal reason"),
    field("reverses_id", "Reverses tranche id"),
    field("ppa_id", "PPA id"),
    field("id", "Tranche id"),
    named("created_by", "Recorded by"),
    field("created_at", "Recorded"),
)
