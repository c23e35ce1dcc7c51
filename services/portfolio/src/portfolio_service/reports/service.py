"""The budget-execution report: what the PPAs of each sector and fiscal year were allocated,
obligated and disbursed, against the sector's budget ceiling. One aggregate query, whatever
the size of the portfolio; and the PPAs' monitoring (indicators, latest update) in three.
Functions take a session and never commit."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, Select, func, literal, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.orm import Session

from obcms_platform.exports import Column, Export
from obcms_platform.zones import office_today
from portfolio_service.ceilings.models import BudgetCeiling
from portfolio_service.dashboard.schemas import DashboardFilters
from portfolio_service.funding.models import FundingTranche, TrancheType
from portfolio_service.funding.service import FundingFigures, tranche_sums
from portfolio_service.indicators.models import Indicator
from portfolio_service.indicators.service import indicator_figures
from portfolio_service.ppas.models import Ppa, Sector
from portfolio_service.ppas.service import at_risk_condition, record_conditions
from portfolio_service.reports.schemas import (
    BudgetExecution,
    BudgetExecutionFigures,
    BudgetExecutionFilters,
    BudgetExecutionRow,
    LatestUpdate,
    MonitoredIndicator,
    MonitoredPpa,
    PpaMonitoring,
)
from portfolio_service.status_updates.models import StatusUpdate


def budget_execution_query(filters: BudgetExecutionFilters) -> Select[Any]:
    """One row per (sector, fiscal year) of the PPAs `filters` selects: their count, their own
    budget allocation, their tranches' sums by type (reversals, negative, included) and the
    active ceiling(s) of that sector and year; latest year first, in the sectors' order."""
    funding = (
        select(FundingTranche.ppa_id, *tranche_sums())
        .group_by(FundingTranche.ppa_id)
        .subquery("funding")
    )
    # A correlated sum, not a join: the ceilings never multiply the PPAs' rows.
    ceiling = (
        select(func.sum(BudgetCeiling.amount))
        .where(
            BudgetCeiling.sector == Ppa.sector,
            BudgetCeiling.fiscal_year == Ppa.fiscal_year,
            BudgetCeiling.is_active,
        )
        .scalar_subquery()
    )
    conditions = record_conditions(filters)
    if filters.fiscal_year is not None:
        conditions.append(Ppa.fiscal_year == filters.fiscal_year)
    if filters.sector is not None:
        conditions.append(Ppa.sector == filters.sector)
    return (
        select(
            Ppa.sector,
            Ppa.fiscal_year,
            func.count().label("ppa_count"),
            func.sum(Ppa.budget_allocation).label("budget_allocation"),
            *(
                func.coalesce(func.sum(funding.c[kind.value]), 0).label(kind.value)
                for kind in TrancheType
            ),
            ceiling.label("ceiling"),
        )
        .select_from(Ppa)
        .outerjoin(funding, funding.c.ppa_id == Ppa.id)
        .where(*conditions)
        .group_by(Ppa.sector, Ppa.fiscal_year)
        .order_by(Ppa.fiscal_year.desc().nulls_last(), Ppa.sector.nulls_last())
    )


def _figures(ppa_count: int, figures: FundingFigures, ceiling: Decimal | None) -> dict[str, Any]:
    return {
        "ppa_count": ppa_count,
        "budget_allocation": figures.budget_allocation or Decimal(0),
        "allocated": figures.allocated,
        "obligated": figures.obligated,
        "disbursed": figures.disbursed,
        "ceiling": ceiling,
        "obligation_rate": figures.obligation_rate,
        "disbursement_rate": figures.disbursement_rate,
        "utilization_rate": figures.utilization_rate,
    }


