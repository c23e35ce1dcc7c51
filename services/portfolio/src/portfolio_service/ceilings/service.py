"""Budget ceilings and the checks against them. Functions take a session and never commit.

A PPA is held to every active ceiling of its sector and fiscal year that applies to its
funding source: the one for that source and the all-sources one (a PPA without a source
only to the latter). What counts against a ceiling ("committed") is the budget allocation
of the PPAs it applies to that are in budget review or a later approval stage. Going over a
hard ceiling is refused (409 naming the ceiling, the amount over and the headroom); going
over a soft one is allowed and flagged in words the approval history and the approval
queue show. The ceilings' rows are locked (in id order) before their commitments are
summed, so that checks against one ceiling run one at a time.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from obcms_platform.errors import ConflictError
from obcms_platform.formatting import label, money
from obcms_platform.pagination import PageParams, paginate
from obcms_platform.records import apply_changes, field_conditions, get_or_404, insert_row, locked
from portfolio_service.ceilings.models import BudgetCeiling, CeilingEnforcement
from portfolio_service.ceilings.schemas import (
    CeilingCreate,
    CeilingFilters,
    CeilingUpdate,
    CeilingUsage,
    UsageFilters,
)
from portfolio_service.fields import percent
from portfolio_service.ppas.models import CEILING_STAGES, FundingSource, Ppa, Sector


def get_ceiling(session: Session, ceiling_id: uuid.UUID) -> BudgetCeiling:
    return get_or_404(session, BudgetCeiling, ceiling_id, what="budget ceiling")


def list_ceilings(
    session: Session, filters: CeilingFilters, page: PageParams
) -> tuple[list[BudgetCeiling], int]:
    statement = (
        select(BudgetCeiling)
        .where(
            *field_conditions(
                BudgetCeiling, filters, "sector", "fiscal_year", "funding_source", "enforcement"
            )
        )
        .order_by(
            BudgetCeiling.fiscal_year.desc(),
            BudgetCeiling.sector,
            BudgetCeiling.funding_source.nulls_first(),
            BudgetCeiling.created_at,
            BudgetCeiling.id,
        )
    )
    if filters.active is not None:
        statement = statement.where(BudgetCeiling.is_active.is_(filters.active))
    return paginate(session, statement, page)


def create_ceiling(session: Session, data: CeilingCreate) -> BudgetCeiling:
    ceiling = BudgetCeiling(**data.model_dump())
    _ensure_single_active(session, ceiling)
    insert_row(session, ceiling)
    return ceiling


def update_ceiling(
    session: Session,
    ceiling_id: uuid.UUID,
    changes: CeilingUpdate,
    expected_version: int | None = None,
) -> BudgetCeiling:
    ceiling = locked(session, BudgetCeiling, ceiling_id, expected_version, what="budget ceiling")
    apply_changes(ceiling, changes.changes())
    _ensure_single_active(session, ceiling)
    session.flush()
    return ceiling


def ceiling_name(ceiling: BudgetCeiling) -> str:
    """The ceiling as a sentence names it: "GAA infrastructure 2027", "infrastructure 2027
    (all sources)"."""
    sector_year = f"{label(ceiling.sector).lower()} {ceiling.fiscal_year}"
    if ceiling.funding_source is None:
        return f"{sector_year} (all sources)"
    return f"{label(ceiling.funding_source)} {sector_year}"


def _ensure_single_active(session: Session, ceiling: BudgetCeiling) -> None:
    """A friendly 409; the partial unique index still decides under concurrency."""
    if not ceiling.is_active:
        return
    with session.no_autoflush:
        other = session.scalar(
            select(BudgetCeiling.id).where(
                BudgetCeiling.sector == ceiling.sector,
                BudgetCeiling.fiscal_year == ceiling.fiscal_year,
                BudgetCeiling.funding_source.is_not_distinct_from(ceiling.funding_source),
                BudgetCeiling.is_active,
                BudgetCeiling.id != ceiling.id,
            )
        )
    if other is not None:
        raise ConflictError(
            f"is_active: {ceiling_name(ceiling)} already has an active ceiling, id {other}; "
            "deactivate it first",
            field="is_active",
        )


