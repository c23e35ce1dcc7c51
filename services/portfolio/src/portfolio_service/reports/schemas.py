"""Report schemas: the budget-execution report, and the PPAs' monitoring (their indicators and
latest status update) that the printed portfolio report lists."""

from __future__ import annotations

import uuid
from datetime import date

from obcms_platform.schemas import ResponseModel
from portfolio_service.dashboard.schemas import DashboardFilters
from portfolio_service.fields import Measured, Money
from portfolio_service.indicators.models import IndicatorStatus
from portfolio_service.ppas.models import PpaStatus, Sector


class BudgetExecutionFilters(DashboardFilters):
    """The dashboard's filters (fiscal year, region, province, tag, SDG) and one sector."""

    sector: Sector | None = None


class BudgetExecutionFigures(ResponseModel):
    """Sums over PPAs; rates as DOMAIN.md gives them, null when their denominator is 0.

    budget_allocation: the PPAs' own budget_allocation; allocated: allocation tranches plus
    adjustments; obligated, disbursed: their tranches; every sum net of reversals (a
    reversal is a tranche of the opposite amount). obligation_rate: obligated / allocated;
    disbursement_rate: disbursed / obligated; utilization_rate: disbursed /
    budget_allocation; all x 100, two decimals. ceiling: the active budget ceiling of the
    sector and fiscal year (in the totals, the sum of the rows' ceilings; null when none has
    one)."""

    ppa_count: int
    budget_allocation: Money
    allocated: Money
    obligated: Money
    disbursed: Money
    ceiling: Money | None
    obligation_rate: float | None
    disbursement_rate: float | None
    utilization_rate: float | None


class BudgetExecutionRow(BudgetExecutionFigures):
    """One sector in one fiscal year (null: PPAs without a sector, or a fiscal year)."""

    sector: Sector | None
    fiscal_year: int | None


class BudgetExecution(ResponseModel):
    """Rows by fiscal year (latest first, then without one) and sector, and their totals."""

    as_of: date
    rows: list[BudgetExecutionRow]
    totals: BudgetExecutionFigures


class MonitoredIndicator(ResponseModel):
    """An indicator's figures as `IndicatorRead` has them; `latest_value` at
    `latest_period_end` (null: no actual yet)."""

    name: str
    unit: str
    baseline: Measured
    target: Measured
    target_date: date
    latest_value: Measured | None
    latest_period_end: date | None
    attainment: float | None
    status: IndicatorStatus


class LatestUpdate(ResponseModel):
    as_of: date
    narrative: str
    progress: int | None
    issues: str


class MonitoredPpa(ResponseModel):
    """`at_risk`: behind schedule (the dashboard's at-risk rule)."""

    id: uuid.UUID
    title: str
    status: PpaStatus
    progress: int
    # How many tasks `progress` counts (none: it measures nothing).
    tasks_linked: int
    at_risk: bool
    indicators: list[MonitoredIndicator]
    latest_update: LatestUpdate | None


class PpaMonitoring(ResponseModel):
    """The PPAs the filters select, by title, each with its indicators (oldest first) and its
    latest status update."""

    as_of: date
    ppas: list[MonitoredPpa]
