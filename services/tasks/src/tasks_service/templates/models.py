"""Task templates, their items, and the record that makes generation idempotent."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from obcms_platform.columns import Identified
from obcms_platform.db import Timestamped, enum_column
from obcms_platform.vocabulary import SubjectKind as SubjectKind
from tasks_service.db import Base, history
from tasks_service.tasks.models import TaskDomain, TaskPriority

# The most days before its record's start a template's task may fall.
DAYS_BEFORE_MAX = 365


class TaskTemplate(Identified, Timestamped, Base):
    __tablename__ = "task_templates"

    name: Mapped[str] = mapped_column(String(100), unique=True)
    domain: Mapped[TaskDomain] = mapped_column(
        enum_column(TaskDomain, "domain"), default=TaskDomain.GENERAL
    )
    description: Mapped[str] = mapped_column(Text, default="")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    items: Mapped[list[TaskTemplateItem]] = relationship(
        back_populates="template",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="TaskTemplateItem.sequence",
    )


class TaskTemplateItem(Identified, Base):
    __tablename__ = "task_template_items"

    template_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("task_templates.id", ondelete="CASCADE")
    )
    sequence: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    priority: Mapped[TaskPriority] = mapped_column(
        enum_column(TaskPriority, "priority"), default=TaskPriority.MEDIUM
    )
    estimated_hours: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    # Days after the record's start (negative: before it, a meeting's agenda circulated).
    days_from_start: Mapped[int] = mapped_column(Integer, default=0)

    template: Mapped[TaskTemplate] = relationship(back_populates="items")

    __table_args__ = (
        UniqueConstraint("template_id", "sequence"),
        CheckConstraint(f"days_from_start >= -{DAYS_BEFORE_MAX}", name="days_from_start"),
    )


class TemplateGeneration(Identified, Base):
    """One row per (template, subject) ever generated: a redelivered trigger creates nothing."""

    __tablename__ = "template_generations"

    template_name: Mapped[str] = mapped_column(String(100))
    subject_kind: Mapped[SubjectKind] = mapped_column(enum_column(SubjectKind, "subject_kind"))
    subject_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    base_date: Mapped[date] = mapped_column(Date)
    # The version of the subject `base_date` was last read from (an event's tasks move with
    # it: a late, older announcement moves nothing); None: not since the generation.
    subject_version: Mapped[int | None] = mapped_column(Integer)
    task_count: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (UniqueConstraint("template_name", "subject_kind", "subject_id"),)


# Templates are edited through the API (`PUT /task-templates/{name}`): who changed which
# template and its items is recorded; a generation is bookkeeping of the tasks it made,
# which are recorded themselves.
history.keep(TaskTemplate, "task_template")
history.keep(TaskTemplateItem, "task_template_item")
