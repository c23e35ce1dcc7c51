"""Task timeline schemas: one PPA's or assessment's tasks, with their dependencies, for one
Gantt chart."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel

from obcms_platform.schemas import ResponseModel
from tasks_service.tasks.models import TaskPriority, TaskStatus


class TaskTimelineFilters(BaseModel):
    """Whose tasks: one PPA's or one assessment's (exactly one of the two)."""

    related_ppa_id: uuid.UUID | None = None
    related_assessment_id: uuid.UUID | None = None


class TimelineTask(ResponseModel):
    id: uuid.UUID
    title: str
    status: TaskStatus
    priority: TaskPriority
    start_date: date | None
    due_date: date | None
    depends_on: list[uuid.UUID]
    version: int
    # Whether the caller may move it (the `task.update` rule): the chart offers drag
    # handles on those only.
    editable: bool


class TaskTimeline(ResponseModel):
    items: list[TimelineTask]
    # Tasks of the record, and how many `items` holds (at most `limit`).
    total: int
    shown: int
    limit: int
