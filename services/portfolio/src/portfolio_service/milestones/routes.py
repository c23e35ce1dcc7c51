"""Milestone routes (under a PPA): parse, call the service, commit, respond."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Response, status

from obcms_platform.app import API_PREFIX
from obcms_platform.auth import CurrentPrincipal
from obcms_platform.db import DbSession
from obcms_platform.errors import error_responses
from obcms_platform.resource_routes import Write, Writes, collection_router
from portfolio_service.authz import MILESTONE_WRITE
from portfolio_service.milestones import service
from portfolio_service.milestones.schemas import MilestoneCreate, MilestoneRead, MilestoneUpdate

router = collection_router("ppas/{ppa_id}/milestones", tag="milestones", errors=(404,))

MilestoneWrite = Annotated[Write, Writes(MILESTONE_WRITE)]


@router.get("", response_model=list[MilestoneRead])
def list_milestones(
    ppa_id: uuid.UUID, session: DbSession, _: CurrentPrincipal
) -> list[MilestoneRead]:
    return [MilestoneRead.model_validate(m) for m in service.list_milestones(session, ppa_id)]


@router.post("", response_model=MilestoneRead, status_code=status.HTTP_201_CREATED)
def create_milestone(
    ppa_id: uuid.UUID,
    data: MilestoneCreate,
    write: Annotated[Write, Writes(MILESTONE_WRITE, if_match=False)],
) -> MilestoneRead:
    milestone = service.create_milestone(write.session, ppa_id, data)
    write.response.headers["Location"] = f"{API_PREFIX}/ppas/{ppa_id}/milestones/{milestone.id}"
    return write.respond(milestone, MilestoneRead)


@router.patch("/{milestone_id}", response_model=MilestoneRead, responses=error_responses(403, 412))
def update_milestone(
    ppa_id: uuid.UUID, milestone_id: uuid.UUID, changes: MilestoneUpdate, write: MilestoneWrite
) -> MilestoneRead:
    milestone = service.update_milestone(
        write.session, ppa_id, milestone_id, changes, write.expected_version
    )
    return write.respond(milestone, MilestoneRead)


@router.delete(
    "/{milestone_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(403, 412),
)
def delete_milestone(ppa_id: uuid.UUID, milestone_id: uuid.UUID, write: MilestoneWrite) -> Response:
    service.delete_milestone(write.session, ppa_id, milestone_id, write.expected_version)
    return write.no_content()
