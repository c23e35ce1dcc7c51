"""PPA: a program, project or activity in the portfolio (the original `MonitoringEntry`)."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    CheckConstraint,
    ColumnElement,
    Date,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    Uuid,
    cast,
    func,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import (
    InstrumentedAttribute,
    Mapped,
    column_property,
    mapped_column,
    relationship,
)
from sqlalchemy.sql.selectable import ScalarSelect

from obcms_platform.approval import FROZEN_STAGES
from obcms_platform.columns import Authored, Identified, Versioned
from obcms_platform.db import Timestamped, enum_column
from obcms_platform.model_indexes import trigram_index
from obcms_platform.psgc import Area, gazetteer
from obcms_platform.vocabulary import SUSTAINABLE_DEVELOPMENT_GOALS, PpaTag
from obcms_platform.vocabulary import AppropriationClass as AppropriationClass
from obcms_platform.vocabulary import ApprovalStatus as ApprovalStatus
from obcms_platform.vocabulary import FundingSource as FundingSource
from obcms_platform.vocabulary import PpaCategory as PpaCategory
from obcms_platform.vocabulary import PpaPriority as PpaPriority
from obcms_platform.vocabulary import PpaStatus as PpaStatus
from obcms_platform.vocabulary import Sector as Sector
from portfolio_service.db import Base, history
from portfolio_service.funding.models import FundingTranche, TrancheType
from portfolio_service.progress.models import PpaTaskProjection
from portfolio_service.status_updates.models import StatusUpdate

if TYPE_CHECKING:
    from portfolio_service.approvals.models import ApprovalHistory
    from portfolio_service.milestones.models import Milestone
    from portfolio_service.needs.models import NeedPpaLink


# The approval stages whose PPAs count against their sector's budget ceiling: those whose
# budget is frozen.
CEILING_STAGES = FROZEN_STAGES


class Ppa(Identified, Authored, Versioned, Timestamped, Base):
    __tablename__ = "ppas"

    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[PpaCategory] = mapped_column(enum_column(PpaCategory, "category"))
    status: Mapped[PpaStatus] = mapped_column(
        enum_column(PpaStatus, "status"), default=PpaStatus.PLANNING
    )
    priority: Mapped[PpaPriority] = mapped_column(
        enum_column(PpaPriority, "priority"), default=PpaPriority.MEDIUM
    )
    sector: Mapped[Sector | None] = mapped_column(enum_column(Sector, "sector"))
    appropriation_class: Mapped[AppropriationClass | None] = mapped_column(
        enum_column(AppropriationClass, "appropriation_class")
    )
    funding_source: Mapped[FundingSource | None] = mapped_column(
        enum_column(FundingSource, "funding_source")
    )
    implementing_office: Mapped[str] = mapped_column(String(255), default="")
    fiscal_year: Mapped[int | None] = mapped_column(SmallInteger)
    plan_year: Mapped[int | None] = mapped_column(SmallInteger)
    start_date: Mapped[date | None] = mapped_column(Date)
    target_end_date: Mapped[date | None] = mapped_column(Date)
    actual_end_date: Mapped[date | None] = mapped_column(Date)
    budget_allocation: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    budget_ceiling: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    budget_currency: Mapped[str] = mapped_column(String(3), default="PHP")
    # Derived from the linked tasks (progress.service); never written by clients.
    progress: Mapped[int] = mapped_column(SmallInteger, default=0)
    # Changed only through the approval workflow (approvals.service).
    approval_status: Mapped[ApprovalStatus] = mapped_column(
        enum_column(ApprovalStatus, "approval_status"), default=ApprovalStatus.DRAFT
    )
    # Who runs the PPA: with its creator, they own it (authz.py) and may change it.
    lead_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    member_ids: Mapped[list[uuid.UUID]] = mapped_column(
        ARRAY(Uuid), default=list, server_default=text("'{}'")
    )

    # Where it works: PSGC codes at any level (`obcms_platform.psgc`) and, in words, the
    # communities there.
    coverage: Mapped[list[str]] = mapped_column(
        ARRAY(String(10)), default=list, server_default=text("'{}'")
    )
    # The coverage's codes with all their ancestors, derived on every save: "PPAs in this
    # province" are those whose scope holds the province's code.
    coverage_scope: Mapped[list[str]] = mapped_column(
        ARRAY(String(10)), default=list, server_default=text("'{}'")
    )
    communities: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Who carries it out with OOBC, and the memorandum of agreement that says so.
    implementing_partner: Mapped[str] = mapped_column(String(255), default="", server_default="")
    moa_reference: Mapped[str] = mapped_column(String(255), default="", server_default="")
    moa_date: Mapped[date | None] = mapped_column(Date)
    beneficiaries_targeted: Mapped[int | None] = mapped_column(Integer)
    beneficiaries_reached: Mapped[int | None] = mapped_column(Integer)
    tags: Mapped[list[str]] = mapped_column(
        ARRAY(String(16)), default=list, server_default=text("'{}'")
    )
    # Numbers of the Sustainable Development Goals it contributes to (1..17).
    sdgs: Mapped[list[int]] = mapped_column(
        ARRAY(SmallInteger), default=list, server_default=text("'{}'")
    )
    accomplishments: Mapped[str] = mapped_column(Text, default="", server_default="")
    challenges: Mapped[str] = mapped_column(Text, default="", server_default="")

    milestones: Mapped[list[Milestone]] = relationship(
        viewonly=True, lazy="selectin", order_by="[Milestone.date, Milestone.id]"
    )
    approval_history: Mapped[list[ApprovalHistory]] = relationship(
        viewonly=True,
        lazy="selectin",
        order_by="[ApprovalHistory.changed_at, ApprovalHistory.id]",
    )
    need_links: Mapped[list[NeedPpaLink]] = relationship(
        viewonly=True, lazy="selectin", order_by="NeedPpaLink.need_id"
    )

    __table_args__ = (
        CheckConstraint("progress BETWEEN 0 AND 100", name="progress"),
        CheckConstraint(
            "budget_allocation >= 0"
            " AND (budget_ceiling IS NULL OR budget_allocation <= budget_ceiling)",
            name="budget_allocation",
        ),
        CheckConstraint("budget_ceiling >= 0", name="budget_ceiling"),
        CheckConstraint("budget_currency ~ '^[A-Z]{3}$'", name="budget_currency"),
        CheckConstraint("fiscal_year BETWEEN 1970 AND 2199", name="fiscal_year"),
        CheckConstraint("plan_year BETWEEN 1970 AND 2199", name="plan_year"),
        CheckConstraint(
            "start_date IS NULL OR target_end_date IS NULL OR start_date <= target_end_date",
            name="target_end_date",
        ),
        CheckConstraint(
            "start_date IS NULL OR actual_end_date IS NULL OR start_date <= actual_end_date",
            name="actual_end_date",
        ),
        CheckConstraint("beneficiaries_targeted >= 0", name="beneficiaries_targeted"),
        CheckConstraint("beneficiaries_reached >= 0", name="beneficiaries_reached"),
        CheckConstraint(
            f"tags <@ ARRAY[{', '.join(repr(tag.value) for tag in PpaTag)}]::varchar[]",
            name="tags",
        ),
        CheckConstraint(
            f"sdgs <@ ARRAY[{', '.join(map(str, SUSTAINABLE_DEVELOPMENT_GOALS))}]::smallint[]",
            name="sdgs",
        ),
        # Default listing order.
        Index("ix_ppas__created_at_id", "created_at", "id"),
        # The calendar feed: start and target end dates in a window.
        Index("ix_ppas__start_date", "start_date"),
        Index("ix_ppas__target_end_date", "target_end_date"),
        # List filters (alone and combined) and the dashboard's fiscal-year filter.
        Index("ix_ppas__fiscal_year_status", "fiscal_year", "status"),
        Index("ix_ppas__status", "status"),
        Index("ix_ppas__category_status", "category", "status"),
        # The budget-ceiling check: PPAs of one sector and fiscal year in an approval stage.
        Index(
            "ix_ppas__sector_fiscal_year_approval_status",
            "sector",
            "fiscal_year",
            "approval_status",
        ),
        # The region, province, tag and SDG filters of the list and the dashboard.
        Index("ix_ppas__coverage_scope", "coverage_scope", postgresql_using="gin"),
        Index("ix_ppas__tags", "tags", postgresql_using="gin"),
        Index("ix_ppas__sdgs", "sdgs", postgresql_using="gin"),
        # `q`: substring search in title and summary.
        trigram_index("ppas", "title"),
        trigram_index("ppas", "summary"),
    )

    if TYPE_CHECKING:
        # Declared below, once the class (its `id`) exists.
        last_update_on: Mapped[date | None]
        reported_progress: Mapped[int | None]
        reported_on: Mapped[date | None]
        tasks_linked: Mapped[int]
        allocated_total: Mapped[Decimal]
        obligated_total: Mapped[Decimal]
        disbursed_total: Mapped[Decimal]

    @property
    def need_ids(self) -> list[uuid.UUID]:
        return [link.need_id for link in self.need_links]

    @property
    def coverage_areas(self) -> list[Area]:
        places = gazetteer()
        return [area for code in self.coverage if (area := places.get(code)) is not None]

    @property
    def cost_per_beneficiary(self) -> Decimal | None:
        """The budget allocation per targeted beneficiary, to the centavo (shown, never
        stored: it follows both numbers)."""
        if self.budget_allocation is None or not self.beneficiaries_targeted:
            return None
        share = self.budget_allocation / self.beneficiaries_targeted
        return share.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# The day of the PPA's latest status update (null: none yet), read with the PPA. A change of
# the PPA's own row does not move it (`expire_on_flush=False`): its answer after the commit
# must not have to read the database again, which may be gone by then (a 500, not a 503).
Ppa.last_update_on = column_property(
    select(func.max(StatusUpdate.as_of))
    .where(StatusUpdate.ppa_id == Ppa.id)
    .correlate_except(StatusUpdate)
    .scalar_subquery(),
    expire_on_flush=False,
)


def _latest_reported(column: InstrumentedAttribute[Any]) -> ScalarSelect[Any]:
    """`column` of the PPA's latest status update that reports a progress (null: none)."""
    return (
        select(column)
        .where(StatusUpdate.ppa_id == Ppa.id, StatusUpdate.progress.is_not(None))
        .order_by(StatusUpdate.as_of.desc(), StatusUpdate.created_at.desc())
        .limit(1)
        .correlate_except(StatusUpdate)
        .scalar_subquery()
    )


