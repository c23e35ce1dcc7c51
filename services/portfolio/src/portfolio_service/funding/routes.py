"""Funding routes: a PPA's funding (its summary, a new tranche) and the tranches of every PPA
(a list with filters, exported as CSV or Excel)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import status

from obcms_platform.auth import CurrentPrincipal
from obcms_platform.db import DbSession
from obcms_platform.errors import error_responses
from obcms_platform.exports import Export
from obcms_platform.resource_routes import ResourceRoutes, Write, Writes, collection_router
from portfolio_service.authz import FUNDING_CREATE
from portfolio_service.funding import service
from portfolio_service.funding.schemas import (
    TRANCHE_EXPORT_COLUMNS,
    FundingSummary,
    TrancheCreate,
    TrancheFilters,
    TrancheRead,
)

router = collection_router("ppas/{ppa_id}/funding", tag="funding", errors=(404,))
tranches_router = collection_router("funding-tranches", tag="funding")

tranches = ResourceRoutes(tranches_router, "funding_tranche", TrancheRead, versioned=False)
tranches.list(
    TrancheFilters,
    service.list_tranches,
    export=Export("funding-tranches", TRANCHE_EXPORT_COLUMNS, service.exported_tranches),
)


@router.get("", response_model=FundingSummary)
def funding_summary(ppa_id: uuid.UUID, session: DbSession, _: CurrentPrincipal) -> FundingSummary:
    """The PPA's tranches, their totals by type and the obligation, disbursement and
    utilization rates."""
    return service.funding_summary(session, ppa_id)


@router.post(
    "",
    response_model=TrancheRead,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(403),
)
def add_tranche(
    ppa_id: uuid.UUID,
    data: TrancheCreate,
    write: Annotated[Write, Writes(FUNDING_CREATE, if_match=False)],
) -> TrancheRead:
    """Record a tranche (manager)."""
    tranche = service.add_tranche(write.session, ppa_id, data, write.principal)
    return write.respond(tranche, TrancheRead, etag=False)
