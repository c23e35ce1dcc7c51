"""Status update routes (under a PPA): parse, call the service, commit, respond."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import status

from obcms_platform.auth import CurrentPrincipal
from obcms_platform.db import DbSession
from obcms_platform.errors import error_responses
from obcms_platform.resource_routes import Write, Writes, collection_router
from portfolio_service.authz import STATUS_UPDATE_CREATE
from portfolio_service.status_updates import service
from portfolio_service.status_updates.schemas import StatusUpdateCreate, StatusUpdateRead

router = collection_router("ppas/{ppa_id}/updates", tag="status updates", errors=(404,))


@router.get("", response_model=list[StatusUpdateRead])
def list_updates(
    ppa_id: uuid.UUID, session: DbSession, _: CurrentPrincipal
) -> list[StatusUpdateRead]:
    """The PPA's update log, newest first."""
    return [StatusUpdateRead.model_validate(u) for u in service.list_updates(session, ppa_id)]


@router.post(
    "",
    response_model=StatusUpdateRead,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(403),
)
def add_update(
    ppa_id: uuid.UUID,
    data: StatusUpdateCreate,
    write: Annotated[Write, Writes(STATUS_UPDATE_CREATE, if_match=False)],
) -> StatusUpdateRead:
    """Add an update to the log (append-only: a correction is a newer update)."""
    update = service.add_update(write.session, ppa_id, data, write.principal)
    return write.respond(update, StatusUpdateRead, etag=False)
