"""The portfolio dashboard: four statements, whatever the size of the portfolio."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from functools import cache
from types import SimpleNamespace
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    Select,
    String,
    bindparam,
    cast,
    distinct,
    func,
    literal,
    literal_column,
    select,
    true,
)
from sqlalchemy.engine import RowMapping
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeEngine

from obcms_platform.obligation import UNDER_OBLIGATED_BELOW
from obcms_platform.records import model_of
from obcms_platform.vocabulary import SUSTAINABLE_DEVELOPMENT_GOALS, UNSPECIFIED_SECTOR, PpaTag
from obcms_platform.zones import office_today
from portfolio_service.dashboard.schemas import (
    Beneficiaries,
    BudgetFigures,
    Dashboard,
    DashboardFilters,
    IndicatorAttainment,
    NeedsCoverage,
    QuarterUnderObligation,
    StalePpa,
    StaleUpdates,
    UnderObligatedPpa,
    UpcomingMilestone,
)
from portfolio_service.fields import percent
from portfolio_service.funding.models import FundingTranche, TrancheType
from portfolio_service.funding.service import ALLOCATING, FundingFigures, tranche_sums
from portfolio_service.indicators.models import Indicator, IndicatorStatus
from portfolio_service.indicators.service import indicator_figures
from portfolio_service.milestones.models import Milestone, MilestoneStatus
from portfolio_service.needs.models import Need, NeedPpaLink
from portfolio_service.ppas.models import (
    ApprovalStatus,
    Ppa,
    PpaCategory,
    PpaStatus,
    Sector,
    has_tasks_linked,
)
from portfolio_service.ppas.service import (
    RECORD_FILTERS,
    at_risk_condition,
    over_budget_condition,
)

UPCOMING_DAYS = 30
UPCOMING_LIMIT = 10
UNDER_OBLIGATED_LIMIT = 20
STALE_DAYS = 30  # default of `stale_days`
STALE_LIMIT = 20
# PPAs expected to report: not completed or cancelled.
REPORTING_STATUSES = (PpaStatus.PLANNING, PpaStatus.ONGOING, PpaStatus.ON_HOLD)


BREAKDOWNS: dict[str, tuple[Any, type[StrEnum]]] = {
    "status": (Ppa.status, PpaStatus),
    "category": (Ppa.category, PpaCategory),
    "sector": (Ppa.sector, Sector),
    "approval_status": (Ppa.approval_status, ApprovalStatus),
}


def written(value: object, type_: TypeEngine[Any]) -> ColumnElement[Any]:
    """The constant `value` written into the statement as SQL rather than bound: the
    breakdowns' fifty constants as parameters made the statement too long and too many-valued
    for psycopg's cache of converted statements, which then parsed it again on every request."""
    rendered = literal(value, type_).compile(compile_kwargs={"literal_binds": True})
    return literal_column(str(rendered), type_)


@dataclass(frozen=True)
class DashboardQueries:
    # The one-row aggregates (the PPAs' figures, funding, needs, indicators) in one row.
    summary: Select[*tuple[Any, ...]]
    upcoming: Select[*tuple[Any, ...]]
    stale: Select[*tuple[Any, ...]]
    under_obligated: Select[*tuple[Any, ...]]


def summary_of(
    ppas: Select[*tuple[Any, ...]], parts: dict[str, Select[*tuple[Any, ...]]]
) -> Select[*tuple[Any, ...]]:
    """One statement, one row: the columns of `ppas` as they are, then those of each of
    `parts` prefixed with its name. Each is an aggregate of one row, so joining them on
    nothing makes one row; one round trip instead of one each."""
    figures = ppas.subquery("ppa_figures")
    nested = {name: statement.subquery(name) for name, statement in parts.items()}
    summary = select(
        *figures.c,
        *(
            column.label(f"{name}__{column.name}")
            for name, subquery in nested.items()
            for column in subquery.c
        ),
    ).select_from(figures)
    for subquery in nested.values():
        summary = summary.join(subquery, true())
    return summary


