"""Milestones: dated checkpoints of a PPA."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Date, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from obcms_platform.columns import Identified, Versioned
from obcms_platform.db import Timestamped, enum_column
from obcms_platform.vocabulary import MilestoneStatus as MilestoneStatus
from portfolio_service.db import Base, history


class Milestone(Identified, Versioned, Timestamped, Base):
    __tablename__ = "milestones"
    version_server_default = True

    ppa_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ppas.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(300))
    date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[MilestoneStatus] = mapped_column(
        enum_column(MilestoneStatus, "status"), default=MilestoneStatus.PLANNED
    )
    notes: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        Index("ix_milestones__ppa_id_date", "ppa_id", "date"),
        # The calendar feed: every milestone in a window.
        Index("ix_milestones__date", "date"),
        # The dashboard's upcoming milestones: open ones by date.
        Index(
            "ix_milestones__open_date",
            "date",
            postgresql_where=text("status NOT IN ('completed', 'cancelled')"),
        ),
    )


history.keep(Milestone, "milestone")
