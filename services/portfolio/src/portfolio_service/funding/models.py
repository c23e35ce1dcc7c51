"""Funding tranches of a PPA: allocations, obligations, disbursements and adjustments.

A tranche is never edited or deleted (but with its PPA): a mistake is corrected by a reversal,
a tranche of the same type and the opposite amount that names the tranche it reverses and
why. A tranche is reversed at most once, and a reversal is not reversed.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Numeric,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from obcms_platform.columns import Identified
from obcms_platform.db import Timestamped, enum_column
from obcms_platform.vocabulary import TrancheType as TrancheType
from portfolio_service.db import Base, history

if TYPE_CHECKING:
    from portfolio_service.ppas.models import Ppa


class FundingTranche(Identified, Timestamped, Base):
    __tablename__ = "funding_tranches"

    ppa_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ppas.id", ondelete="CASCADE"))
    tranche_type: Mapped[TrancheType] = mapped_column(enum_column(TrancheType, "tranche_type"))
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    date: Mapped[dt.date] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    reverses_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("funding_tranches.id", ondelete="CASCADE")
    )
    reason: Mapped[str] = mapped_column(Text, default="")
    # Its PPA's title in the tranche list's export, loaded by the query that needs it; any
    # other read of it would be a query per tranche.
    ppa: Mapped[Ppa] = relationship(viewonly=True, lazy="raise")

    __table_args__ = (
        CheckConstraint(
            "amount > 0 OR (tranche_type = 'adjustment' AND amount <> 0)"
            " OR (reverses_id IS NOT NULL AND amount < 0)",
            name="amount",
        ),
        CheckConstraint("reverses_id IS NULL OR reason <> ''", name="reason"),
        # At most one reversal of a tranche (also when two are sent at once).
        UniqueConstraint("reverses_id"),
        # Per-PPA totals by type (funding summary, dashboard).
        Index("ix_funding_tranches__ppa_id_tranche_type", "ppa_id", "tranche_type"),
    )


history.keep(FundingTranche, "funding_tranche")