def prefixed(row: RowMapping, name: str) -> dict[str, Any]:
    """The columns of `row` labelled ``<name>__<column>``, by their own names: a part of the
    summary (`summary_of`), or a breakdown of the PPAs' figures (one column per value)."""
    prefix = f"{name}__"
    return {
        key.removeprefix(prefix): value
        for key, value in row.items()
        if isinstance(key, str) and key.startswith(prefix)
    }


def part_of(row: RowMapping, name: str) -> SimpleNamespace:
    """The columns of the summary's part `name`, by their own names."""
    return SimpleNamespace(**prefixed(row, name))


@cache
def dashboard_queries(filtered: frozenset[str]) -> DashboardQueries:
    """The statements, built once per process and set of `filtered` names (the
    `DashboardFilters` given) with `today`, `upcoming_end`, `stale_since`, `quarter_end` and
    the filters' values as parameters: about 60 columns are not rebuilt and their cache key
    not recomputed on every request. Every statement counts the PPAs the filters select."""
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
        func.avg(Ppa.progress).filter(has_tasks_linked()).label("average_progress"),
        func.count().filter(has_tasks_linked()).label("with_tasks"),
        func.count().filter(at_risk_condition(today)).label("at_risk"),
        func.count().filter(over_budget_condition()).label("over_budget"),
    ]
    for name, (column, values) in BREAKDOWNS.items():
        columns += [
            func.count()
            .filter(column == written(value, column.type))
            .label(f"{name}__{value.value}")
            for value in values
        ]
    columns.append(func.count().filter(Ppa.sector.is_(None)).label(f"sector__{UNSPECIFIED_SECTOR}"))
    columns += [
        func.count().filter(Ppa.sdgs.any_() == written(goal, Integer())).label(f"sdg__{goal}")
        for goal in SUSTAINABLE_DEVELOPMENT_GOALS
    ]
    columns += [
        func.count()
        .filter(Ppa.tags.any_() == written(tag.value, String()))
        .label(f"tag__{tag.value}")
        for tag in PpaTag
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

    # 5. Indicators of the PPAs in scope by where they stand, and their average attainment.
    figures = indicator_figures(Indicator.id).where(*scope).subquery()
    counts = [
        func.count().filter(figures.c.status == status.value).label(status.value)
        for status in IndicatorStatus
    ]
    indicators = select(
        func.count().label("total"),
        *counts,
        func.count().filter(figures.c.attainment > 100).label("exceeded"),
        func.round(func.avg(figures.c.counted), 1).label("average_attainment"),
    ).select_from(figures)

    # 6. Open PPAs silent since `stale_since` (by their last update, else their creation),
    # the longest silent first, with how many there are in all.
    silent_since = func.coalesce(Ppa.last_update_on, cast(Ppa.created_at, Date))
    stale = (
        select(
            Ppa.id,
            Ppa.title,
            Ppa.status,
            Ppa.last_update_on.label("last_update_on"),
            func.count().over().label("total"),
        )
        .where(
            Ppa.status.in_(REPORTING_STATUSES),
            silent_since <= bindparam("stale_since", type_=Date),
            *scope,
        )
        .order_by(silent_since, Ppa.id)
        .limit(STALE_LIMIT)
    )

    # 7. PPAs under-obligated at the end of the last completed quarter, lowest rate first.
    amount = FundingTranche.amount
    at_quarter_end = (
        select(
            FundingTranche.ppa_id,
            func.coalesce(
                func.sum(amount).filter(FundingTranche.tranche_type.in_(ALLOCATING)), 0
            ).label("allocated"),
            func.coalesce(
                func.sum(amount).filter(FundingTranche.tranche_type == TrancheType.OBLIGATION), 0
            ).label("obligated"),
        )
        .where(FundingTranche.date <= bindparam("quarter_end", type_=Date))
        .group_by(FundingTranche.ppa_id)
        .subquery()
    )
    allocated, obligated = at_quarter_end.c.allocated, at_quarter_end.c.obligated
    under_obligated = (
        select(
            Ppa.id,
            Ppa.title,
            allocated,
            obligated,
            func.count().over().label("total"),
        )
        .join(at_quarter_end, at_quarter_end.c.ppa_id == Ppa.id)
        .where(allocated > 0, obligated * 100 < allocated * UNDER_OBLIGATED_BELOW, *scope)
        .order_by(obligated / allocated, Ppa.title, Ppa.id)
        .limit(UNDER_OBLIGATED_LIMIT)
    )
    summary = summary_of(ppas, {"funding": funding, "needs": needs, "indicators": indicators})
    return DashboardQueries(summary, upcoming, stale, under_obligated)


def last_quarter_end(today: date) -> date:
    """The last day of the last quarter (of the calendar year) completed before `today`."""
    quarter_start = date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    return quarter_start - timedelta(days=1)


def portfolio_dashboard(
    session: Session,
    filters: DashboardFilters | None = None,
    today: date | None = None,
    stale_days: int = STALE_DAYS,
) -> Dashboard:
    """Everything DOMAIN.md lists for the dashboard, for the PPAs `filters` selects (all of
    them when none), with their SDGs, tags and beneficiaries; and the indicators' attainment
    and the PPAs without a status update for `stale_days`."""
    filters = filters or DashboardFilters()
    today = today or office_today()
    given = filters.model_dump(exclude_defaults=True)
    queries = dashboard_queries(frozenset(given))
    quarter_end = last_quarter_end(today)
    params: dict[str, Any] = {
        "today": today,
        "upcoming_end": today + timedelta(days=UPCOMING_DAYS),
        "stale_since": today - timedelta(days=stale_days),
        "quarter_end": quarter_end,
        **given,
    }
    # Aggregate rows, no records: run on the session's connection, past the ORM's execution
    # layer (result setup and loading: a good part of each statement's CPU here).
    connection = session.connection()
    ppa_row = connection.execute(queries.summary, params).one()._mapping

    def breakdown(name: str) -> dict[str, int]:
        return {key: int(value) for key, value in prefixed(ppa_row, name).items()}

    figures = FundingFigures.from_sums(
        Decimal(ppa_row["budget_allocation"]), part_of(ppa_row, "funding")
    )
    needs_row = part_of(ppa_row, "needs")
    indicator_row = part_of(ppa_row, "indicators")
    upcoming = connection.execute(queries.upcoming, params).all()
    stale = connection.execute(queries.stale, params).all()
    under_obligated = connection.execute(queries.under_obligated, params).all()

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
        with_tasks=ppa_row["with_tasks"],
        ongoing=by_status[PpaStatus.ONGOING.value],
        completed=by_status[PpaStatus.COMPLETED.value],
        at_risk=ppa_row["at_risk"],
        over_budget=ppa_row["over_budget"],
        upcoming_days=UPCOMING_DAYS,
        upcoming_milestones=[UpcomingMilestone.model_validate(row) for row in upcoming],
        needs=NeedsCoverage(
            total=needs_row.total,
            addressed=needs_row.addressed,
            coverage_percent=percent(Decimal(needs_row.addressed), Decimal(needs_row.total)),
        ),
        indicators=IndicatorAttainment(
            total=indicator_row.total,
            on_track=indicator_row.on_track,
            behind=indicator_row.behind,
            no_data=indicator_row.no_data,
            exceeded=indicator_row.exceeded,
            average_attainment=(
                None
                if indicator_row.average_attainment is None
                else float(indicator_row.average_attainment)
            ),
        ),
        stale_updates=StaleUpdates(
            stale_days=stale_days,
            total=stale[0].total if stale else 0,
            ppas=[StalePpa.model_validate(row) for row in stale],
        ),
        under_obligated=QuarterUnderObligation(
            quarter=f"{quarter_end.year} Q{quarter_end.month // 3}",
            quarter_end=quarter_end,
            total=under_obligated[0].total if under_obligated else 0,
            ppas=[
                UnderObligatedPpa(
                    id=row.id,
                    title=row.title,
                    allocated=row.allocated,
                    obligated=row.obligated,
                    obligation_rate=percent(row.obligated, row.allocated) or 0.0,
                )
                for row in under_obligated
            ],
        ),
    )
