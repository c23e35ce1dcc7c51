"""Community needs (often found by an assessment) and the PPAs that address them."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from obcms_platform.columns import Authored, Identified, Versioned
from obcms_platform.db import Timestamped, enum_column
from obcms_platform.model_indexes import trigram_index
from obcms_platform.vocabulary import Feasibility as Feasibility
from obcms_platform.vocabulary import NeedStatus as NeedStatus
from obcms_platform.vocabulary import UrgencyLevel as UrgencyLevel
from portfolio_service.db import Base, history
from portfolio_service.priorities.score import Priority, ScoreComponent, priority_of


class Need(Identified, Authored, Versioned, Timestamped, Base):
    __tablename__ = "needs"
    version_server_default = True

    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[NeedStatus] = mapped_column(
        enum_column(NeedStatus, "status"), default=NeedStatus.IDENTIFIED
    )
    urgency_level: Mapped[UrgencyLevel] = mapped_column(
        enum_column(UrgencyLevel, "urgency_level"), default=UrgencyLevel.MEDIUM_TERM
    )
    impact_severity: Mapped[int] = mapped_column(SmallInteger, default=3)
    feasibility: Mapped[Feasibility] = mapped_column(
        enum_column(Feasibility, "feasibility"), default=Feasibility.MEDIUM
    )
    affected_population: Mapped[int | None] = mapped_column(Integer)
    community: Mapped[str] = mapped_column(String(255), default="")
    assessment_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("assessments.id", ondelete="SET NULL")
    )
    # A manager's place for the need on the prioritisation board, above every need without
    # one: 1, 2, … without gaps (`priorities.service` moves the others to keep it so).
    priority_rank: Mapped[int | None] = mapped_column(Integer)

    ppa_links: Mapped[list[NeedPpaLink]] = relationship(
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="selectin",
        order_by="NeedPpaLink.ppa_id",
    )

    __table_args__ = (
        CheckConstraint("impact_severity BETWEEN 1 AND 5", name="impact_severity"),
        CheckConstraint("affected_population >= 0", name="affected_population"),
        CheckConstraint("priority_rank >= 1", name="priority_rank"),
        # Checked at the end of each statement, so one UPDATE may shift a run of ranks by one.
        UniqueConstraint("priority_rank", deferrable=True, initially="IMMEDIATE"),
        Index("ix_needs__created_at_id", "created_at", "id"),
        Index("ix_needs__status", "status"),
        Index(
            "ix_needs__assessment_id",
            "assessment_id",
            postgresql_where=text("assessment_id IS NOT NULL"),
        ),
        trigram_index("needs", "title"),
    )

    @property
    def ppa_ids(self) -> list[uuid.UUID]:
        return [link.ppa_id for link in self.ppa_links]

    @property
    def priority(self) -> Priority:
        return priority_of(
            self.urgency_level, self.impact_severity, self.feasibility, self.affected_population
        )

    # The priority as the need's answer and its export read it.
    @property
    def priority_score(self) -> int:
        return self.priority.score

    @property
    def priority_components(self) -> tuple[ScoreComponent, ...]:
        return self.priority.components

    @property
    def priority_explanation(self) -> str:
        return self.priority.explanation


class NeedPpaLink(Base):
    """A need addressed by a PPA (many-to-many); goes when either side is deleted."""

    __tablename__ = "need_ppa_links"

    need_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("needs.id", ondelete="CASCADE"), primary_key=True
    )
    ppa_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ppas.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    # The primary key serves lookups by need; PPA-side lookups (need_ids, coverage) use this.
    __table_args__ = (Index("ix_need_ppa_links__ppa_id", "ppa_id"),)


history.keep(Need, "need")
