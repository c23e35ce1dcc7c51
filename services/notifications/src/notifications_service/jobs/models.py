"""One row per run of a scheduled job and period: a second beat (or a re-run) of the same
period finds it taken and does nothing."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Date, DateTime, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from notifications_service.db import Base


class JobRun(Base):
    __tablename__ = "job_runs"

    job: Mapped[str] = mapped_column(String(64), primary_key=True)
    period: Mapped[str] = mapped_column(String(64), primary_key=True)
    runner: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    notified: Mapped[int] = mapped_column(Integer, default=0)


class DigestDay(Base):
    """A person's digest of one local day, taken when it fell due (also when empty: what
    arrives later that day waits for the next one)."""

    __tablename__ = "digest_days"

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    items: Mapped[int] = mapped_column(Integer, default=0)
