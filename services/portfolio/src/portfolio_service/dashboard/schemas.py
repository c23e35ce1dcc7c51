"""Portfolio dashboard response schema."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel

from obcms_platform.schemas import ResponseModel
from obcms_platform.vocabulary import PpaTag
from portfolio_service.fields import FiscalYear, Money, ProvinceCode, RegionCode, Sdg
from portfolio_service.milestones.models import MilestoneStatus


class DashboardFilters(BaseModel):
    """Which PPAs the dashboard sums up: the PPA list's filters of the same names."""

    fiscal_year: FiscalYear | None = None
    region: list[RegionCode] = []
    province: list[ProvinceCode] = []
    tag: list[PpaTag] = []
    sdg: list[Sdg] = []


class Beneficiaries(ResponseModel):
    """Sums over the PPAs in scope that give the number."""

    targeted: int
    reached: int


class BudgetFigures(ResponseModel):
    """Sums over the PPAs in scope; rates as in the funding summary of one PPA.

    budget_allocation: the PPAs' own budget_allocation; allocated: allocation tranches plus
    adjustments; utilization: disbursed / budget_allocation. Amounts are added up whatever
    each PPA's budget_currency.
    """

    budget_allocation: Money
    allocations: Money
    adjustments: Money
    allocated: Money
    obligated: Money
    disbursed: Money
    obligation_rate: float | None
    disbursement_rate: float | None
    utilization_rate: float | None


class UpcomingMilestone(ResponseModel):
    id: uuid.UUID
    ppa_id: uuid.UUID
    ppa_title: str
    title: str
    date: date
    status: MilestoneStatus


class NeedsCoverage(ResponseModel):
    """total: every need; addressed: needs linked to at least one PPA in scope."""

    total: int
    addressed: int
    coverage_percent: float | None


class Dashboard(ResponseModel):
    fiscal_year: int | None
    as_of: date
    total_ppas: int
    by_status: dict[str, int]
    by_category: dict[str, int]
    by_sector: dict[str, int]
    by_approval_status: dict[str, int]
    # PPAs by SDG ("1".."17") and by tag: a PPA counts under each of its goals and tags.
    by_sdg: dict[str, int]
    by_tag: dict[str, int]
    beneficiaries: Beneficiaries
    budget: BudgetFigures
    average_progress: float | None
    ongoing: int
    completed: int
    at_risk: int
    upcoming_milestones: list[UpcomingMilestone]
    needs: NeedsCoverage
