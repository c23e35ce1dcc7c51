"""Prioritisation board routes: a need's manual rank, and the board's summary.

Included before the need routes: ``/needs/priority-summary`` is not a need's id.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query

from obcms_platform.auth import CurrentPrincipal
from obcms_platform.db import DbSession
from obcms_platform.errors import error_responses
from obcms_platform.resource_routes import Write, Writes, collection_router
from portfolio_service.authz import NEED_RANK
from portfolio_service.needs.schemas import NeedFilters, NeedRead
from portfolio_service.needs.service import filtered_needs
from portfolio_service.priorities import service
from portfolio_service.priorities.schemas import PrioritySummary, RankChange

router = collection_router("needs")


@router.get("/priority-summary", response_model=PrioritySummary)
def priority_summary(
    session: DbSession,
    _: CurrentPrincipal,
    filters: Annotated[NeedFilters, Query()],
) -> PrioritySummary:
    """Counts of the needs the list's filters select: ranked, high priority, addressed by no
    PPA, and high priority yet addressed by none."""
    return service.summary(session, filtered_needs(session, filters))


@router.put("/{need_id}/rank", response_model=NeedRead, responses=error_responses(403, 404, 412))
def set_need_rank(
    need_id: uuid.UUID, body: RankChange, write: Annotated[Write, Writes(NEED_RANK)]
) -> NeedRead:
    """Set, move or clear the need's place on the prioritisation board (managers); the needs
    between its old and new place move by one, so ranks stay 1, 2, … without gaps."""
    need = service.set_rank(
        write.session, need_id, body.rank, write.principal, write.expected_version
    )
    return write.respond(need, NeedRead)
