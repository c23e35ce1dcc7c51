"""Need request and response schemas."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, ClassVar

from pydantic import AfterValidator, BaseModel, Field

from obcms_platform.exports import field
from obcms_platform.imports import choice, identifier, listed, text, whole_number
from obcms_platform.schemas import (
    LongText,
    RequestModel,
    ResponseModel,
    Title,
    UpdateModel,
    deduplicated,
)
from portfolio_service.fields import SearchText, ShortText
from portfolio_service.needs.models import Feasibility, NeedStatus, UrgencyLevel

Severity = Annotated[int, Field(ge=1, le=5, description="1 (minor) to 5 (critical)")]
Population = Annotated[int, Field(ge=0, le=1_000_000_000)]
PpaIds = Annotated[list[uuid.UUID], Field(max_length=500), AfterValidator(deduplicated)]


class NeedCreate(RequestModel):
    title: Title
    description: LongText = ""
    status: NeedStatus = NeedStatus.IDENTIFIED
    urgency_level: UrgencyLevel = UrgencyLevel.MEDIUM_TERM
    impact_severity: Severity = 3
    feasibility: Feasibility = Feasibility.MEDIUM
    affected_population: Population | None = None
    community: ShortText = ""
    assessment_id: uuid.UUID | None = None
    ppa_ids: PpaIds = []


class NeedUpdate(UpdateModel):
    """Partial update: only the fields present change; null clears an optional field."""

    clearable: ClassVar[frozenset[str]] = frozenset({"affected_population", "assessment_id"})

    title: Title | None = None
    description: LongText | None = None
    status: NeedStatus | None = None
    urgency_level: UrgencyLevel | None = None
    impact_severity: Severity | None = None
    feasibility: Feasibility | None = None
    affected_population: Population | None = None
    community: ShortText | None = None
    assessment_id: uuid.UUID | None = None


class NeedPpaLinks(RequestModel):
    """The complete list of PPAs addressing the need (replaces the previous list)."""

    ppa_ids: PpaIds


class NeedRead(ResponseModel):
    id: uuid.UUID
    title: str
    description: str
    status: NeedStatus
    urgency_level: UrgencyLevel
    impact_severity: int
    feasibility: Feasibility
    affected_population: int | None
    community: str
    assessment_id: uuid.UUID | None
    ppa_ids: list[uuid.UUID]
    created_by: uuid.UUID | None
    updated_by: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    version: int


class NeedFilters(BaseModel):
    status: list[NeedStatus] = []
    urgency_level: list[UrgencyLevel] = []
    feasibility: list[Feasibility] = []
    assessment_id: uuid.UUID | None = None
    ppa_id: uuid.UUID | None = None
    addressed: bool | None = None
    q: SearchText | None = None


# The columns of the need list's export; people as their user ids. An import
# (`obcms_platform.imports`) reads back every column with a reader; the creator and the
# moments are the service's.
NEED_EXPORT_COLUMNS = (
    field("title", "Title", text),
    field("status", "Status", choice(NeedStatus)),
    field("urgency_level", "Urgency", choice(UrgencyLevel)),
    field("impact_severity", "Impact severity (1-5)", whole_number),
    field("feasibility", "Feasibility", choice(Feasibility)),
    field("affected_population", "Affected population", whole_number),
    field("community", "Community", text),
    field("assessment_id", "Assessment id", identifier),
    field("ppa_ids", "Addressed by PPAs (ids)", listed(identifier)),
    field("description", "Description", text),
    field("id", "Need id", identifier),
    field("created_by", "Created by (user id)"),
    field("created_at", "Created"),
    field("updated_at", "Updated"),
)
