"""Budget ceilings: the most a sector may commit in a fiscal year, from one funding source or
from all of them; a hard ceiling refuses what would go over it, a soft one flags it."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, Index, Numeric, SmallInteger, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from obcms_platform.columns import Identified, Versioned
from obcms_platform.db import Timestamped, enum_column
from obcms_platform.vocabulary import CeilingEnforcement as CeilingEnforcement
from portfolio_service.db import Base, history
from portfolio_service.ppas.models import FundingSource, Sector


class BudgetCeiling(Identified, Versioned, Timestamped, Base):
    __tablename__ = "budget_ceilings"
    # Migration 0013 gave the existing ceilings version 1 with a server default.
    version_server_default = True

    sector: Mapped[Sector] = mapped_column(enum_column(Sector, "sector"))
    fiscal_year: Mapped[int] = mapped_column(SmallInteger)
    # None: the ceiling of the sector's commitments from every source together.
    funding_source: Mapped[FundingSource | None] = mapped_column(
        enum_column(FundingSource, "funding_source")
    )
    enforcement: Mapped[CeilingEnforcement] = mapped_column(
        enum_column(CeilingEnforcement, "enforcement"),
        default=CeilingEnforcement.HARD,
        server_default=CeilingEnforcement.HARD.value,
    )
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    notes: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        CheckConstraint("amount >= 0", name="amount"),
        CheckConstraint("fiscal_year BETWEEN 1970 AND 2199", name="fiscal_year"),
        # At most one active ceiling per (sector, fiscal year, funding source), the
        # all-sources one (a null source) included. Named after the field a violation is
        # reported on.
        Index(
            "uq_budget_ceilings__is_active",
            "sector",
            "fiscal_year",
            "funding_source",
            unique=True,
            postgresql_where=text("is_active"),
            postgresql_nulls_not_distinct=True,
        ),
        Index("ix_budget_ceilings__fiscal_year_sector", "fiscal_year", "sector"),
    )


history.keep(BudgetCeiling, "ceiling")
