"""PPA routes: parse, call the service, commit, respond."""

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
from obcms_platform.versioning import ExpectedVersion, set_etag
from portfolio_service.authz import PPA_CREATE, PPA_DELETE, PPA_UPDATE
from portfolio_service.ppas import service
from portfolio_service.ppas.schemas import PpaCreate, PpaFilters, PpaRead, PpaUpdate

router = APIRouter(prefix=f"{API_PREFIX}/ppas", tags=["PPAs"], responses=error_responses(401, 422))


@router.get("", response_model=Page[PpaRead])
def list_ppas(
    session: DbSession,
    _: CurrentPrincipal,
    page: Pagination,
    filters: Annotated[PpaFilters, Query()],
) -> Page[PpaRead]:
    items, total = service.list_ppas(session, filters, page)
    return Page[PpaRead].of(items, total, page)


@router.post("", response_model=PpaRead, status_code=status.HTTP_201_CREATED)
def create_ppa(
    data: PpaCreate,
    session: DbSession,
    principal: Annotated[Principal, Authorize(PPA_CREATE)],
    response: Response,
) -> PpaRead:
    ppa = service.create_ppa(session, data, principal)
    session.commit()
    set_etag(response, ppa.version)
    response.headers["Location"] = f"{router.prefix}/{ppa.id}"
    return PpaRead.model_validate(ppa)


@router.get("/{ppa_id}", response_model=PpaRead, responses=error_responses(404))
def get_ppa(
    ppa_id: uuid.UUID, session: DbSession, _: CurrentPrincipal, response: Response
) -> PpaRead:
    ppa = service.get_ppa(session, ppa_id)
    set_etag(response, ppa.version)
    return PpaRead.model_validate(ppa)


@router.patch("/{ppa_id}", response_model=PpaRead, responses=error_responses(404, 409, 412))
def update_ppa(
    ppa_id: uuid.UUID,
    changes: PpaUpdate,
    session: DbSession,
    principal: Annotated[Principal, Authorize(PPA_UPDATE)],
    expected_version: ExpectedVersion,
    response: Response,
) -> PpaRead:
    ppa = service.update_ppa(session, ppa_id, changes, principal, expected_version)
    session.commit()
    set_etag(response, ppa.version)
    return PpaRead.model_validate(ppa)


@router.delete(
    "/{ppa_id}", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(403, 404, 412)
)
def delete_ppa(
    ppa_id: uuid.UUID,
    session: DbSession,
    principal: Annotated[Principal, Authorize(PPA_DELETE)],
    expected_version: ExpectedVersion,
) -> Response:
    service.delete_ppa(session, ppa_id, expected_version)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
