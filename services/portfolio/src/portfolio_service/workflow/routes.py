"""Budget workflow routes (under a PPA): parse, call the service, commit, respond."""

from __future__ import annotations

import uuid
from typing import Annotated

from obcms_platform.auth import CurrentPrincipal
from obcms_platform.db import DbSession
from obcms_platform.errors import error_responses
from obcms_platform.resource_routes import Write, Writes, collection_router
from portfolio_service.authz import WORKFLOW_UPDATE
from portfolio_service.workflow import service
from portfolio_service.workflow.models import BudgetStage
from portfolio_service.workflow.schemas import StageRead, StageUpdate

router = collection_router("ppas/{ppa_id}/workflow", tag="budget workflow", errors=(404,))


@router.get("", response_model=list[StageRead])
def list_stages(ppa_id: uuid.UUID, session: DbSession, _: CurrentPrincipal) -> list[StageRead]:
    """The six budget workflow stages of the PPA, in order."""
    return [StageRead.model_validate(stage) for stage in service.list_stages(session, ppa_id)]


@router.patch("/{stage}", response_model=StageRead, responses=error_responses(409, 412))
def update_stage(
    ppa_id: uuid.UUID,
    stage: BudgetStage,
    changes: StageUpdate,
    write: Annotated[Write, Writes(WORKFLOW_UPDATE)],
) -> StageRead:
    """Set status, due date, owner team or notes; 409 when completing out of order, 412 when
    ``If-Match`` names another version of the stage (its ETag)."""
    row = service.update_stage(write.session, ppa_id, stage, changes, write.expected_version)
    return write.respond(row, StageRead)
