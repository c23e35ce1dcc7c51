"""Funding tranches and the figures derived from them. Functions never commit.

A tranche or a reversal is recorded only within the limits of its PPA: obligations may not
exceed what is allocated (allocations and adjustments), disbursements what is obligated, and
the allocated total the PPA's own budget_allocation (when set); across the portfolio, the
allocated total of a sector's PPAs of one fiscal year may not exceed its active budget
ceiling. The PPA's row is locked before its totals are summed, so that tranches of one PPA
are checked one at a time and two at once cannot together pass a limit; the ceiling's row,
locked next, does the same for the PPAs of a sector. Each tranche moves one of the PPA's
totals, and is kept in the PPA's history as that change.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Label, Select, exists, func, select
from sqlalchemy.orm import Session, joinedload

from obcms_platform.auth import Principal
from obcms_platform.errors import ConflictError, InvalidInputError, NotFoundError
from obcms_platform.formatting import format_day, money
from obcms_platform.history import RecordChange, because
from obcms_platform.obligation import UNDER_OBLIGATED_BELOW
from obcms_platform.pagination import PageParams, paginate
from obcms_platform.records import field_conditions, insert_row, model_of
from obcms_platform.schemas import ensure_not_future
from obcms_platform.zones import office_today
from portfolio_service.ceilings.models import CeilingEnforcement
from portfolio_service.ceilings.service import (
    ceiling_name,
    locked_applicable_ceilings,
    ppas_held_by,
)
from portfolio_service.db import history
from portfolio_service.fields import CENT, percent
from portfolio_service.funding.models import FundingTranche, TrancheType
from portfolio_service.funding.schemas import (
    FundingSummary,
    ReversalCreate,
    TrancheCreate,
    TrancheFilters,
    TrancheRead,
)
from portfolio_service.ppas.models import FundingSource, Ppa, Sector

# The field of `FundingFigures` each type of tranche adds to.
FIGURE_OF = {
    TrancheType.ALLOCATION: "allocations",
    TrancheType.ADJUSTMENT: "adjustments",
    TrancheType.OBLIGATION: "obligated",
    TrancheType.DISBURSEMENT: "disbursed",
}
# The PPA total (as its funding summary names it) each type of tranche moves.
TOTAL_OF = {
    TrancheType.ALLOCATION: "allocated",
    TrancheType.ADJUSTMENT: "allocated",
    TrancheType.OBLIGATION: "obligated",
    TrancheType.DISBURSEMENT: "disbursed",
}
ALLOCATING = (TrancheType.ALLOCATION, TrancheType.ADJUSTMENT)


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

    def with_tranche(self, kind: TrancheType, amount: Decimal) -> FundingFigures:
        """The figures once a tranche of `kind` and `amount` is added."""
        return replace(self, **{FIGURE_OF[kind]: getattr(self, FIGURE_OF[kind]) + amount})

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


@dataclass(frozen=True)
class FundingLimit:
    """A PPA total (`lower`) that may not exceed another figure of the PPA (`upper`): how the
    refusal names each, the first as a total, the second as the limit (`{}`: its amount)."""

    lower: str
    upper: str
    lower_total: str
    upper_total: str
    lower_as_floor: str
    upper_as_limit: str


LIMITS = (
    FundingLimit(
        "allocated",
        "budget_allocation",
        "allocations and adjustments",
        "the budget allocation",
        "the {} allocated",
        "the PPA's budget allocation of {}",
    ),
    FundingLimit(
        "obligated",
        "allocated",
        "obligations",
        "allocations and adjustments",
        "the {} obligated",
        "the {} allocated",
    ),
    FundingLimit(
        "disbursed",
        "obligated",
        "disbursements",
        "obligations",
        "the {} already disbursed",
        "the {} obligated",
    ),
)


def ensure_within_limits(before: FundingFigures, after: FundingFigures, currency: str) -> None:
    """Refuse (409 naming `amount`) a tranche that takes a PPA total past its limit, or
    further past it (`before`: the figures without it; `after`: with it)."""
    for limit in LIMITS:
        lower, upper = getattr(after, limit.lower), getattr(after, limit.upper)
        if upper is None or lower <= upper:
            continue
        if lower - upper <= getattr(before, limit.lower) - getattr(before, limit.upper):
            continue  # over the limit already (an older record), and not further now
        if lower != getattr(before, limit.lower):
            refusal = (
                f"{limit.lower_total} would total {money(lower, currency)}, more than "
                + limit.upper_as_limit.format(money(upper, currency))
            )
        else:
            refusal = (
                f"{limit.upper_total} would total {money(upper, currency)}, less than "
                + limit.lower_as_floor.format(money(lower, currency))
            )
        raise ConflictError(f"amount: {refusal}", field="amount")


def add_tranche(
    session: Session,
    ppa_id: uuid.UUID,
    data: TrancheCreate,
    principal: Principal,
    today: date | None = None,
) -> FundingTranche:
    """Record a tranche dated on or before the office's `today`. Every type is money that has
    moved, not a plan: each counts in the PPA's totals and rates at once, whatever its date,
    and DOMAIN.md plans no tranche ahead (allocations and adjustments included), so a day
    after today is refused (422 naming `date`), as a status update's is."""
    ensure_not_future(
        data.date,
        today or office_today(),
        field="date",
        why="a tranche records money that has moved",
    )
    ppa = _locked_ppa(session, ppa_id)
    tranche = FundingTranche(
        id=uuid.uuid4(), ppa_id=ppa_id, created_by=principal.user_id, **data.model_dump()
    )
    _record(session, ppa, tranche, cause=f"{data.tranche_type.value} of {format_day(data.date)}")
    return tranche


