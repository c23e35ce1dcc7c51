"""Funding tranches and the figures derived from them. Functions never commit."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Label, Select, exists, func, select
from sqlalchemy.orm import Session, joinedload

from obcms_platform.auth import Principal
from obcms_platform.errors import InvalidInputError, NotFoundError
from obcms_platform.pagination import PageParams, paginate
from obcms_platform.records import field_conditions, insert_row, model_of
from portfolio_service.funding.models import FundingTranche, TrancheType
from portfolio_service.funding.schemas import (
    FundingSummary,
    TrancheCreate,
    TrancheFilters,
    TrancheRead,
)
from portfolio_service.ppas.models import Ppa

UNDER_OBLIGATED_BELOW = Decimal(75)
CENT = Decimal("0.01")


def percent(numerator: Decimal, denominator: Decimal | None) -> float | None:
    """numerator / denominator x 100, two decimals (half up, computed exactly: 1 of 800 is
    0.13, not the 0.12 that float rounding gives); None when the denominator is not > 0."""
    if denominator is None or denominator <= 0:
        return None
    return float((numerator * 100 / denominator).quantize(CENT, rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class FundingFigures:
    """Sums of tranches by type and the rates of DOMAIN.md (one PPA or a whole portfolio)."""

    budget_allocation: Decimal | None
    allocations: Decimal
    adjustments: Decimal
    obligated: Decimal
    disbursed: Decimal

    @property
    def allocated(self) -> Decimal:
        return self.allocations + self.adjustments

    @property
    def obligation_rate(self) -> float | None:
        return percent(self.obligated, self.allocated)

    @property
    def disbursement_rate(self) -> float | None:
        return percent(self.disbursed, self.obligated)

    @property
    def utilization_rate(self) -> float | None:
        return percent(self.disbursed, self.budget_allocation)

    @property
    def under_obligated(self) -> bool:
        """Compared exactly: 74.9975 % is under-obligated even though it shows as 75.0."""
        if self.allocated <= 0:
            return False
        return self.obligated * 100 < self.allocated * UNDER_OBLIGATED_BELOW

    @classmethod
    def from_sums(cls, budget_allocation: Decimal | None, sums: Any) -> FundingFigures:
        """From a row holding the `tranche_sums()` columns."""
        return cls(
            budget_allocation=budget_allocation,
            allocations=sums.allocation,
            adjustments=sums.adjustment,
            obligated=sums.obligation,
            disbursed=sums.disbursement,
        )


def tranche_sums() -> list[Label[Any]]:
    """Aggregate columns: the sum of the tranche amounts of each type, labelled by type."""
    return [
        func.coalesce(
            func.sum(FundingTranche.amount).filter(FundingTranche.tranche_type == kind), 0
        ).label(kind.value)
        for kind in TrancheType
    ]


def add_tranche(
    session: Session, ppa_id: uuid.UUID, data: TrancheCreate, principal: Principal
) -> FundingTranche:
    _ppa(session, ppa_id)
    tranche = FundingTranche(
        id=uuid.uuid4(), ppa_id=ppa_id, created_by=principal.user_id, **data.model_dump()
    )
    insert_row(session, tranche)
    return tranche


def list_tranches(
    session: Session, filters: TrancheFilters, page: PageParams
) -> tuple[list[FundingTranche], int]:
    return paginate(session, filtered_tranches(session, filters), page)


def filtered_tranches(session: Session, filters: TrancheFilters) -> Select[FundingTranche]:
    """The tranches of every PPA the filters select, newest first (the list's pages)."""
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        raise InvalidInputError("date_to: must not be earlier than date_from", field="date_to")
    conditions = field_conditions(FundingTranche, filters, "ppa_id", "tranche_type")
    if filters.date_from is not None:
        conditions.append(FundingTranche.date >= filters.date_from)
    if filters.date_to is not None:
        conditions.append(FundingTranche.date <= filters.date_to)
    ppa_conditions = field_conditions(Ppa, filters, "fiscal_year", "sector")
    if ppa_conditions:
        conditions.append(exists().where(Ppa.id == FundingTranche.ppa_id, *ppa_conditions))
    return (
        select(FundingTranche)
        .where(*conditions)
        .order_by(FundingTranche.date.desc(), FundingTranche.created_at.desc(), FundingTranche.id)
    )


def exported_tranches(session: Session, filters: TrancheFilters) -> Select[FundingTranche]:
    """The list's tranches with their PPA (its title is a column of the export)."""
    return filtered_tranches(session, filters).options(joinedload(FundingTranche.ppa))


def funding_summary(session: Session, ppa_id: uuid.UUID) -> FundingSummary:
    budget_allocation = _ppa(session, ppa_id)
    sums = session.execute(select(*tranche_sums()).where(FundingTranche.ppa_id == ppa_id)).one()
    tranches = session.scalars(
        select(FundingTranche)
        .where(FundingTranche.ppa_id == ppa_id)
        .order_by(FundingTranche.date, FundingTranche.created_at, FundingTranche.id)
    )
    return model_of(
        FundingSummary,
        FundingFigures.from_sums(budget_allocation, sums),
        ppa_id=ppa_id,
        tranches=[TrancheRead.model_validate(tranche) for tranche in tranches],
    )


def _ppa(session: Session, ppa_id: uuid.UUID) -> Decimal | None:
    """The PPA's budget allocation; NotFoundError when there is no such PPA."""
    row = session.execute(select(Ppa.budget_allocation).where(Ppa.id == ppa_id)).one_or_none()
    if row is None:
        raise NotFoundError("PPA", ppa_id)
    allocation: Decimal | None = row.budget_allocation
    return allocation
