"""Budget ceiling routes: parse, call the service, commit, respond."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from obcms_platform.app import API_PREFIX
from obcms_platform.auth import CurrentPrincipal, Principal
from obcms_platform.authz import Authorize
from obcms_platform.db import DbSession
from obcms_platform.errors import error_responses
from obcms_platform.pagination import Page, Pagination
from portfolio_service.authz import CEILING_WRITE
from portfolio_service.ceilings import service
from portfolio_service.ceilings.schemas import (
    CeilingCreate,
    CeilingFilters,
    CeilingRead,
    CeilingUpdate,
)

router = APIRouter(
    prefix=f"{API_PREFIX}/budget-ceilings",
    tags=["budget ceilings"],
    responses=error_responses(401, 422),
)


@router.get("", response_model=Page[CeilingRead])
def list_ceilings(
    session: DbSession,
    _: CurrentPrincipal,
    page: Pagination,
    filters: Annotated[CeilingFilters, Query()],
) -> Page[CeilingRead]:
    items, total = service.list_ceilings(session, filters, page)
    return Page[CeilingRead].of(items, total, page)


@router.post(
    "",
    response_model=CeilingRead,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(403, 409),
)
def create_ceiling(
    data: CeilingCreate,
    session: DbSession,
    _: Annotated[Principal, Authorize(CEILING_WRITE)],
    response: Response,
) -> CeilingRead:
    """Set a sector's ceiling for a fiscal year (manager); one active per sector and year."""
    ceiling = service.create_ceiling(session, data)
    session.commit()
    response.headers["Location"] = f"{router.prefix}/{ceiling.id}"
    return CeilingRead.model_validate(ceiling)


@router.get("/{ceiling_id}", response_model=CeilingRead, responses=error_responses(404))
def get_ceiling(ceiling_id: uuid.UUID, session: DbSession, _: CurrentPrincipal) -> CeilingRead:
    return CeilingRead.model_validate(service.get_ceiling(session, ceiling_id))


@router.patch("/{ceiling_id}", response_model=CeilingRead, responses=error_responses(403, 404, 409))
def update_ceiling(
    ceiling_id: uuid.UUID,
    changes: CeilingUpdate,
    session: DbSession,
    _: Annotated[Principal, Authorize(CEILING_WRITE)],
) -> CeilingRead:
    ceiling = service.update_ceiling(session, ceiling_id, changes)
    session.commit()
    return CeilingRead.model_validate(ceiling)