def reverse_tranche(
    session: Session,
    ppa_id: uuid.UUID,
    tranche_id: uuid.UUID,
    data: ReversalCreate,
    principal: Principal,
) -> FundingTranche:
    """Record the reversal of a tranche: the same type, the opposite amount, dated today (the
    office's), naming the tranche and the reason. Refused (409) for a reversal, a tranche
    reversed already, or when the PPA's totals without the tranche would break a limit."""
    ppa = _locked_ppa(session, ppa_id)
    original = session.scalar(
        select(FundingTranche).where(
            FundingTranche.id == tranche_id, FundingTranche.ppa_id == ppa_id
        )
    )
    if original is None:
        raise NotFoundError("funding tranche", tranche_id)
    kind = original.tranche_type.value
    if original.reverses_id is not None:
        raise ConflictError(
            f"tranche_id: this {kind} is itself a reversal and cannot be reversed; record a "
            "new tranche instead",
            field="tranche_id",
        )
    earlier = session.scalar(
        select(FundingTranche).where(FundingTranche.reverses_id == original.id)
    )
    if earlier is not None:
        raise ConflictError(
            f"tranche_id: this {kind} was already reversed on {format_day(earlier.date)} "
            f"({earlier.reason})",
            field="tranche_id",
        )
    reversal = FundingTranche(
        id=uuid.uuid4(),
        ppa_id=ppa_id,
        tranche_type=original.tranche_type,
        amount=-original.amount,
        date=office_today(),
        reverses_id=original.id,
        reason=data.reason,
        created_by=principal.user_id,
    )
    _record(
        session,
        ppa,
        reversal,
        cause=f"reversal of the {kind} of {format_day(original.date)}: {data.reason}",
    )
    return reversal


def _record(session: Session, ppa: LockedPpa, tranche: FundingTranche, *, cause: str) -> None:
    """Insert `tranche` of the locked `ppa` when the PPA's totals with it stay within the
    limits, and keep the total it moves in the PPA's history."""
    before = _figures(session, ppa)
    after = before.with_tranche(tranche.tranche_type, tranche.amount)
    ensure_within_limits(before, after, ppa.budget_currency)
    if tranche.tranche_type in ALLOCATING:
        _ensure_within_sector_ceiling(session, ppa, tranche.amount)
    insert_row(session, tranche)
    total = TOTAL_OF[tranche.tranche_type]
    old, new = (getattr(figures, total).quantize(CENT) for figures in (before, after))
    with because(session, cause):
        history.add(session, Ppa, [RecordChange(ppa.id, ppa.version, {total: (old, new)})])


