"""Status updates: the dated log of what a PPA's people report on it (narrative, progress,
issues, next steps). Append-only: a correction is a newer update, so the log keeps what was
said when."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, SmallInteger, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from obcms_platform.columns import Identified
from obcms_platform.db import Timestamped
from portfolio_service.db import Base, history


class StatusUpdate(Identified, Timestamped, Base):
    __tablename__ = "status_updates"

    ppa_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ppas.id", ondelete="CASCADE"))
    as_of: Mapped[dt.date] = mapped_column(Date)
    narrative: Mapped[str] = mapped_column(Text)
    # As its author reports it (null: not reported); `ppa_progress` is what the PPA's tasks
    # said when the update was written, shown beside it.
    progress: Mapped[int | None] = mapped_column(SmallInteger)
    ppa_progress: Mapped[int] = mapped_column(SmallInteger)
    issues: Mapped[str] = mapped_column(Text, default="")
    next_steps: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[uuid.UUID] = mapped_column(Uuid)

    __table_args__ = (
        CheckConstraint("progress BETWEEN 0 AND 100", name="progress"),
        CheckConstraint("ppa_progress BETWEEN 0 AND 100", name="ppa_progress"),
        # The log, newest first; and a PPA's last update (the dashboard's stale PPAs).
        Index("ix_status_updates__ppa_id_as_of", "ppa_id", "as_of"),
    )


history.keep(StatusUpdate, "status_update")
