"""Team routes: parse, call the service, commit, respond."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from obcms_platform.app import API_PREFIX
from obcms_platform.auth import CurrentPrincipal, Principal
from obcms_platform.authz import Authorize
from obcms_platform.db import DbSession
from obcms_platform.errors import error_responses
from obcms_platform.pagination import Page, Pagination
from tasks_service.authz import TEAM_CREATE, TEAM_UPDATE
from tasks_service.teams import service
from tasks_service.teams.schemas import TeamCreate, TeamMembersReplace, TeamRead, TeamUpdate

router = APIRouter(
    prefix=f"{API_PREFIX}/teams", tags=["teams"], responses=error_responses(401, 422)
)


@router.get("", response_model=Page[TeamRead])
def list_teams(
    session: DbSession,
    principal: CurrentPrincipal,
    page: Pagination,
    member: Annotated[uuid.UUID | None, Query(description="only teams with this member")] = None,
    mine: Annotated[bool, Query(description="only teams I belong to")] = False,
    active: bool | None = None,
) -> Page[TeamRead]:
    items, total = service.list_teams(
        session, page, member=principal.user_id if mine else member, active=active
    )
    return Page[TeamRead].of(items, total, page)


@router.post(
    "",
    response_model=TeamRead,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(403, 409),
)
def create_team(
    data: TeamCreate,
    session: DbSession,
    _: Annotated[Principal, Authorize(TEAM_CREATE)],
    response: Response,
) -> TeamRead:
    team = service.create_team(session, data)
    session.commit()
    response.headers["Location"] = f"{router.prefix}/{team.id}"
    return TeamRead.model_validate(team)


@router.get("/{team_id}", response_model=TeamRead, responses=error_responses(404))
def get_team(team_id: uuid.UUID, session: DbSession, _: CurrentPrincipal) -> TeamRead:
    return TeamRead.model_validate(service.get_team(session, team_id))


@router.patch("/{team_id}", response_model=TeamRead, responses=error_responses(403, 404, 409))
def update_team(
    team_id: uuid.UUID,
    changes: TeamUpdate,
    session: DbSession,
    _: Annotated[Principal, Authorize(TEAM_UPDATE)],
) -> TeamRead:
    team = service.update_team(session, team_id, changes)
    session.commit()
    return TeamRead.model_validate(team)


@router.put("/{team_id}/members", response_model=TeamRead, responses=error_responses(403, 404))
def replace_members(
    team_id: uuid.UUID,
    body: TeamMembersReplace,
    session: DbSession,
    _: Annotated[Principal, Authorize(TEAM_UPDATE)],
) -> TeamRead:
    team = service.replace_members(session, team_id, body.members)
    session.commit()
    return TeamRead.model_validate(team)
