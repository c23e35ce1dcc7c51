"""The approval history of a PPA: one row per transition (who, when, from, to, note)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from obcms_platform.columns import Identified
from obcms_platform.db import enum_column
from portfolio_service.db import Base
from portfolio_service.ppas.models import ApprovalStatus


class ApprovalHistory(Identified, Base):
    __tablename__ = "approval_history"

    ppa_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ppas.id", ondelete="CASCADE"))
    from_status: Mapped[ApprovalStatus] = mapped_column(enum_column(ApprovalStatus, "from_status"))
    to_status: Mapped[ApprovalStatus] = mapped_column(enum_column(ApprovalStatus, "to_status"))
    changed_by: Mapped[uuid.UUID] = mapped_column(Uuid)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index("ix_approval_history__ppa_id_changed_at", "ppa_id", "changed_at"),)
