"""Staff leave routes: staff file leave; managers and admins approve or reject it."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Query, Response, status

from calendar_service.authz import LEAVE_CREATE, LEAVE_DECIDE
from calendar_service.leaves import service
from calendar_service.leaves.models import LeaveStatus
from calendar_service.leaves.schemas import LeaveCreate, LeaveDecision, LeaveFilters, LeaveRead
from obcms_platform.app import API_PREFIX
from obcms_platform.auth import CurrentPrincipal, Principal
from obcms_platform.authz import Authorize
from obcms_platform.db import DbSession
from obcms_platform.errors import error_responses
from obcms_platform.pagination import Page, Pagination
from obcms_platform.versioning import set_etag

router = APIRouter(
    prefix=f"{API_PREFIX}/leaves", tags=["leave"], responses=error_responses(401, 422)
)

# Declared on the route (not only checked in the service): a staff caller gets 403 before
# the record is looked up, so the answer does not tell whether it exists.
Decision = Annotated[LeaveDecision | None, Body()]


@router.get("", response_model=Page[LeaveRead])
def list_leaves(
    session: DbSession,
    principal: CurrentPrincipal,
    page: Pagination,
    filters: Annotated[LeaveFilters, Query()],
) -> Page[LeaveRead]:
    items, total = service.list_leaves(session, filters, page, principal)
    return Page[LeaveRead].of([service.as_read(item, principal) for item in items], total, page)


@router.post(
    "",
    response_model=LeaveRead,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(403),
)
def create_leave(
    data: LeaveCreate,
    session: DbSession,
    principal: Annotated[Principal, Authorize(LEAVE_CREATE)],
    response: Response,
) -> LeaveRead:
    leave = service.create_leave(session, data, principal)
    session.commit()
    set_etag(response, leave.version)
    response.headers["Location"] = f"{router.prefix}/{leave.id}"
    return service.as_read(leave, principal)


@router.get("/{leave_id}", response_model=LeaveRead, responses=error_responses(404))
def get_leave(
    leave_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal, response: Response
) -> LeaveRead:
    leave = service.get_leave(session, leave_id)
    set_etag(response, leave.version)
    return service.as_read(leave, principal)


@router.post(
    "/{leave_id}/approve", response_model=LeaveRead, responses=error_responses(403, 404, 409)
)
def approve_leave(
    leave_id: uuid.UUID,
    session: DbSession,
    principal: Annotated[Principal, Authorize(LEAVE_DECIDE)],
    decision: Decision = None,
) -> LeaveRead:
    leave = service.decide(
        session, leave_id, LeaveStatus.APPROVED, principal, decision.reason if decision else None
    )
    session.commit()
    return service.as_read(leave, principal)


@router.post(
    "/{leave_id}/reject", response_model=LeaveRead, responses=error_responses(403, 404, 409)
)
def reject_leave(
    leave_id: uuid.UUID,
    session: DbSession,
    principal: Annotated[Principal, Authorize(LEAVE_DECIDE)],
    decision: Decision = None,
) -> LeaveRead:
    leave = service.decide(
        session, leave_id, LeaveStatus.REJECTED, principal, decision.reason if decision else None
    )
    session.commit()
    return service.as_read(leave, principal)