def budget_execution(
    session: Session, filters: BudgetExecutionFilters, today: date | None = None
) -> BudgetExecution:
    """The report's rows and their totals (the totals' rates from the summed amounts, not an
    average of the rows' rates)."""
    rows: list[BudgetExecutionRow] = []
    count, budget = 0, None
    sums = dict.fromkeys(("allocation", "adjustment", "obligation", "disbursement"), Decimal(0))
    ceilings: Decimal | None = None
    for row in session.execute(budget_execution_query(filters)):
        figures = FundingFigures.from_sums(row.budget_allocation, row)
        rows.append(
            BudgetExecutionRow(
                sector=row.sector,
                fiscal_year=row.fiscal_year,
                **_figures(row.ppa_count, figures, row.ceiling),
            )
        )
        count += row.ppa_count
        if row.budget_allocation is not None:
            budget = (budget or Decimal(0)) + row.budget_allocation
        for kind in sums:
            sums[kind] += getattr(row, kind)
        if row.ceiling is not None:
            ceilings = (ceilings or Decimal(0)) + row.ceiling
    totals = FundingFigures(
        budget_allocation=budget,
        allocations=sums["allocation"],
        adjustments=sums["adjustment"],
        obligated=sums["obligation"],
        disbursed=sums["disbursement"],
    )
    return BudgetExecution(
        as_of=today or office_today(),
        rows=rows,
        totals=BudgetExecutionFigures(**_figures(count, totals, ceilings)),
    )


@dataclass(frozen=True)
class ReportLine:
    """A line of the report's file: a row, or the totals (`fiscal_year` "Total")."""

    fiscal_year: int | str
    sector: Sector | str
    figures: BudgetExecutionFigures


def report_lines(report: BudgetExecution) -> Iterator[ReportLine]:
    for row in report.rows:
        yield ReportLine(
            row.fiscal_year if row.fiscal_year is not None else "No fiscal year",
            row.sector if row.sector is not None else "No sector",
            row,
        )
    yield ReportLine("Total", "All sectors", report.totals)


def _figure(name: str) -> Any:
    return lambda line: getattr(line.figures, name)


BUDGET_EXECUTION_EXPORT = Export(
    "budget-execution",
    (
        Column("Fiscal year", lambda line: line.fiscal_year),
        Column("Sector", lambda line: line.sector),
        Column("PPAs", _figure("ppa_count")),
        Column("Budget allocation", _figure("budget_allocation")),
        Column("Allocated", _figure("allocated")),
        Column("Obligated", _figure("obligated")),
        Column("Disbursed", _figure("disbursed")),
        Column("Active ceiling", _figure("ceiling")),
        Column("Obligation rate (%)", _figure("obligation_rate")),
        Column("Disbursement rate (%)", _figure("disbursement_rate")),
        Column("Utilization rate (%)", _figure("utilization_rate")),
    ),
    lambda session, filters: budget_execution_query(filters),
)


def ppa_monitoring(session: Session, filters: DashboardFilters, today: date) -> PpaMonitoring:
    """The PPAs `filters` selects (as the dashboard counts them), by title, each with its
    indicators' figures (`indicator_figures`, as on its page) and its latest status update."""
    conditions = record_conditions(filters)
    if filters.fiscal_year is not None:
        conditions.append(Ppa.fiscal_year == filters.fiscal_year)
    ppas = session.execute(
        select(
            Ppa.id,
            Ppa.title,
            Ppa.status,
            Ppa.progress,
            Ppa.tasks_linked,
            at_risk_condition(literal(today, Date)).label("at_risk"),
        )
        .where(*conditions)
        .order_by(Ppa.title, Ppa.id)
    ).all()
    in_scope = select(Ppa.id).where(*conditions)
    indicators: dict[Any, list[MonitoredIndicator]] = {}
    for row in session.execute(
        indicator_figures(
            Indicator.ppa_id,
            Indicator.name,
            Indicator.unit,
            Indicator.baseline,
            Indicator.target,
            Indicator.target_date,
        )
        .where(Indicator.ppa_id.in_(in_scope))
        .order_by(Indicator.created_at, Indicator.id)
    ):
        indicators.setdefault(row.ppa_id, []).append(MonitoredIndicator.model_validate(row))
    # The newest of each PPA's log: by the day described, then by when written.
    latest = session.execute(
        select(StatusUpdate)
        .where(StatusUpdate.ppa_id.in_(in_scope))
        .order_by(StatusUpdate.ppa_id, StatusUpdate.as_of.desc(), StatusUpdate.created_at.desc())
        .ext(distinct_on(StatusUpdate.ppa_id))
    ).scalars()
    updates = {update.ppa_id: LatestUpdate.model_validate(update) for update in latest}
    return PpaMonitoring(
        as_of=today,
        ppas=[
            MonitoredPpa(
                id=row.id,
                title=row.title,
                status=row.status,
                progress=row.progress,
                tasks_linked=row.tasks_linked,
                at_risk=bool(row.at_risk),
                indicators=indicators.get(row.id, []),
                latest_update=updates.get(row.id),
            )
            for row in ppas
        ],
    )
