"""Booking routes: anyone books (a time to come: a start that has passed is refused with
422); managers approve or reject; the booker or a manager cancels. An overlapping booking of
the same resource is refused with 409."""

from __future__ import annotations

from calendar_service.authz import BOOKING_CANCEL, BOOKING_CREATE, BOOKING_DECIDE
from calendar_service.bookings import service
from calendar_service.bookings.models import BookingStatus
from calendar_service.bookings.schemas import (
    BookingCreate,
    BookingDecision,
    BookingFilters,
    BookingRead,
)
from calendar_service.db import history
from obcms_platform.resource_routes import ResourceRoutes, collection_router

router = collection_router("bookings")

bookings = ResourceRoutes(router, "booking", BookingRead)
bookings.list(BookingFilters, service.list_bookings)
bookings.create(BookingCreate, service.create_booking, BOOKING_CREATE, errors=(409,))
bookings.get(service.get_booking)
bookings.history(history, service.get_booking)

# Each decision's rule is declared on the route (not only checked in the service): a staff
# caller gets 403 before the record is looked up, so the answer does not tell whether it exists.
for verb, to, rule in (
    ("approve", BookingStatus.APPROVED, BOOKING_DECIDE),
    ("reject", BookingStatus.REJECTED, BOOKING_DECIDE),
    ("cancel", BookingStatus.CANCELLED, BOOKING_CANCEL),
):
    bookings.transition(verb, to, service.decide, rule, body=BookingDecision, note="notes")
