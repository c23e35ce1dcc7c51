"""Resource routes: anyone may read; managers create and change resources."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from calendar_service.authz import RESOURCE_WRITE
from calendar_service.resources import service
from calendar_service.resources.schemas import (
    ResourceCreate,
    ResourceFilters,
    ResourceRead,
    ResourceUpdate,
)
from obcms_platform.app import API_PREFIX
from obcms_platform.auth import CurrentPrincipal, Principal
from obcms_platform.authz import Authorize
from obcms_platform.db import DbSession
from obcms_platform.errors import error_responses
from obcms_platform.pagination import Page, Pagination
from obcms_platform.versioning import ExpectedVersion, set_etag

router = APIRouter(
    prefix=f"{API_PREFIX}/resources", tags=["resources"], responses=error_responses(401, 422)
)


@router.get("", response_model=Page[ResourceRead])
def list_resources(
    session: DbSession,
    _: CurrentPrincipal,
    page: Pagination,
    filters: Annotated[ResourceFilters, Query()],
) -> Page[ResourceRead]:
    items, total = service.list_resources(session, filters, page)
    return Page[ResourceRead].of(items, total, page)


@router.post(
    "",
    response_model=ResourceRead,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(403, 409),
)
def create_resource(
    data: ResourceCreate,
    session: DbSession,
    _: Annotated[Principal, Authorize(RESOURCE_WRITE)],
    response: Response,
) -> ResourceRead:
    resource = service.create_resource(session, data)
    session.commit()
    set_etag(response, resource.version)
    response.headers["Location"] = f"{router.prefix}/{resource.id}"
    return ResourceRead.model_validate(resource)


@router.get("/{resource_id}", response_model=ResourceRead, responses=error_responses(404))
def get_resource(
    resource_id: uuid.UUID, session: DbSession, _: CurrentPrincipal, response: Response
) -> ResourceRead:
    resource = service.get_resource(session, resource_id)
    set_etag(response, resource.version)
    return ResourceRead.model_validate(resource)


@router.patch(
    "/{resource_id}", response_model=ResourceRead, responses=error_responses(403, 404, 409, 412)
)
def update_resource(
    resource_id: uuid.UUID,
    changes: ResourceUpdate,
    session: DbSession,
    _: Annotated[Principal, Authorize(RESOURCE_WRITE)],
    expected_version: ExpectedVersion,
    response: Response,
) -> ResourceRead:
    resource = service.update_resource(session, resource_id, changes, expected_version)
    session.commit()
    set_etag(response, resource.version)
    return ResourceRead.model_validate(resource)
