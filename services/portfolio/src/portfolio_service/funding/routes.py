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
from portfolio_service.authz import FUNDING_CREATE, FUNDING_REVERSE
from portfolio_service.funding import service
from portfolio_service.funding.schemas import (
    TRANCHE_EXPORT_COLUMNS,
    FundingSummary,
    ReversalCreate,
    TrancheCreate,
    TrancheFilters,
    TrancheRead,
)
from portfolio_service.people.service import directory

router = collection_router("ppas/{ppa_id}/funding", tag="funding", errors=(404,))
tranches_router = collection_router("funding-tranches", tag="funding")

tranches = ResourceRoutes(tranches_router, "funding_tranche", TrancheRead, versioned=False)
tranches.list(
    TrancheFilters,
    service.list_tranches,
    export=Export("funding-tranches", TRANCHE_EXPORT_COLUMNS, service.exported_tranches, directory),
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
    responses=error_responses(403, 409),
)
def add_tranche(
    ppa_id: uuid.UUID,
    data: TrancheCreate,
    write: Annotated[Write, Writes(FUNDING_CREATE, if_match=False)],
) -> TrancheRead:
    """Record a tranche (manager); refused (422) when dated after the office's today, and
    (409) when it would take obligations over the allocated total, disbursements over the
    obligated one, or the allocated total over the PPA's budget allocation or its sector's
    budget ceiling."""
    tranche = service.add_tranche(write.session, ppa_id, data, write.principal)
    return write.respond(tranche, TrancheRead, etag=False)


@router.post(
    "/{tranche_id}/reversal",
    response_model=TrancheRead,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(403, 409),
)
def reverse_tranche(
    ppa_id: uuid.UUID,
    tranche_id: uuid.UUID,
    data: ReversalCreate,
    write: Annotated[Write, Writes(FUNDING_REVERSE, if_match=False)],
) -> TrancheRead:
    """Correct a tranche (manager): record its reversal, the same type with the opposite
    amount and the reason. A tranche is reversed at most once and a reversal never; refused
    (409) when the PPA's totals without the tranche would break a limit."""
    reversal = service.reverse_tranche(write.session, ppa_id, tranche_id, data, write.principal)
    return write.respond(reversal, TrancheRead, etag=False)
