"""Budget ceilings: the most a sector may commit in a fiscal year."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, Index, Numeric, SmallInteger, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from obcms_platform.columns import Identified
from obcms_platform.db import Timestamped, enum_column
from portfolio_service.db import Base, history
from portfolio_service.ppas.models import Sector


class BudgetCeiling(Identified, Timestamped, Base):
    __tablename__ = "budget_ceilings"

    sector: Mapped[Sector] = mapped_column(enum_column(Sector, "sector"))
    fiscal_year: Mapped[int] = mapped_column(SmallInteger)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    notes: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        CheckConstraint("amount >= 0", name="amount"),
        CheckConstraint("fiscal_year BETWEEN 1970 AND 2199", name="fiscal_year"),
        # At most one active ceiling per (sector, fiscal year). Named after the field a
        # violation is reported on.
        Index(
            "uq_budget_ceilings__is_active",
            "sector",
            "fiscal_year",
            unique=True,
            postgresql_where=text("is_active"),
        ),
        Index("ix_budget_ceilings__fiscal_year_sector", "fiscal_year", "sector"),
    )


history.keep(BudgetCeiling, "ceiling")
