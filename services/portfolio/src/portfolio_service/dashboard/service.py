"""The portfolio dashboard: four aggregate queries, whatever the size of the portfolio."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    Numeric,
    Select,
    and_,
    bindparam,
    cast,
    distinct,
    func,
    select,
)
from sqlalchemy.orm import Session

from obcms_platform.records import model_of
from obcms_platform.vocabulary import SUSTAINABLE_DEVELOPMENT_GOALS, PpaTag
from portfolio_service.dashboard.schemas import (
    Beneficiaries,
    BudgetFigures,
    Dashboard,
    DashboardFilters,
    NeedsCoverage,
    UpcomingMilestone,
)
from portfolio_service.funding.models import FundingTranche
from portfolio_service.funding.service import FundingFigures, percent, tranche_sums
from portfolio_service.milestones.models import Milestone, MilestoneStatus
from portfolio_service.needs.models import Need, NeedPpaLink
from portfolio_service.ppas.models import ApprovalStatus, Ppa, PpaCategory, PpaStatus, Sector
from portfolio_service.ppas.service import RECORD_FILTERS

UPCOMING_DAYS = 30
UPCOMING_LIMIT = 10
AT_RISK_MARGIN = 20  # percentage points of the planned period
UNSPECIFIED = "unspecified"


def at_risk_condition(today: ColumnElement[date]) -> ColumnElement[bool]:
    """A PPA is at risk (behind schedule) when it is planning or ongoing, has a start_date
    and a target_end_date, and the elapsed share of that period exceeds its progress by more
    than 20 percentage points: ``elapsed / period - progress / 100 > 0.2``.

    elapsed = today - start_date and period = target_end_date - start_date, in days (a
    period of 0 days counts as 1); the share is clamped to 0..1, so a PPA not started yet is
    never at risk and one past its target end is at risk below 80 % progress.
    """
    period = func.greatest(Ppa.target_end_date - Ppa.start_date, 1)
    elapsed = today - Ppa.start_date
    share = func.least(func.greatest(cast(elapsed, Numeric) / period, 0), 1)
    return and_(
        Ppa.status.in_([PpaStatus.PLANNING, PpaStatus.ONGOING]),
        Ppa.start_date.is_not(None),
        Ppa.target_end_date.is_not(None),
        share * 100 - Ppa.progress > AT_RISK_MARGIN,
    )


BREAKDOWNS: dict[str, tuple[Any, type[StrEnum]]] = {
    "status": (Ppa.status, PpaStatus),
    "category": (Ppa.category, PpaCategory),
    "sector": (Ppa.sector, Sector),
    "approval_status": (Ppa.approval_status, ApprovalStatus),
}


@dataclass(frozen=True)
class DashboardQueries:
    ppas: Select[*tuple[Any, ...]]
    funding: Select[*tuple[Any, ...]]
    upcoming: Select[*tuple[Any, ...]]
    needs: Select[*tuple[Any, ...]]


@cache
def dashboard_queries(filtered: frozenset[str]) -> DashboardQueries:
    """The four statements, built once per process and set of `filtered` names (the
    `DashboardFilters` given) with `today`, `upcoming_end` and the filters' values as
    parameters: about 60 columns are not rebuilt and their cache key not recomputed on
    every request."""
    today = bindparam("today", type_=Date)
    scope = [Ppa.fiscal_year == bindparam("fiscal_year", type_=Integer)] * (
        "fiscal_year" in filtered
    )
    scope += [
        column.overlap(bindparam(name, type_=column.type))
        for name, column in RECORD_FILTERS.items()
        if name in filtered
    ]
    scoped = bool(scope)
    ppas_in_scope = select(Ppa.id).where(*scope)

    # 1. Counts, breakdowns, budget allocation and progress of the PPAs: one pass.
    columns: list[Any] = [
        func.count().label("total"),
        func.coalesce(func.sum(Ppa.budget_allocation), 0).label("budget_allocation"),
        func.avg(Ppa.progress).label("average_progress"),
        func.count().filter(at_risk_condition(today)).label("at_risk"),
    ]
    for name, (column, values) in BREAKDOWNS.items():
        columns += [
            func.count().filter(column == value).label(f"{name}__{value.value}") for value in values
        ]
    columns.append(func.count().filter(Ppa.sector.is_(None)).label(f"sector__{UNSPECIFIED}"))
    columns += [
        func.count().filter(Ppa.sdgs.any_() == goal).label(f"sdg__{goal}")
        for goal in SUSTAINABLE_DEVELOPMENT_GOALS
    ]
    columns += [
        func.count().filter(Ppa.tags.any_() == tag).label(f"tag__{tag.value}") for tag in PpaTag
    ]
    columns += [
        func.coalesce(func.sum(Ppa.beneficiaries_targeted), 0).label("beneficiaries_targeted"),
        func.coalesce(func.sum(Ppa.beneficiaries_reached), 0).label("beneficiaries_reached"),
    ]
    ppas = select(*columns).select_from(Ppa).where(*scope)

    # 2. Funding of those PPAs by tranche type.
    funding = select(*tranche_sums()).select_from(FundingTranche)
    if scoped:
        funding = funding.where(FundingTranche.ppa_id.in_(ppas_in_scope))

    # 3. Open milestones of the next 30 days (today included), soonest first.
    upcoming = (
        select(
            Milestone.id,
            Milestone.ppa_id,
            Ppa.title.label("ppa_title"),
            Milestone.title,
            Milestone.date,
            Milestone.status,
        )
        .join(Ppa, Ppa.id == Milestone.ppa_id)
        .where(
            Milestone.date >= today,
            Milestone.date <= bindparam("upcoming_end", type_=Date),
            Milestone.status.not_in([MilestoneStatus.COMPLETED, MilestoneStatus.CANCELLED]),
            *scope,
        )
        .order_by(Milestone.date, Milestone.id)
        .limit(UPCOMING_LIMIT)
    )

    # 4. Needs coverage: every need, and those linked to at least one PPA in scope.
    addressed = select(func.count(distinct(NeedPpaLink.need_id)))
    if scoped:
        addressed = addressed.where(NeedPpaLink.ppa_id.in_(ppas_in_scope))
    needs = select(
        select(func.count()).select_from(Need).scalar_subquery().label("total"),
        addressed.scalar_subquery().label("addressed"),
    )
    return DashboardQueries(ppas, funding, upcoming, needs)


def portfolio_dashboard(
    session: Session, filters: DashboardFilters | None = None, today: date | None = None
) -> Dashboard:
    """Everything DOMAIN.md lists for the dashboard, for the PPAs `filters` selects (all of
    them when none), with their SDGs, tags and beneficiaries."""
    filters = filters or DashboardFilters()
    today = today or date.today()
    given = filters.model_dump(exclude_defaults=True)
    queries = dashboard_queries(frozenset(given))
    params: dict[str, Any] = {
        "today": today,
        "upcoming_end": today + timedelta(days=UPCOMING_DAYS),
        **given,
    }
    ppa_row = session.execute(queries.ppas, params).one()._mapping

    def breakdown(name: str) -> dict[str, int]:
        prefix = f"{name}__"
        return {
            key.removeprefix(prefix): int(value)
            for key, value in ppa_row.items()
            if isinstance(key, str) and key.startswith(prefix)
        }

    sums = session.execute(queries.funding, params).one()
    figures = FundingFigures.from_sums(Decimal(ppa_row["budget_allocation"]), sums)
    upcoming = session.execute(queries.upcoming, params).all()
    needs_row = session.execute(queries.needs, params).one()

    average = ppa_row["average_progress"]
    by_status = breakdown("status")
    return Dashboard(
        fiscal_year=filters.fiscal_year,
        as_of=today,
        total_ppas=ppa_row["total"],
        by_status=by_status,
        by_category=breakdown("category"),
        by_sector=breakdown("sector"),
        by_approval_status=breakdown("approval_status"),
        by_sdg=breakdown("sdg"),
        by_tag=breakdown("tag"),
        beneficiaries=Beneficiaries(
            targeted=ppa_row["beneficiaries_targeted"], reached=ppa_row["beneficiaries_reached"]
        ),
        budget=model_of(
            BudgetFigures, figures, budget_allocation=figures.budget_allocation or Decimal(0)
        ),
        average_progress=(
            None
            if average is None
            else float(Decimal(average).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
        ),
        ongoing=by_status[PpaStatus.ONGOING.value],
        completed=by_status[PpaStatus.COMPLETED.value],
        at_risk=ppa_row["at_risk"],
        upcoming_milestones=[UpcomingMilestone.model_validate(row) for row in upcoming],
        needs=NeedsCoverage(
            total=needs_row.total,
            addressed=needs_row.addressed,
            coverage_percent=percent(Decimal(needs_row.addressed), Decimal(needs_row.total)),
        ),
    )
