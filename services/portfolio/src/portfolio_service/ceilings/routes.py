"""Budget ceiling routes: the standard ones of a resource (unversioned: no ETag, no
If-Match)."""

from __future__ import annotations

from obcms_platform.resource_routes import ResourceRoutes, collection_router
from portfolio_service.authz import CEILING_WRITE
from portfolio_service.ceilings import service
from portfolio_service.ceilings.schemas import (
    CeilingCreate,
    CeilingFilters,
    CeilingRead,
    CeilingUpdate,
)
from portfolio_service.db import history

router = collection_router("budget-ceilings", tag="budget ceilings")

ceilings = ResourceRoutes(router, "ceiling", CeilingRead, versioned=False)
ceilings.list(CeilingFilters, service.list_ceilings)
ceilings.create(
    CeilingCreate,
    service.create_ceiling,
    CEILING_WRITE,
    errors=(403, 409),
    description=(
        "Set a sector's ceiling for a fiscal year (manager); one active per sector and year."
    ),
)
ceilings.get(service.get_ceiling)
ceilings.history(history, service.get_ceiling)
ceilings.update(CeilingUpdate, service.update_ceiling, CEILING_WRITE, errors=(403, 404, 409))