def _applying_to(
    sector: Sector, fiscal_year: int, funding_source: FundingSource | None
) -> list[ColumnElement[bool]]:
    """The active ceilings that hold PPAs of `sector`, `fiscal_year` and `funding_source`."""
    sources: ColumnElement[bool] = BudgetCeiling.funding_source.is_(None)
    if funding_source is not None:
        sources = or_(sources, BudgetCeiling.funding_source == funding_source)
    return [
        BudgetCeiling.sector == sector,
        BudgetCeiling.fiscal_year == fiscal_year,
        BudgetCeiling.is_active.is_(True),
        sources,
    ]


def locked_applicable_ceilings(
    session: Session, sector: Sector, fiscal_year: int, funding_source: FundingSource | None
) -> list[BudgetCeiling]:
    """The active ceilings a PPA of `sector`, `fiscal_year` and `funding_source` is held to,
    row-locked in id order (so that two checks sharing two ceilings never wait on each
    other). Taken after the PPA's own lock, never before."""
    return list(
        session.scalars(
            select(BudgetCeiling)
            .where(*_applying_to(sector, fiscal_year, funding_source))
            .order_by(BudgetCeiling.id)
            .with_for_update()
        )
    )


def ppas_held_by(ceiling: BudgetCeiling) -> list[ColumnElement[bool]]:
    """The PPAs `ceiling` applies to, whatever their approval stage."""
    conditions = [Ppa.sector == ceiling.sector, Ppa.fiscal_year == ceiling.fiscal_year]
    if ceiling.funding_source is not None:
        conditions.append(Ppa.funding_source == ceiling.funding_source)
    return conditions


def committed_against(
    session: Session, ceiling: BudgetCeiling, *, excluding: uuid.UUID | None = None
) -> Decimal:
    """The budget allocations counted against `ceiling` (but that of the PPA `excluding`)."""
    conditions = [*ppas_held_by(ceiling), Ppa.approval_status.in_(CEILING_STAGES)]
    if excluding is not None:
        conditions.append(Ppa.id != excluding)
    committed = session.scalar(
        select(func.coalesce(func.sum(Ppa.budget_allocation), 0)).where(*conditions)
    )
    return committed or Decimal(0)


@dataclass(frozen=True)
class CeilingImpact:
    """What a PPA's allocation does to one ceiling: the others' commitments, and the
    headroom left with it (negative: over)."""

    ceiling: BudgetCeiling
    committed_by_others: Decimal
    allocation: Decimal

    @property
    def headroom_after(self) -> Decimal:
        return self.ceiling.amount - self.committed_by_others - self.allocation

    @property
    def over_by(self) -> Decimal:
        return max(-self.headroom_after, Decimal(0))

    @property
    def flag(self) -> str | None:
        """In words, when the allocation takes the ceiling over."""
        if self.over_by <= 0:
            return None
        return (
            f"over the {self.ceiling.enforcement.value} ceiling for "
            f"{ceiling_name(self.ceiling)} by {money(self.over_by)}"
        )


def ensure_within_ceiling(session: Session, ppa: Ppa) -> list[str]:
    """Refuse (409 naming budget_allocation) a PPA whose allocation would take a hard
    ceiling it is held to over; the flags, in words, of the soft ceilings it takes over.

    No sector or no fiscal year: held to none.
    """
    if ppa.sector is None or ppa.fiscal_year is None:
        return []
    allocation = ppa.budget_allocation or Decimal(0)
    impacts = [
        CeilingImpact(ceiling, committed_against(session, ceiling, excluding=ppa.id), allocation)
        for ceiling in locked_applicable_ceilings(
            session, ppa.sector, ppa.fiscal_year, ppa.funding_source
        )
    ]
    for impact in impacts:
        if impact.over_by > 0 and impact.ceiling.enforcement is CeilingEnforcement.HARD:
            ceiling = impact.ceiling
            headroom = max(ceiling.amount - impact.committed_by_others, Decimal(0))
            raise ConflictError(
                f"budget_allocation: {money(allocation)} would take the commitments under the "
                f"hard ceiling for {ceiling_name(ceiling)} "
                f"({money(ceiling.amount)}) over by {money(impact.over_by)}; its headroom is "
                f"{money(headroom)} ({money(impact.committed_by_others)} already committed)",
                field="budget_allocation",
            )
    return [flag for impact in impacts if (flag := impact.flag) is not None]


