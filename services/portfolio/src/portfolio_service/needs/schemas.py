"""Need request and response schemas."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import AfterValidator, BaseModel, Field

from obcms_platform.exports import field, named
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
from portfolio_service.priorities.score import MAX_SCORE

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


class PriorityComponent(ResponseModel):
    """One factor's share of a need's priority score."""

    factor: str = Field(description="urgency, impact_severity, feasibility or affected_population")
    reason: str = Field(description="the factor's value in words, e.g. 'Immediate urgency'")
    points: int
    max_points: int


class NeedSort(StrEnum):
    """The order of the need list: newest first, or the prioritisation board's (manually
    ranked needs first in rank order, then the others by priority score, highest first)."""

    NEWEST = "newest"
    PRIORITY = "priority"


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
    priority_rank: int | None = Field(
        description="a manager's place for the need on the board, above the score's order"
    )
    priority_score: int = Field(ge=0, le=MAX_SCORE, description="0 (lowest) to 100")
    priority_components: list[PriorityComponent]
    priority_explanation: str = Field(description="the score in words, factor by factor")
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
    community: ShortText | None = Field(None, description="exactly this community (any case)")
    ppa_id: uuid.UUID | None = None
    addressed: bool | None = None
    q: SearchText | None = None
    sort: NeedSort = NeedSort.NEWEST


# The columns of the need list's export; people by name. An import
# (`obcms_platform.imports`) reads back every column with a reader; the creator and the
# moments are the service's.
NEED_EXPORT_COLUMNS = (
    field("priority_rank", "Rank"),
    field("priority_score", "Priority score (0-100)"),
    field("title", "Title", text),
    field("status", "Status", choice(NeedStatus)),
    field("urgency_level", "Urgency", choice(UrgencyLevel)),
    field("impact_severity", "Impact severity (1-5)", whole_number),
    field("feasibility", "Feasibility", choice(Feasibility)),
    field("affected_population", "Affected population", whole_number),
    field("community", "Community", text),
    field("assessment_id", "Assessment id", identifier),
    field("ppa_ids", "Addressed by PPAs (ids)", listed(identifier)),
    field("priority_explanation", "Why this score"),
    field("description", "Description", text),
    field("id", "Need id", identifier),
    named("created_by", "Created by"),
    field("created_at", "Created"),
    field("updated_at", "Updated"),
)
