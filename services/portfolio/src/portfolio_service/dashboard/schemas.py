"""Portfolio dashboard response schema."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel

from obcms_platform.schemas import ResponseModel
from obcms_platform.vocabulary import PpaTag
from portfolio_service.fields import FiscalYear, Money, ProvinceCode, RegionCode, Sdg
from portfolio_service.milestones.models import MilestoneStatus
from portfolio_service.ppas.models import PpaStatus


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


class IndicatorAttainment(ResponseModel):
    """The indicators of the PPAs in scope by where they stand (`IndicatorRead`); exceeded:
    those past their target (attainment above 100, counted in on_track too); average: of their
    attainments, each counted between 0 and 100 (one far past its target does not hide one
    behind), one decimal; null when none has an attainment."""

    total: int
    on_track: int
    behind: int
    no_data: int
    exceeded: int
    average_attainment: float | None


class StalePpa(ResponseModel):
    id: uuid.UUID
    title: str
    status: PpaStatus
    last_update_on: date | None


class StaleUpdates(ResponseModel):
    """Open PPAs (not completed or cancelled) whose last status update (or, with none, whose
    creation) is `stale_days` or more days old: `total` of them, the longest silent first in
    `ppas` (at most 20)."""

    stale_days: int
    total: int
    ppas: list[StalePpa]


class UnderObligatedPpa(ResponseModel):
    id: uuid.UUID
    title: str
    allocated: Money
    obligated: Money
    obligation_rate: float


class QuarterUnderObligation(ResponseModel):
    """The PPAs under-obligated at the end of the last completed quarter: counting the
    tranches dated up to `quarter_end`, an obligation rate below 75 % of what was allocated
    (PPAs with nothing allocated have no rate). Lowest rate first, at most 20; `total`
    counts them all."""

    quarter: str
    quarter_end: date
    total: int
    ppas: list[UnderObligatedPpa]


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
    # Over the PPAs with tasks linked (`with_tasks` of them): one without has no progress
    # to average (its 0 % measures nothing). None: no PPA has tasks.
    average_progress: float | None
    with_tasks: int
    ongoing: int
    completed: int
    at_risk: int
    # Spending above its budget allocation, or counted against a budget ceiling that is over
    # (`ppas.service.over_budget_condition`; the PPA list's `over_budget` filter).
    over_budget: int
    # The open milestones of the next `upcoming_days` days (today included), soonest first.
    upcoming_days: int
    upcoming_milestones: list[UpcomingMilestone]
    needs: NeedsCoverage
    indicators: IndicatorAttainment
    stale_updates: StaleUpdates
    under_obligated: QuarterUnderObligation