# The progress its people last reported (a status update's), and the day it was as of: shown
# beside the progress its tasks make (DOMAIN.md), never instead of it. Read with the PPA, as
# `last_update_on` is.
Ppa.reported_progress = column_property(
    _latest_reported(StatusUpdate.progress), expire_on_flush=False
)
Ppa.reported_on = column_property(_latest_reported(StatusUpdate.as_of), expire_on_flush=False)


def has_tasks_linked() -> ColumnElement[bool]:
    """Whether a live task is linked to the PPA: without one its progress (0, DOMAIN.md)
    measures nothing, and is said as "no tasks linked" and left out of averages."""
    return (
        select(PpaTaskProjection.task_id)
        .where(PpaTaskProjection.ppa_id == Ppa.id, ~PpaTaskProjection.deleted)
        .correlate_except(PpaTaskProjection)
        .exists()
    )


# How many live tasks its progress counts, read with the PPA, as `last_update_on` is.
Ppa.tasks_linked = column_property(
    select(func.count(PpaTaskProjection.task_id))
    .where(PpaTaskProjection.ppa_id == Ppa.id, ~PpaTaskProjection.deleted)
    .correlate_except(PpaTaskProjection)
    .scalar_subquery(),
    expire_on_flush=False,
)


def _tranche_total(*kinds: TrancheType) -> ScalarSelect[Decimal]:
    """The sum of the PPA's tranches of `kinds`, net of reversals (a reversal is a tranche of
    the same type and the opposite amount)."""
    return (
        select(func.coalesce(func.sum(FundingTranche.amount), cast(0, Numeric(14, 2))))
        .where(FundingTranche.ppa_id == Ppa.id, FundingTranche.tranche_type.in_(kinds))
        .correlate_except(FundingTranche)
        .scalar_subquery()
    )


# What was allocated (allocations and adjustments), obligated and disbursed, as the PPA's
# page and the dashboard count it: read only where asked for (the export), not with every
# page of the list.
Ppa.allocated_total = column_property(
    _tranche_total(TrancheType.ALLOCATION, TrancheType.ADJUSTMENT), deferred=True
)
Ppa.obligated_total = column_property(_tranche_total(TrancheType.OBLIGATION), deferred=True)
Ppa.disbursed_total = column_property(_tranche_total(TrancheType.DISBURSEMENT), deferred=True)

# The scope follows the coverage: its changes are the coverage's, recorded there.
history.keep(Ppa, "ppa", unrecorded=("coverage_scope",))
