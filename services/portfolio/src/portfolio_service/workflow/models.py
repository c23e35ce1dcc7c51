"""Budget workflow: one stage row per (PPA, stage), created with the PPA, in order."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    SmallInteger,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from obcms_platform.columns import Identified, Versioned
from obcms_platform.db import Timestamped, enum_column
from obcms_platform.vocabulary import BudgetStage as BudgetStage
from obcms_platform.vocabulary import StageStatus as StageStatus
from portfolio_service.db import Base, history

STAGE_ORDER: dict[BudgetStage, int] = {stage: index for index, stage in enumerate(BudgetStage, 1)}


class WorkflowStage(Identified, Versioned, Timestamped, Base):
    __tablename__ = "budget_workflow_stages"
    version_server_default = True

    ppa_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ppas.id", ondelete="CASCADE"))
    stage: Mapped[BudgetStage] = mapped_column(enum_column(BudgetStage, "stage"))
    sequence: Mapped[int] = mapped_column(SmallInteger)
    status: Mapped[StageStatus] = mapped_column(
        enum_column(StageStatus, "status"), default=StageStatus.NOT_STARTED
    )
    due_date: Mapped[date | None] = mapped_column(Date)
    owner_team_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    notes: Mapped[str] = mapped_column(Text, default="")
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("ppa_id", "stage"),
        UniqueConstraint("ppa_id", "sequence"),
        CheckConstraint("sequence BETWEEN 1 AND 6", name="sequence"),
        CheckConstraint("(status = 'completed') = (completed_at IS NOT NULL)", name="completed_at"),
        # The calendar feed: stages due in a window.
        Index(
            "ix_budget_workflow_stages__due_date",
            "due_date",
            postgresql_where=text("due_date IS NOT NULL"),
        ),
    )


history.keep(WorkflowStage, "workflow_stage")
