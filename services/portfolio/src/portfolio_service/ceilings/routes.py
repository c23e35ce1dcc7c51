"""Budget ceiling routes: the standard ones of a resource (versioned: ETag, If-Match), and
the ceilings' usage."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from obcms_platform.auth import CurrentPrincipal
from obcms_platform.db import DbSession
from obcms_platform.resource_routes import ResourceRoutes, collection_router
from portfolio_service.authz import CEILING_WRITE
from portfolio_service.ceilings import service
from portfolio_service.ceilings.schemas import (
    CeilingCreate,
    CeilingFilters,
    CeilingRead,
    CeilingUpdate,
    CeilingUsage,
    UsageFilters,
)
from portfolio_service.db import history

router = collection_router("budget-ceilings", tag="budget ceilings")

ceilings = ResourceRoutes(router, "ceiling", CeilingRead)
ceilings.list(CeilingFilters, service.list_ceilings)
ceilings.create(
    CeilingCreate,
    service.create_ceiling,
    CEILING_WRITE,
    errors=(403, 409),
    description=(
        "Set a ceiling of a sector's commitments in a fiscal year (manager), for one funding "
        "source or all of them, hard (refuses) or soft (flags); one active per sector, year "
        "and source."
    ),
)


# Before the record's routes: "usage" is no ceiling id.
@router.get("/usage", response_model=list[CeilingUsage])
def ceiling_usage(
    session: DbSession, _: CurrentPrincipal, filters: Annotated[UsageFilters, Query()]
) -> list[CeilingUsage]:
    """The active ceilings with what is committed against each (the budget allocations of
    the PPAs they hold in budget review or later), the headroom left and the share used."""
    return service.ceiling_usage(session, filters)


ceilings.get(service.get_ceiling)
ceilings.history(history, service.get_ceiling)
ceilings.update(CeilingUpdate, service.update_ceiling, CEILING_WRITE, errors=(403, 404, 409, 412))
