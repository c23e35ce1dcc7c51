"""PPA request and response schemas."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import BaseModel, Field

from obcms_platform.exports import Column, Imported, field, named
from obcms_platform.imports import (
    amount,
    choice,
    day,
    identifier,
    listed,
    text,
    whole_number,
)
from obcms_platform.schemas import (
    ActivePersonId,
    KnownPersonId,
    LongText,
    PlausibleDate,
    RequestModel,
    ResponseModel,
    Title,
    UpdateModel,
)
from obcms_platform.vocabulary import AreaLevel, PpaTag
from portfolio_service.approvals.schemas import ApprovalHistoryRead
from portfolio_service.fields import (
    Amount,
    Coverage,
    FiscalYear,
    Headcount,
    Money,
    ProvinceCode,
    RegionCode,
    Sdg,
    Sdgs,
    SearchText,
    ShortText,
    Tags,
)
from portfolio_service.milestones.schemas import MilestoneRead
from portfolio_service.ppas.models import (
    AppropriationClass,
    ApprovalStatus,
    FundingSource,
    PpaCategory,
    PpaPriority,
    PpaStatus,
    Sector,
)

# A PPA's team: distinct people, a few dozen at most.
# A new PPA's people, and its people as an edit sends them back (keeping someone who has
# left since).
People = Annotated[list[ActivePersonId], Field(max_length=50)]
KeptPeople = Annotated[list[KnownPersonId], Field(max_length=50)]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code")]


class PpaCreate(RequestModel):
    """`progress` and `approval_status` are not accepted: the service derives them."""

    title: Title
    summary: LongText = ""
    category: PpaCategory
    status: PpaStatus = PpaStatus.PLANNING
    priority: PpaPriority = PpaPriority.MEDIUM
    sector: Sector | None = None
    appropriation_class: AppropriationClass | None = None
    funding_source: FundingSource | None = None
    implementing_office: ShortText = ""
    fiscal_year: FiscalYear | None = None
    plan_year: FiscalYear | None = None
    start_date: PlausibleDate | None = None
    target_end_date: PlausibleDate | None = None
    actual_end_date: PlausibleDate | None = None
    budget_allocation: Amount | None = None
    budget_ceiling: Amount | None = None
    budget_currency: Currency = "PHP"
    lead_id: ActivePersonId | None = None
    member_ids: People = []
    coverage: Coverage = []
    communities: LongText = ""
    implementing_partner: ShortText = ""
    moa_reference: ShortText = ""
    moa_date: PlausibleDate | None = None
    beneficiaries_targeted: Headcount | None = None
    beneficiaries_reached: Headcount | None = None
    tags: Tags = []
    sdgs: Sdgs = []
    accomplishments: LongText = ""
    challenges: LongText = ""


class PpaUpdate(UpdateModel):
    """Partial update: only the fields present change; null clears an optional field."""

    clearable: ClassVar[frozenset[str]] = frozenset(
        {
            "sector",
            "appropriation_class",
            "funding_source",
            "fiscal_year",
            "plan_year",
            "start_date",
            "target_end_date",
            "actual_end_date",
            "budget_allocation",
            "budget_ceiling",
            "lead_id",
            "moa_date",
            "beneficiaries_targeted",
            "beneficiaries_reached",
        }
    )

    title: Title | None = None
    summary: LongText | None = None
    category: PpaCategory | None = None
    status: PpaStatus | None = None
    priority: PpaPriority | None = None
    sector: Sector | None = None
    appropriation_class: AppropriationClass | None = None
    funding_source: FundingSource | None = None
    implementing_office: ShortText | None = None
    fiscal_year: FiscalYear | None = None
    plan_year: FiscalYear | None = None
    start_date: PlausibleDate | None = None
    target_end_date: PlausibleDate | None = None
    actual_end_date: PlausibleDate | None = None
    budget_allocation: Amount | None = None
    budget_ceiling: Amount | None = None
    budget_currency: Currency | None = None
    lead_id: KnownPersonId | None = None
    member_ids: KeptPeople | None = None
    coverage: Coverage | None = None
    communities: LongText | None = None
    implementing_partner: ShortText | None = None
    moa_reference: ShortText | None = None
    moa_date: PlausibleDate | None = None
    beneficiaries_targeted: Headcount | None = None
    beneficiaries_reached: Headcount | None = None
    tags: Tags | None = None
    sdgs: Sdgs | None = None
    accomplishments: LongText | None = None
    challenges: LongText | None = None


class CoveredArea(ResponseModel):
    """One area of a PPA's coverage, named: `label` adds its municipality and province (a
    code that a later PSGC release dropped stays in `coverage`, unnamed)."""

    code: str
    name: str
    level: AreaLevel
    label: str


class PpaRead(ResponseModel):
    id: uuid.UUID
    title: str
    summary: str
    category: PpaCategory
    status: PpaStatus
    priority: PpaPriority
    sector: Sector | None
    appropriation_class: AppropriationClass | None
    funding_source: FundingSource | None
    implementing_office: str
    fiscal_year: int | None
    plan_year: int | None
    start_date: date | None
    target_end_date: date | None
    actual_end_date: date | None
    budget_allocation: Money | None
    budget_ceiling: Money | None
    budget_currency: str
    progress: int
    # How many tasks its progress counts; none: the 0 % above measures nothing.
    tasks_linked: int
    approval_status: ApprovalStatus
    approval_history: list[ApprovalHistoryRead]
    milestones: list[MilestoneRead]
    need_ids: list[uuid.UUID]
    last_update_on: date | None
    # The progress the latest status update reporting one gave, and its day (null: none).
    reported_progress: int | None
    reported_on: date | None
    created_by: uuid.UUID | None
    updated_by: uuid.UUID | None
    lead_id: uuid.UUID | None
    member_ids: list[uuid.UUID]
    coverage: list[str]
    coverage_areas: list[CoveredArea]
    communities: str
    implementing_partner: str
    moa_reference: str
    moa_date: date | None
    beneficiaries_targeted: int | None
    beneficiaries_reached: int | None
    cost_per_beneficiary: Money | None
    tags: list[PpaTag]
    sdgs: list[int]
    accomplishments: str
    challenges: str
    created_at: datetime
    updated_at: datetime
    version: int


class PpaListItem(PpaRead):
    """A PPA as its list shows it: with what its tranches allocated (allocations and
    adjustments), obligated and disbursed, net of reversals, as its funding page counts them."""

    allocated_total: Money
    obligated_total: Money
    disbursed_total: Money


class PpaSort(StrEnum):
    """The PPA list's orders: a field, descending after a minus; newest first by default."""

    CREATED_AT_DESC = "-created_at"
    CREATED_AT = "created_at"
    UPDATED_AT_DESC = "-updated_at"
    TITLE = "title"
    TITLE_DESC = "-title"
    STATUS = "status"
    STATUS_DESC = "-status"
    FISCAL_YEAR = "fiscal_year"
    FISCAL_YEAR_DESC = "-fiscal_year"
    BUDGET = "budget_allocation"
    BUDGET_DESC = "-budget_allocation"
    ALLOCATED = "allocated_total"
    ALLOCATED_DESC = "-allocated_total"
    OBLIGATED = "obligated_total"
    OBLIGATED_DESC = "-obligated_total"
    DISBURSED = "disbursed_total"
    DISBURSED_DESC = "-disbursed_total"
    PROGRESS = "progress"
    PROGRESS_DESC = "-progress"
    START_DATE = "start_date"
    TARGET_END_DATE = "target_end_date"


