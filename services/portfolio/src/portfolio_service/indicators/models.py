"""Indicators: what a PPA measures its outputs and outcomes by (baseline, target, target
date), and their actuals, one per reporting period."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Numeric, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from obcms_platform.columns import Authored, Identified, Versioned
from obcms_platform.db import Timestamped, enum_column
from obcms_platform.vocabulary import IndicatorKind as IndicatorKind
from obcms_platform.vocabulary import IndicatorStatus as IndicatorStatus
from portfolio_service.db import Base, history


class Indicator(Identified, Authored, Versioned, Timestamped, Base):
    __tablename__ = "indicators"

    ppa_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ppas.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[IndicatorKind] = mapped_column(enum_column(IndicatorKind, "kind"))
    unit: Mapped[str] = mapped_column(String(50), default="")
    # A target below the baseline is a decreasing indicator (fewer out-of-school children).
    baseline: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    target: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    target_date: Mapped[dt.date] = mapped_column(Date)

    actuals: Mapped[list[IndicatorActual]] = relationship(
        viewonly=True,
        lazy="selectin",
        order_by="[IndicatorActual.period_end.desc(), IndicatorActual.id]",
    )

    __table_args__ = (Index("ix_indicators__ppa_id_created_at", "ppa_id", "created_at"),)


class IndicatorActual(Identified, Timestamped, Base):
    """The indicator's value at the end of a period; a correction deletes it and records the
    period again."""

    __tablename__ = "indicator_actuals"

    indicator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("indicators.id", ondelete="CASCADE"))
    period_end: Mapped[dt.date] = mapped_column(Date)
    value: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)

    # One actual per period of an indicator; also the latest-first reading of its actuals.
    __table_args__ = (UniqueConstraint("indicator_id", "period_end"),)


history.keep(Indicator, "indicator")
history.keep(IndicatorActual, "indicator_actual")
