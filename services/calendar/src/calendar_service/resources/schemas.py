"""Resource request and response schemas."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, ClassVar

from pydantic import BaseModel, Field

from calendar_service.resources.models import ResourceType
from obcms_platform.schemas import RequestModel, ResponseModel, SearchText, UpdateModel

Name = Annotated[str, Field(min_length=1, max_length=200)]
Location = Annotated[str, Field(max_length=300)]
Capacity = Annotated[int, Field(ge=0, le=1_000_000)]


class ResourceCreate(RequestModel):
    name: Name
    resource_type: ResourceType
    capacity: Capacity | None = None
    location: Location = ""
    is_available: bool = True
    booking_requires_approval: bool = False


class ResourceUpdate(UpdateModel):
    """Partial update: only the fields present change; null clears the capacity."""

    clearable: ClassVar[frozenset[str]] = frozenset({"capacity"})

    name: Name | None = None
    resource_type: ResourceType | None = None
    capacity: Capacity | None = None
    location: Location | None = None
    is_available: bool | None = None
    booking_requires_approval: bool | None = None


class ResourceRead(ResponseModel):
    id: uuid.UUID
    name: str
    resource_type: ResourceType
    capacity: int | None
    location: str
    is_available: bool
    booking_requires_approval: bool
    created_at: datetime
    updated_at: datetime
    version: int


class ResourceFilters(BaseModel):
    resource_type: list[ResourceType] = []
    is_available: bool | None = None
    q: SearchText | None = None