class PpaFilters(BaseModel):
    """The list filters of API.md; all combine with AND, repeated values within one OR; and
    the list's order."""

    category: list[PpaCategory] = []
    status: list[PpaStatus] = []
    sector: list[Sector] = []
    fiscal_year: FiscalYear | None = None
    approval_status: list[ApprovalStatus] = []
    q: SearchText | None = None
    # PPAs covering any part of the region or province (a barangay of it counts).
    region: list[RegionCode] = []
    province: list[ProvinceCode] = []
    tag: list[PpaTag] = []
    sdg: list[Sdg] = []
    # Behind schedule, as the dashboard counts it (true), or not (false).
    at_risk: bool | None = None
    # Over budget, as the dashboard counts it (`ppas.service.over_budget_condition`), or not.
    over_budget: bool | None = None
    # Led by any of these people (a person's PPAs to hand over when they leave).
    lead: list[uuid.UUID] = []
    sort: PpaSort = PpaSort.CREATED_AT_DESC


# A goal as the export writes it: "SDG 5".
SDG_PREFIX = "SDG "


def _goal(value: object) -> int:
    """A goal read back: "SDG 5", or its number alone."""
    words = text(value).strip()
    if words.casefold().startswith(SDG_PREFIX.casefold()):
        words = words[len(SDG_PREFIX) :]
    return whole_number(words)


