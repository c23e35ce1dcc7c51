"""Need routes: parse, call the service, commit, respond."""

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
from portfolio_service.authz import NEED_CREATE, NEED_WRITE
from portfolio_service.needs import service
from portfolio_service.needs.schemas import (
    NeedCreate,
    NeedFilters,
    NeedPpaLinks,
    NeedRead,
    NeedUpdate,
)

router = APIRouter(
    prefix=f"{API_PREFIX}/needs", tags=["needs"], responses=error_responses(401, 422)
)


@router.get("", response_model=Page[NeedRead])
def list_needs(
    session: DbSession,
    _: CurrentPrincipal,
    page: Pagination,
    filters: Annotated[NeedFilters, Query()],
) -> Page[NeedRead]:
    items, total = service.list_needs(session, filters, page)
    return Page[NeedRead].of(items, total, page)


@router.post("", response_model=NeedRead, status_code=status.HTTP_201_CREATED)
def create_need(
    data: NeedCreate,
    session: DbSession,
    principal: Annotated[Principal, Authorize(NEED_CREATE)],
    response: Response,
) -> NeedRead:
    need = service.create_need(session, data, principal)
    session.commit()
    set_etag(response, need.version)
    response.headers["Location"] = f"{router.prefix}/{need.id}"
    return NeedRead.model_validate(need)


@router.get("/{need_id}", response_model=NeedRead, responses=error_responses(404))
def get_need(
    need_id: uuid.UUID, session: DbSession, _: CurrentPrincipal, response: Response
) -> NeedRead:
    need = service.get_need(session, need_id)
    set_etag(response, need.version)
    return NeedRead.model_validate(need)


@router.patch("/{need_id}", response_model=NeedRead, responses=error_responses(404, 412))
def update_need(
    need_id: uuid.UUID,
    changes: NeedUpdate,
    session: DbSession,
    principal: Annotated[Principal, Authorize(NEED_WRITE)],
    expected_version: ExpectedVersion,
    response: Response,
) -> NeedRead:
    need = service.update_need(session, need_id, changes, principal, expected_version)
    session.commit()
    set_etag(response, need.version)
    return NeedRead.model_validate(need)


@router.delete(
    "/{need_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(403, 404, 412),
)
def delete_need(
    need_id: uuid.UUID,
    session: DbSession,
    _: Annotated[Principal, Authorize(NEED_WRITE)],
    expected_version: ExpectedVersion,
) -> Response:
    service.delete_need(session, need_id, expected_version)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put("/{need_id}/ppas", response_model=NeedRead, responses=error_responses(404, 412))
def replace_ppa_links(
    need_id: uuid.UUID,
    body: NeedPpaLinks,
    session: DbSession,
    principal: Annotated[Principal, Authorize(NEED_WRITE)],
    expected_version: ExpectedVersion,
    response: Response,
) -> NeedRead:
    """Replace the list of PPAs addressing the need (422 naming ppa_ids for an unknown PPA)."""
    need = service.replace_ppa_links(session, need_id, body.ppa_ids, principal, expected_version)
    session.commit()
    set_etag(response, need.version)
    return NeedRead.model_validate(need)


@router.put(
    "/{need_id}/ppas/{ppa_id}", response_model=NeedRead, responses=error_responses(404, 412)
)
def link_ppa(
    need_id: uuid.UUID,
    ppa_id: uuid.UUID,
    session: DbSession,
    principal: Annotated[Principal, Authorize(NEED_WRITE)],
    expected_version: ExpectedVersion,
    response: Response,
) -> NeedRead:
    """Add one PPA to those addressing the need, keeping the others (already linked: 200,
    unchanged; an unknown PPA: 422 naming ppa_id)."""
    need = service.link_ppa(session, need_id, ppa_id, principal, expected_version)
    session.commit()
    set_etag(response, need.version)
    return NeedRead.model_validate(need)


@router.delete(
    "/{need_id}/ppas/{ppa_id}", response_model=NeedRead, responses=error_responses(404, 412)
)
def unlink_ppa(
    need_id: uuid.UUID,
    ppa_id: uuid.UUID,
    session: DbSession,
    principal: Annotated[Principal, Authorize(NEED_WRITE)],
    expected_version: ExpectedVersion,
    response: Response,
) -> NeedRead:
    """Remove one PPA from those addressing the need, keeping the others (not linked: 404
    naming ppa_id)."""
    need = service.unlink_ppa(session, need_id, ppa_id, principal, expected_version)
    session.commit()
    set_etag(response, need.version)
    return NeedRead.model_validate(need)
