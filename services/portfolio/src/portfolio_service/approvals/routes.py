"""Approval workflow routes (under a PPA): parse, call the service, commit, respond."""

from __future__ import annotations

import uuid
from typing import Annotated

from obcms_platform.auth import CurrentPrincipal
from obcms_platform.db import DbSession
from obcms_platform.errors import error_responses
from obcms_platform.resource_routes import Write, Writes, collection_router
from portfolio_service.approvals import service
from portfolio_service.approvals.schemas import ApprovalHistoryRead, ApprovalRequest
from portfolio_service.authz import PPA_APPROVAL
from portfolio_service.ppas.schemas import PpaRead

router = collection_router("ppas/{ppa_id}/approval", tag="approvals", errors=(404,))


@router.post("", response_model=PpaRead, responses=error_responses(403, 409, 412))
def change_approval(
    ppa_id: uuid.UUID, body: ApprovalRequest, write: Annotated[Write, Writes(PPA_APPROVAL)]
) -> PpaRead:
    """Move the PPA along the approval workflow (manager; into approved or enacted: admin)."""
    ppa = service.change_approval(
        write.session, ppa_id, body, write.principal, write.expected_version
    )
    return write.respond(ppa, PpaRead)


@router.get("", response_model=list[ApprovalHistoryRead])
def approval_history(
    ppa_id: uuid.UUID, session: DbSession, _: CurrentPrincipal
) -> list[ApprovalHistoryRead]:
    """Every approval move of the PPA, oldest first."""
    return [ApprovalHistoryRead.model_validate(h) for h in service.list_history(session, ppa_id)]
