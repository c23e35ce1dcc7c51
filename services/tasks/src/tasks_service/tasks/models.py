"""Task: the unit of work staff plan, assign and complete."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ColumnElement,
    Date,
    DateTime,
    Index,
    Numeric,
    SmallInteger,
    String,
    Text,
    Uuid,
    func,
    literal_column,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from obcms_platform.columns import Authored, Identified, Versioned
from obcms_platform.db import Timestamped, enum_column
from obcms_platform.model_indexes import trigram_index
from obcms_platform.vocabulary import Frequency
from obcms_platform.vocabulary import TaskDomain as TaskDomain
from obcms_platform.vocabulary import TaskPriority as TaskPriority
from obcms_platform.vocabulary import TaskStatus as TaskStatus
from tasks_service.db import Base, history

PRIORITY_RANK = {
    TaskPriority.LOW: 0,
    TaskPriority.MEDIUM: 1,
    TaskPriority.HIGH: 2,
    TaskPriority.CRITICAL: 3,
}
# The order of work: what has not started comes first, what is done last.
STATUS_RANK = {
    TaskStatus.NOT_STARTED: 0,
    TaskStatus.IN_PROGRESS: 1,
    TaskStatus.AT_RISK: 2,
    TaskStatus.COMPLETED: 3,
}


def calendar_span(start_date: Any, due_date: Any) -> ColumnElement[Any]:
    """The days a task covers on the calendar, ``[start_date or due_date, due_date]``: the
    expression of the feed's GiST index, and of its query (which must match it exactly)."""
    return func.daterange(
        func.coalesce(start_date, due_date), due_date, literal_column("'[]'::text")
    )


# Tasks on the calendar: those with a due date, except those linked to an event (shown
# through the event).
CALENDAR_TASKS = "due_date IS NOT NULL AND related_event_id IS NULL"


class Task(Identified, Authored, Versioned, Timestamped, Base):
    __tablename__ = "tasks"

    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    domain: Mapped[TaskDomain] = mapped_column(
        enum_column(TaskDomain, "domain"), default=TaskDomain.GENERAL
    )
    status: Mapped[TaskStatus] = mapped_column(
        enum_column(TaskStatus, "status"), default=TaskStatus.NOT_STARTED
    )
    priority: Mapped[TaskPriority] = mapped_column(
        enum_column(TaskPriority, "priority"), default=TaskPriority.MEDIUM
    )
    start_date: Mapped[date | None] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    progress: Mapped[int] = mapped_column(SmallInteger, default=0)
    assignee_ids: Mapped[list[uuid.UUID]] = mapped_column(
        ARRAY(Uuid), default=list, server_default=text("'{}'")
    )
    team_ids: Mapped[list[uuid.UUID]] = mapped_column(
        ARRAY(Uuid), default=list, server_default=text("'{}'")
    )
    related_ppa_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    related_assessment_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    related_event_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_from_template: Mapped[str | None] = mapped_column(String(100))
    auto_generated: Mapped[bool] = mapped_column(Boolean, default=False)
    estimated_hours: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    actual_hours: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    depends_on: Mapped[list[uuid.UUID]] = mapped_column(
        ARRAY(Uuid), default=list, server_default=text("'{}'")
    )
    # A repeating task ("every 3 months"): completed, it continues as a new task due on the
    # rule's next date after its own (`repeats.next_due`), counted from `repeat_anchor`.
    repeats: Mapped[Frequency | None] = mapped_column(enum_column(Frequency, "repeats"))
    repeat_interval: Mapped[int] = mapped_column(SmallInteger, default=1, server_default="1")
    repeat_until: Mapped[date | None] = mapped_column(Date)
    repeat_anchor: Mapped[date | None] = mapped_column(Date)
    # The occurrence before this one, and the one its completion created.
    previous_task_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    next_task_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)

    __table_args__ = (
        CheckConstraint("progress BETWEEN 0 AND 100", name="progress"),
        CheckConstraint(
            "num_nonnulls(related_ppa_id, related_assessment_id, related_event_id) <= 1",
            name="single_related_record",
        ),
        CheckConstraint("(status = 'completed') = (completed_at IS NOT NULL)", name="completed_at"),
        CheckConstraint(
            "start_date IS NULL OR due_date IS NULL OR start_date <= due_date", name="due_date"
        ),
        CheckConstraint("estimated_hours >= 0", name="estimated_hours"),
        CheckConstraint("actual_hours >= 0", name="actual_hours"),
        CheckConstraint("repeat_interval BETWEEN 1 AND 99", name="repeat_interval"),
        CheckConstraint("repeats IS NULL OR due_date IS NOT NULL", name="repeats_due_date"),
        # The calendar feed: tasks whose span overlaps a window (`&&`).
        Index(
            "ix_tasks__calendar_span",
            calendar_span(start_date, due_date),
            postgresql_using="gist",
            postgresql_where=text(CALENDAR_TASKS),
        ),
        # Default listing order and the due-date window filters.
        Index("ix_tasks__due_date_id", "due_date", "id"),
        # "My open tasks": assignment containment through GIN, open tasks by due date.
        Index("ix_tasks__assignee_ids", "assignee_ids", postgresql_using="gin"),
        Index("ix_tasks__team_ids", "team_ids", postgresql_using="gin"),
        Index(
            "ix_tasks__open_due_date",
            "due_date",
            postgresql_where=text("status <> 'completed'"),
        ),
        Index("ix_tasks__status_due_date", "status", "due_date"),
        Index("ix_tasks__domain_status_due_date", "domain", "status", "due_date"),
        Index("ix_tasks__priority_due_date", "priority", "due_date"),
        Index(
            "ix_tasks__related_ppa_id",
            "related_ppa_id",
            postgresql_where=text("related_ppa_id IS NOT NULL"),
        ),
        Index(
            "ix_tasks__related_assessment_id",
            "related_assessment_id",
            postgresql_where=text("related_assessment_id IS NOT NULL"),
        ),
        Index(
            "ix_tasks__related_event_id",
            "related_event_id",
            postgresql_where=text("related_event_id IS NOT NULL"),
        ),
        trigram_index("tasks", "title"),
        trigram_index("tasks", "description"),
    )


history.keep(Task, "task", unrecorded=("repeat_anchor", "previous_task_id", "next_task_id"))
