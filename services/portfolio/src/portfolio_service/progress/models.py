"""The per-PPA projection of the tasks service's tasks, fed by `task.*` events."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, DateTime, Index, Integer, Uuid, func, text
from sqlalchemy.orm import Mapped, mapped_column

from obcms_platform.db import enum_column
from obcms_platform.vocabulary import TaskStatus as TaskStatus
from portfolio_service.db import Base


class PpaTaskProjection(Base):
    """What this service knows of one task: its PPA, status and the version last applied.

    `ppa_id` is a plain id (no foreign key): an event may name a PPA this service does not
    have (or no longer has); it is recorded and changes nothing else. `deleted` is a
    tombstone: a deleted task never comes back, whatever arrives after its deletion.
    """

    __tablename__ = "ppa_task_projection"

    task_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    ppa_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    status: Mapped[TaskStatus] = mapped_column(enum_column(TaskStatus, "status"))
    version: Mapped[int] = mapped_column(Integer)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    __table_args__ = (
        # Progress counts the live tasks of a PPA.
        Index(
            "ix_ppa_task_projection__ppa_id_status",
            "ppa_id",
            "status",
            postgresql_where=text("ppa_id IS NOT NULL AND NOT deleted"),
        ),
    )
