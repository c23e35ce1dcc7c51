"""Portfolio timeline route (read-only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from obcms_platform.auth import CurrentPrincipal
from obcms_platform.db import DbSession
from obcms_platform.resource_routes import collection_router
from portfolio_service.timeline import service
from portfolio_service.timeline.schemas import Timeline, TimelineFilters

router = collection_router("portfolio", tag="timeline")


@router.get("/timeline", response_model=Timeline)
def timeline(
    session: DbSession,
    principal: CurrentPrincipal,
    filters: Annotated[TimelineFilters, Query()],
) -> Timeline:
    """The PPAs the PPA list's filters select (at most `limit` of them; `total` says how many
    there are), with their milestones and budget workflow stages, grouped by sector or
    status. `milestones_editable` says whether the caller may move a PPA's milestones."""
    return service.portfolio_timeline(session, filters, principal)
