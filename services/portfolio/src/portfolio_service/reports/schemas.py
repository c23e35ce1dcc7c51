"""Budget-execution report schemas."""

from __future__ import annotations

from datetime import date

from obcms_platform.schemas import ResponseModel
from portfolio_service.dashboard.schemas import DashboardFilters
from portfolio_service.fields import Money
from portfolio_service.ppas.models import Sector


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
