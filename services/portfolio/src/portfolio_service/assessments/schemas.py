"""Assessment request and response schemas."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import ClassVar

from pydantic import BaseModel

from obcms_platform.exports import field, named
from obcms_platform.schemas import (
    LongText,
    PlausibleDate,
    RequestModel,
    ResponseModel,
    Title,
    UpdateModel,
)
from portfolio_service.assessments.models import AssessmentLevel, AssessmentStatus, Methodology
from portfolio_service.fields import SearchText, ShortText


class AssessmentCreate(RequestModel):
    title: Title
    description: LongText = ""
    primary_methodology: Methodology
    status: AssessmentStatus = AssessmentStatus.PLANNING
    assessment_level: AssessmentLevel
    planned_start_date: PlausibleDate | None = None
    planned_end_date: PlausibleDate | None = None
    location: ShortText = ""
    community: ShortText = ""


class AssessmentUpdate(UpdateModel):
    """Partial update: only the fields present change; null clears a planned date."""

    clearable: ClassVar[frozenset[str]] = frozenset({"planned_start_date", "planned_end_date"})

    title: Title | None = None
    description: LongText | None = None
    primary_methodology: Methodology | None = None
    status: AssessmentStatus | None = None
    assessment_level: AssessmentLevel | None = None
    planned_start_date: PlausibleDate | None = None
    planned_end_date: PlausibleDate | None = None
    location: ShortText | None = None
    community: ShortText | None = None


class AssessmentRead(ResponseModel):
    id: uuid.UUID
    title: str
    description: str
    primary_methodology: Methodology
    status: AssessmentStatus
    assessment_level: AssessmentLevel
    planned_start_date: date | None
    planned_end_date: date | None
    location: str
    community: str
    created_by: uuid.UUID | None
    updated_by: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    version: int


class AssessmentFilters(BaseModel):
    status: list[AssessmentStatus] = []
    primary_methodology: list[Methodology] = []
    assessment_level: list[AssessmentLevel] = []
    q: SearchText | None = None


# The columns of the assessment list's export; people by name.
ASSESSMENT_EXPORT_COLUMNS = (
    field("title", "Title"),
    field("primary_methodology", "Methodology"),
    field("status", "Status"),
    field("assessment_level", "Level"),
    field("planned_start_date", "Planned start"),
    field("planned_end_date", "Planned end"),
    field("location", "Location"),
    field("community", "Community"),
    field("description", "Description"),
    field("id", "Assessment id"),
    named("created_by", "Created by"),
    field("created_at", "Created"),
    field("updated_at", "Updated"),
)
