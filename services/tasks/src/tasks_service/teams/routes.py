"""Team routes: the standard ones of a resource (unversioned: no ETag, no If-Match), the list
by member and the members."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query

from obcms_platform.auth import CurrentPrincipal
from obcms_platform.db import DbSession
from obcms_platform.errors import error_responses
from obcms_platform.pagination import Page, Pagination
from obcms_platform.resource_routes import ResourceRoutes, Write, Writes, collection_router
from tasks_service.authz import TEAM_CREATE, TEAM_UPDATE
from tasks_service.db import history
from tasks_service.teams import service
from tasks_service.teams.schemas import TeamCreate, TeamMembersReplace, TeamRead, TeamUpdate

router = collection_router("teams")


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


teams = ResourceRoutes(router, "team", TeamRead, versioned=False)
teams.create(TeamCreate, service.create_team, TEAM_CREATE, errors=(403, 409))
teams.get(service.get_team)
teams.history(history, service.get_team)
teams.update(TeamUpdate, service.update_team, TEAM_UPDATE, errors=(403, 404, 409))


@router.put("/{team_id}/members", response_model=TeamRead, responses=error_responses(403, 404))
def replace_members(
    team_id: uuid.UUID,
    body: TeamMembersReplace,
    write: Annotated[Write, Writes(TEAM_UPDATE, if_match=False)],
) -> TeamRead:
    team = service.replace_members(write.session, team_id, body.members)
    return write.respond(team, TeamRead, etag=False)
