"""Budget ceilings and the check against them. Functions take a session and never commit."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from obcms_platform.errors import ConflictError
from obcms_platform.pagination import PageParams, paginate
from obcms_platform.records import apply_changes, field_conditions, get_or_404, insert_row
from portfolio_service.ceilings.models import BudgetCeiling
from portfolio_service.ceilings.schemas import CeilingCreate, CeilingFilters, CeilingUpdate
from portfolio_service.ppas.models import CEILING_STAGES, Ppa, Sector


def get_ceiling(session: Session, ceiling_id: uuid.UUID) -> BudgetCeiling:
    return get_or_404(session, BudgetCeiling, ceiling_id, what="budget ceiling")


def list_ceilings(
    session: Session, filters: CeilingFilters, page: PageParams
) -> tuple[list[BudgetCeiling], int]:
    statement = (
        select(BudgetCeiling)
        .where(*field_conditions(BudgetCeiling, filters, "sector", "fiscal_year"))
        .order_by(
            BudgetCeiling.fiscal_year.desc(),
            BudgetCeiling.sector,
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
    session: Session, ceiling_id: uuid.UUID, changes: CeilingUpdate
) -> BudgetCeiling:
    ceiling = get_or_404(session, BudgetCeiling, ceiling_id, what="budget ceiling", for_update=True)
    apply_changes(ceiling, changes.changes())
    _ensure_single_active(session, ceiling)
    session.flush()
    return ceiling


def _ensure_single_active(session: Session, ceiling: BudgetCeiling) -> None:
    """A friendly 409; the partial unique index still decides under concurrency."""
    if not ceiling.is_active:
        return
    with session.no_autoflush:
        other = session.scalar(
            select(BudgetCeiling.id).where(
                BudgetCeiling.sector == ceiling.sector,
                BudgetCeiling.fiscal_year == ceiling.fiscal_year,
                BudgetCeiling.is_active,
                BudgetCeiling.id != ceiling.id,
            )
        )
    if other is not None:
        raise ConflictError(
            f"is_active: {ceiling.sector.value} {ceiling.fiscal_year} already has an active "
            f"ceiling ({other}); deactivate it first",
            field="is_active",
        )


def locked_active_ceiling(
    session: Session, sector: Sector, fiscal_year: int
) -> BudgetCeiling | None:
    """The active ceiling of `sector` in `fiscal_year`, row-locked: the checks against one
    ceiling (a PPA entering budget review, an allocation recorded) run one at a time. Taken
    after the PPA's own lock, never before, so that no two writers wait on each other."""
    return session.scalar(
        select(BudgetCeiling)
        .where(
            BudgetCeiling.sector == sector,
            BudgetCeiling.fiscal_year == fiscal_year,
            BudgetCeiling.is_active,
        )
        .with_for_update()
    )


def ensure_within_ceiling(session: Session, ppa: Ppa) -> None:
    """Refuse (409 naming budget_allocation) a PPA that would take its sector over budget.

    Committed: the allocations of the other PPAs of the same sector and fiscal year that are
    in budget review or a later approval stage. Committed plus this PPA's allocation may not
    exceed the active ceiling. No sector, no fiscal year or no active ceiling: allowed. The
    ceiling row is locked, so concurrent checks against one ceiling run one at a time.
    """
    if ppa.sector is None or ppa.fiscal_year is None:
        return
    ceiling = locked_active_ceiling(session, ppa.sector, ppa.fiscal_year)
    if ceiling is None:
        return
    committed = session.scalar(
        select(func.coalesce(func.sum(Ppa.budget_allocation), 0)).where(
            Ppa.sector == ppa.sector,
            Ppa.fiscal_year == ppa.fiscal_year,
            Ppa.approval_status.in_(CEILING_STAGES),
            Ppa.id != ppa.id,
        )
    ) or Decimal(0)
    allocation = ppa.budget_allocation or Decimal(0)
    if committed + allocation > ceiling.amount:
        raise ConflictError(
            f"budget_allocation: {allocation:,.2f} would take the {ppa.sector.value} "
            f"{ppa.fiscal_year} commitments to {committed + allocation:,.2f}, over the "
            f"ceiling of {ceiling.amount:,.2f} ({committed:,.2f} already committed)",
            field="budget_allocation",
        )
