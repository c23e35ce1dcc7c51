"""Booking routes: anyone books; managers approve or reject; the booker or a manager
cancels. An overlapping booking of the same resource is refused with 409."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Query, Response, status

from calendar_service.authz import BOOKING_CANCEL, BOOKING_CREATE, BOOKING_DECIDE
from calendar_service.bookings import service
from calendar_service.bookings.models import BookingStatus
from calendar_service.bookings.schemas import (
    BookingCreate,
    BookingDecision,
    BookingFilters,
    BookingRead,
)
from obcms_platform.app import API_PREFIX
from obcms_platform.auth import CurrentPrincipal, Principal
from obcms_platform.authz import Authorize
from obcms_platform.db import DbSession
from obcms_platform.errors import error_responses
from obcms_platform.pagination import Page, Pagination
from obcms_platform.versioning import set_etag

router = APIRouter(
    prefix=f"{API_PREFIX}/bookings", tags=["bookings"], responses=error_responses(401, 422)
)

# Declared on the route (not only checked in the service): a staff caller gets 403 before
# the record is looked up, so the answer does not tell whether it exists.
Decision = Annotated[BookingDecision | None, Body()]


@router.get("", response_model=Page[BookingRead])
def list_bookings(
    session: DbSession,
    principal: CurrentPrincipal,
    page: Pagination,
    filters: Annotated[BookingFilters, Query()],
) -> Page[BookingRead]:
    items, total = service.list_bookings(session, filters, page, principal)
    return Page[BookingRead].of(items, total, page)


@router.post(
    "",
    response_model=BookingRead,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(409),
)
def create_booking(
    data: BookingCreate,
    session: DbSession,
    principal: Annotated[Principal, Authorize(BOOKING_CREATE)],
    response: Response,
) -> BookingRead:
    booking = service.create_booking(session, data, principal)
    session.commit()
    set_etag(response, booking.version)
    response.headers["Location"] = f"{router.prefix}/{booking.id}"
    return BookingRead.model_validate(booking)


@router.get("/{booking_id}", response_model=BookingRead, responses=error_responses(404))
def get_booking(
    booking_id: uuid.UUID, session: DbSession, _: CurrentPrincipal, response: Response
) -> BookingRead:
    booking = service.get_booking(session, booking_id)
    set_etag(response, booking.version)
    return BookingRead.model_validate(booking)


def _decide(
    session: DbSession,
    booking_id: uuid.UUID,
    to: BookingStatus,
    principal: Principal,
    decision: BookingDecision | None,
) -> BookingRead:
    booking = service.decide(
        session, booking_id, to, principal, decision.notes if decision else None
    )
    session.commit()
    return BookingRead.model_validate(booking)


@router.post(
    "/{booking_id}/approve", response_model=BookingRead, responses=error_responses(403, 404, 409)
)
def approve_booking(
    booking_id: uuid.UUID,
    session: DbSession,
    principal: Annotated[Principal, Authorize(BOOKING_DECIDE)],
    decision: Decision = None,
) -> BookingRead:
    return _decide(session, booking_id, BookingStatus.APPROVED, principal, decision)


@router.post(
    "/{booking_id}/reject", response_model=BookingRead, responses=error_responses(403, 404, 409)
)
def reject_booking(
    booking_id: uuid.UUID,
    session: DbSession,
    principal: Annotated[Principal, Authorize(BOOKING_DECIDE)],
    decision: Decision = None,
) -> BookingRead:
    return _decide(session, booking_id, BookingStatus.REJECTED, principal, decision)


@router.post(
    "/{booking_id}/cancel", response_model=BookingRead, responses=error_responses(403, 404, 409)
)
def cancel_booking(
    booking_id: uuid.UUID,
    session: DbSession,
    principal: Annotated[Principal, Authorize(BOOKING_CANCEL)],
    decision: Decision = None,
) -> BookingRead:
    return _decide(session, booking_id, BookingStatus.CANCELLED, principal, decision)