def ceiling_impacts(session: Session, ppas: Iterable[Ppa]) -> dict[uuid.UUID, list[CeilingImpact]]:
    """For each PPA, what approving it does to the active ceilings it is held to (read
    without locks: what a queue shows, not what a check decides)."""
    wanted = [ppa for ppa in ppas if ppa.sector is not None and ppa.fiscal_year is not None]
    if not wanted:
        return {}
    ceilings = list(
        session.scalars(
            select(BudgetCeiling).where(
                BudgetCeiling.is_active,
                BudgetCeiling.fiscal_year.in_({ppa.fiscal_year for ppa in wanted}),
            )
        )
    )
    committed = _committed_by_key(session, {ceiling.fiscal_year for ceiling in ceilings})
    impacts: dict[uuid.UUID, list[CeilingImpact]] = {}
    for ppa in wanted:
        counted = ppa.approval_status in CEILING_STAGES
        allocation = ppa.budget_allocation or Decimal(0)
        found = []
        for ceiling in ceilings:
            if (ceiling.sector, ceiling.fiscal_year) != (ppa.sector, ppa.fiscal_year) or (
                ceiling.funding_source not in (None, ppa.funding_source)
            ):
                continue
            total = _committed_under(ceiling, committed)
            others = total - allocation if counted else total
            found.append(CeilingImpact(ceiling, others, allocation))
        impacts[ppa.id] = sorted(found, key=lambda impact: impact.ceiling.funding_source is None)
    return impacts


CommittedByKey = dict[tuple[Sector, int, FundingSource | None], Decimal]


def _committed_by_key(session: Session, fiscal_years: set[int]) -> CommittedByKey:
    """The committed allocations of the fiscal years, by (sector, year, funding source)."""
    if not fiscal_years:
        return {}
    rows = session.execute(
        select(
            Ppa.sector,
            Ppa.fiscal_year,
            Ppa.funding_source,
            func.coalesce(func.sum(Ppa.budget_allocation), 0),
        )
        .where(Ppa.approval_status.in_(CEILING_STAGES), Ppa.fiscal_year.in_(fiscal_years))
        .group_by(Ppa.sector, Ppa.fiscal_year, Ppa.funding_source)
    )
    return {
        (sector, year, source): total or Decimal(0)
        for sector, year, source, total in rows
        if sector is not None and year is not None
    }


def _committed_under(ceiling: BudgetCeiling, committed: CommittedByKey) -> Decimal:
    return sum(
        (
            total
            for (sector, year, source), total in committed.items()
            if (sector, year) == (ceiling.sector, ceiling.fiscal_year)
            and ceiling.funding_source in (None, source)
        ),
        Decimal(0),
    )


def ceiling_usage(session: Session, filters: UsageFilters) -> list[CeilingUsage]:
    """The active ceilings (of the filters) with what is committed against each."""
    ceilings = list(
        session.scalars(
            select(BudgetCeiling)
            .where(
                BudgetCeiling.is_active,
                *field_conditions(BudgetCeiling, filters, "sector", "fiscal_year"),
            )
            .order_by(
                BudgetCeiling.fiscal_year.desc(),
                BudgetCeiling.sector,
                BudgetCeiling.funding_source.nulls_first(),
            )
        )
    )
    committed = _committed_by_key(session, {ceiling.fiscal_year for ceiling in ceilings})
    usage = []
    for ceiling in ceilings:
        total = _committed_under(ceiling, committed)
        usage.append(
            CeilingUsage(
                id=ceiling.id,
                sector=ceiling.sector,
                fiscal_year=ceiling.fiscal_year,
                funding_source=ceiling.funding_source,
                enforcement=ceiling.enforcement,
                name=ceiling_name(ceiling),
                amount=ceiling.amount,
                committed=total,
                headroom=ceiling.amount - total,
                percent=percent(total, ceiling.amount),
                over=total > ceiling.amount,
                version=ceiling.version,
            )
        )
    return usage
