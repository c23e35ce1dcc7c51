"""Team request and response schemas."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import Field

from obcms_platform.schemas import (
    ActivePersonId,
    KnownPersonId,
    RequestModel,
    ResponseModel,
    UpdateModel,
)
from tasks_service.teams.models import TeamRole

TeamName = Annotated[str, Field(min_length=1, max_length=150)]
Slug = Annotated[str, Field(min_length=1, max_length=160, pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")]


class TeamMemberIn(RequestModel):
    """A member as a new team's list names them."""

    user_id: ActivePersonId
    role: TeamRole = TeamRole.MEMBER


class TeamMemberKept(TeamMemberIn):
    """A member as the list replacing a team's names them: someone who has left since may
    stay."""

    user_id: KnownPersonId


class TeamCreate(RequestModel):
    name: TeamName
    slug: Slug | None = None
    description: Annotated[str, Field(max_length=5_000)] = ""
    is_active: bool = True
    members: Annotated[list[TeamMemberIn], Field(max_length=500)] = []


class TeamUpdate(UpdateModel):
    """Partial update: only the fields present change; none of them may be null."""

    name: TeamName | None = None
    slug: Slug | None = None
    description: Annotated[str, Field(max_length=5_000)] | None = None
    is_active: bool | None = None


class TeamMembersReplace(RequestModel):
    members: Annotated[list[TeamMemberKept], Field(max_length=500)]


class TeamMemberRead(ResponseModel):
    user_id: uuid.UUID
    role: TeamRole


class TeamRead(ResponseModel):
    id: uuid.UUID
    name: str
    slug: str
    description: str
    is_active: bool
    members: list[TeamMemberRead]
    created_at: datetime
    updated_at: datetime
