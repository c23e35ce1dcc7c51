"""MANA assessments: planned needs assessments of communities."""

from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, Date, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from obcms_platform.columns import Authored, Identified, Versioned
from obcms_platform.db import Timestamped, enum_column
from obcms_platform.model_indexes import trigram_index
from obcms_platform.vocabulary import AssessmentLevel as AssessmentLevel
from obcms_platform.vocabulary import AssessmentStatus as AssessmentStatus
from obcms_platform.vocabulary import Methodology as Methodology
from portfolio_service.db import Base, history


class Assessment(Identified, Authored, Versioned, Timestamped, Base):
    __tablename__ = "assessments"
    version_server_default = True

    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    primary_methodology: Mapped[Methodology] = mapped_column(
        enum_column(Methodology, "primary_methodology")
    )
    status: Mapped[AssessmentStatus] = mapped_column(
        enum_column(AssessmentStatus, "status"), default=AssessmentStatus.PLANNING
    )
    assessment_level: Mapped[AssessmentLevel] = mapped_column(
        enum_column(AssessmentLevel, "assessment_level")
    )
    planned_start_date: Mapped[date | None] = mapped_column(Date)
    planned_end_date: Mapped[date | None] = mapped_column(Date)
    location: Mapped[str] = mapped_column(String(255), default="")
    community: Mapped[str] = mapped_column(String(255), default="")

    __table_args__ = (
        CheckConstraint(
            "planned_start_date IS NULL OR planned_end_date IS NULL"
            " OR planned_start_date <= planned_end_date",
            name="planned_end_date",
        ),
        Index("ix_assessments__planned_start_date_id", "planned_start_date", "id"),
        # The calendar feed: planned ends in a window (starts: the index above).
        Index("ix_assessments__planned_end_date", "planned_end_date"),
        Index("ix_assessments__status", "status"),
        trigram_index("assessments", "title"),
    )


history.keep(Assessment, "assessment")