# The columns of the PPA list's export, as its form names them; people by name (and by user
# id, the columns an import reads), places as their PSGC codes, tags in words. An import
# (`obcms_platform.imports`) reads back every column with a reader; progress, approval
# status, the names and the moments are the service's.
PPA_EXPORT_COLUMNS = (
    field("title", "Title", text),
    field("category", "Category", choice(PpaCategory)),
    field("status", "Status", choice(PpaStatus)),
    field("priority", "Priority", choice(PpaPriority)),
    field("sector", "Sector", choice(Sector)),
    field("appropriation_class", "Appropriation class", choice(AppropriationClass)),
    field("funding_source", "Funding source", choice(FundingSource)),
    field("implementing_office", "Implementing office", text),
    field("fiscal_year", "Fiscal year", whole_number),
    field("plan_year", "Plan year", whole_number),
    field("start_date", "Start date", day),
    field("target_end_date", "Target end date", day),
    field("actual_end_date", "Actual end date", day),
    field("budget_allocation", "Budget allocation", amount),
    field("budget_ceiling", "Budget ceiling", amount),
    field("budget_currency", "Currency", text),
    # Blank without tasks linked: its 0 % measures nothing (a manager's average would count it).
    Column("Progress (%)", lambda ppa: ppa.progress if ppa.tasks_linked else None),
    field("tasks_linked", "Tasks linked"),
    field("reported_progress", "Reported progress (%)"),
    field("reported_on", "Reported on"),
    field("approval_status", "Approval status"),
    field("allocated_total", "Allocated"),
    field("obligated_total", "Obligated"),
    field("disbursed_total", "Disbursed"),
    named("lead_id", "Lead"),
    named("member_ids", "Members"),
    field("coverage", "Coverage (PSGC codes)", listed(text)),
    field("communities", "Communities", text),
    field("implementing_partner", "Implementing partner", text),
    field("moa_reference", "MOA reference", text),
    field("moa_date", "MOA date", day),
    field("beneficiaries_targeted", "Beneficiaries targeted", whole_number),
    field("beneficiaries_reached", "Beneficiaries reached", whole_number),
    Column(
        "Tags",
        lambda ppa: [PpaTag(tag) for tag in ppa.tags],
        Imported("tags", listed(choice(PpaTag))),
    ),
    Column(
        "SDGs",
        lambda ppa: [f"{SDG_PREFIX}{goal}" for goal in ppa.sdgs],
        Imported("sdgs", listed(_goal)),
    ),
    field("accomplishments", "Accomplishments", text),
    field("challenges", "Challenges", text),
    field("summary", "Summary", text),
    field("lead_id", "Lead (user id)", identifier),
    field("member_ids", "Members (user ids)", listed(identifier)),
    field("id", "PPA id", identifier),
    field("created_at", "Created"),
    field("updated_at", "Updated"),
)
