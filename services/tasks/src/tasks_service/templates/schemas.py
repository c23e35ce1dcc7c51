"""Task template request and response schemas."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import Field

from obcms_platform.schemas import LongText, Note, PlausibleDate, RequestModel, ResponseModel, Title
from tasks_service.tasks.models import TaskDomain, TaskPriority
from tasks_service.tasks.schemas import Hours, TaskRead
from tasks_service.templates.models import DAYS_BEFORE_MAX, SubjectKind

TemplateName = Annotated[str, Field(min_length=3, max_length=100, pattern=r"^[a-z][a-z0-9_]*$")]


class TemplateItemIn(RequestModel):
    title: Title
    description: LongText = ""
    priority: TaskPriority = TaskPriority.MEDIUM
    estimated_hours: Hours | None = None
    days_from_start: Annotated[
        int,
        Field(
            ge=-DAYS_BEFORE_MAX,
            le=3_650,
            description="Days after the record's start its task is due (negative: before it).",
        ),
    ] = 0


class TemplateBody(RequestModel):
    """A whole template; items are given in order (their sequence is their position)."""

    domain: TaskDomain = TaskDomain.GENERAL
    description: Note = ""
    is_active: bool = True
    items: Annotated[list[TemplateItemIn], Field(min_length=1, max_length=200)]


class TemplateCreate(TemplateBody):
    name: TemplateName


class TemplateItemRead(ResponseModel):
    sequence: int
    title: str
    description: str
    priority: TaskPriority
    estimated_hours: float | None
    days_from_start: int


class TemplateRead(ResponseModel):
    id: uuid.UUID
    name: str
    domain: TaskDomain
    description: str
    is_active: bool
    items: list[TemplateItemRead]
    created_at: datetime
    updated_at: datetime


class GenerateRequest(RequestModel):
    subject_kind: SubjectKind
    subject_id: uuid.UUID
    base_date: PlausibleDate
    context: Annotated[dict[str, Annotated[str, Field(max_length=300)]], Field(max_length=20)] = {}


class GenerateResult(ResponseModel):
    template: str
    subject_kind: SubjectKind
    subject_id: uuid.UUID
    base_date: date
    created: bool
    tasks: list[TaskRead]