def _ensure_within_sector_ceiling(session: Session, ppa: LockedPpa, added: Decimal) -> None:
    """Refuse (409 naming `amount`) an allocation that takes the allocated total of the PPAs
    a hard ceiling holds (its sector and fiscal year; its funding source, if it has one) over
    it. Soft ceilings do not refuse."""
    if added <= 0 or ppa.sector is None or ppa.fiscal_year is None:
        return
    for ceiling in locked_applicable_ceilings(
        session, ppa.sector, ppa.fiscal_year, ppa.funding_source
    ):
        if ceiling.enforcement is not CeilingEnforcement.HARD:
            continue
        allocated = _allocated(session, *ppas_held_by(ceiling))
        if allocated + added > ceiling.amount:
            currency = ppa.budget_currency
            headroom = max(ceiling.amount - allocated, Decimal(0))
            raise ConflictError(
                f"amount: allocations and adjustments under the hard ceiling for "
                f"{ceiling_name(ceiling)} would total {money(allocated + added, currency)}, "
                f"more than its {money(ceiling.amount, currency)} (headroom "
                f"{money(headroom, currency)})",
                field="amount",
            )


def ensure_budget_covers_allocations(session: Session, ppa: Ppa) -> None:
    """Refuse (409 naming budget_allocation) a PPA's budget allocation below what its
    tranches allocate already (the PPA's row is locked by its update)."""
    if ppa.budget_allocation is None:
        return
    allocated = _allocated(session, FundingTranche.ppa_id == ppa.id)
    if ppa.budget_allocation < allocated:
        currency = ppa.budget_currency
        raise ConflictError(
            f"budget_allocation: {money(ppa.budget_allocation, currency)} is less than the "
            f"{money(allocated, currency)} its tranches allocate already; reverse an "
            "allocation first",
            field="budget_allocation",
        )


def _allocated(session: Session, *conditions: ColumnElement[bool]) -> Decimal:
    """The allocated total (allocations and adjustments) of the tranches of the PPAs that
    meet `conditions`."""
    allocated = session.scalar(
        select(func.coalesce(func.sum(FundingTranche.amount), 0))
        .join(Ppa, Ppa.id == FundingTranche.ppa_id)
        .where(FundingTranche.tranche_type.in_(ALLOCATING), *conditions)
    )
    return allocated or Decimal(0)


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
    tranches = list(
        session.scalars(
            select(FundingTranche)
            .where(FundingTranche.ppa_id == ppa_id)
            .order_by(FundingTranche.date, FundingTranche.created_at, FundingTranche.id)
        )
    )
    reversed_by = {t.reverses_id: t.id for t in tranches if t.reverses_id is not None}
    return model_of(
        FundingSummary,
        FundingFigures.from_sums(budget_allocation, sums),
        ppa_id=ppa_id,
        tranches=[
            TrancheRead.model_validate(tranche).model_copy(
                update={"reversed_by_id": reversed_by.get(tranche.id)}
            )
            for tranche in tranches
        ],
    )


def _figures(session: Session, ppa: LockedPpa) -> FundingFigures:
    sums = session.execute(select(*tranche_sums()).where(FundingTranche.ppa_id == ppa.id)).one()
    return FundingFigures.from_sums(ppa.budget_allocation, sums)


@dataclass(frozen=True)
class LockedPpa:
    """What the funding checks read of a PPA whose row is locked until the commit."""

    id: uuid.UUID
    version: int
    budget_allocation: Decimal | None
    budget_currency: str
    sector: Sector | None
    fiscal_year: int | None
    funding_source: FundingSource | None


def _locked_ppa(session: Session, ppa_id: uuid.UUID) -> LockedPpa:
    """The PPA, its row locked until the commit: the tranches of one PPA are recorded one at
    a time. NotFoundError when there is none."""
    row = session.execute(
        select(
            Ppa.id,
            Ppa.version,
            Ppa.budget_allocation,
            Ppa.budget_currency,
            Ppa.sector,
            Ppa.fiscal_year,
            Ppa.funding_source,
        )
        .where(Ppa.id == ppa_id)
        .with_for_update()
    ).one_or_none()
    if row is None:
        raise NotFoundError("PPA", ppa_id)
    return LockedPpa(*row)


def _ppa(session: Session, ppa_id: uuid.UUID) -> Decimal | None:
    """The PPA's budget allocation; NotFoundError when there is no such PPA."""
    row = session.execute(select(Ppa.budget_allocation).where(Ppa.id == ppa_id)).one_or_none()
    if row is None:
        raise NotFoundError("PPA", ppa_id)
    allocation: Decimal | None = row.budget_allocation
    return allocation
