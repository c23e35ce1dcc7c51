"""Who may change what in the calendar (the rules of `obcms_platform.authz`).

An event is owned by its organizer and its creator; a booking by its booker; leave by the
person on leave (and whoever filed it). Managers may change any of them. Nobody decides their
own request: a manager's own leave or booking is approved by another manager. Filing leave
for a colleague, or making someone else an event's organizer, is a manager's act.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from calendar_service.bookings.models import Booking
from calendar_service.calendar_events.models import Event
from calendar_service.leaves.models import StaffLeave
from obcms_platform.auth import Role
from obcms_platform.authz import Ownership, Rule
from obcms_platform.records import columns_or_404
from obcms_platform.schemas import deduplicated


def event_owner_ids(
    organizer_id: uuid.UUID | None, created_by: uuid.UUID | None
) -> list[uuid.UUID]:
    """An event's owners: its organizer and its creator (also the feed's ``ownerIds``)."""
    return deduplicated([person for person in (organizer_id, created_by) if person])


def booking_owner_ids(booked_by: uuid.UUID) -> list[uuid.UUID]:
    """A booking's owner: its booker."""
    return [booked_by]


def leave_owner_ids(user_id: uuid.UUID, created_by: uuid.UUID | None) -> list[uuid.UUID]:
    """A leave's owners: the person on leave and who filed it."""
    return deduplicated([person for person in (user_id, created_by) if person])


def _event_owners(session: Session, params: Mapping[str, Any]) -> Ownership:
    event_id = uuid.UUID(str(params["event_id"]))
    row = columns_or_404(
        session, Event, event_id, Event.organizer_id, Event.created_by, what="event"
    )
    return Ownership.of(event_owner_ids(row.organizer_id, row.created_by))


def _booking_owners(session: Session, params: Mapping[str, Any]) -> Ownership:
    booking_id = uuid.UUID(str(params["booking_id"]))
    booker = columns_or_404(session, Booking, booking_id, Booking.booked_by, what="booking")
    return Ownership.of(booking_owner_ids(booker.booked_by), requester=booker.booked_by)


def _leave_owners(session: Session, params: Mapping[str, Any]) -> Ownership:
    leave_id = uuid.UUID(str(params["leave_id"]))
    row = columns_or_404(
        session, StaffLeave, leave_id, StaffLeave.user_id, StaffLeave.created_by, what="leave"
    )
    return Ownership.of(leave_owner_ids(row.user_id, row.created_by), requester=row.user_id)


EVENT_CREATE = Rule("event.create", "Create an event", role=Role.STAFF)
# Rules about a person named in the request body: its "owner" is that person (yourself, or
# a manager's act).
EVENT_ORGANIZER = Rule(
    "event.organizer",
    "Make someone else an event's organizer",
    owners=True,
    owners_are="the organizer named (yourself)",
)
EVENT_WRITE = Rule(
    "event.write",
    "Change, move, cancel or delete an event or one occurrence",
    owners=True,
    loader=_event_owners,
    owners_are="its organizer and its creator",
)
RESOURCE_WRITE = Rule("resource.write", "Add or change a bookable resource")
BOOKING_CREATE = Rule("booking.create", "Book a resource", role=Role.STAFF)
BOOKING_DECIDE = Rule(
    "booking.decide",
    "Approve or reject a booking",
    not_requester=True,
    loader=_booking_owners,
    owners_are="its booker (the requester)",
)
BOOKING_CANCEL = Rule(
    "booking.cancel",
    "Cancel a booking",
    owners=True,
    loader=_booking_owners,
    owners_are="its booker",
)
LEAVE_CREATE = Rule("leave.create", "File leave", role=Role.STAFF)
LEAVE_FOR_SOMEONE = Rule(
    "leave.for_someone",
    "File leave for someone else",
    owners=True,
    owners_are="the person on leave (yourself)",
)
LEAVE_DECIDE = Rule(
    "leave.decide",
    "Approve or reject leave",
    not_requester=True,
    loader=_leave_owners,
    owners_are="the person on leave (the requester) and who filed it",
)

# Read, not write: who sees a leave's type and reason (colleagues see who is away, and when).
LEAVE_READ_PRIVATE = Rule(
    "leave.read_private",
    "See a leave's type and reason",
    owners=True,
    owners_are="the person on leave and who filed it",
)

RULES = (
    EVENT_CREATE,
    EVENT_ORGANIZER,
    EVENT_WRITE,
    RESOURCE_WRITE,
    BOOKING_CREATE,
    BOOKING_DECIDE,
    BOOKING_CANCEL,
    LEAVE_CREATE,
    LEAVE_FOR_SOMEONE,
    LEAVE_DECIDE,
    LEAVE_READ_PRIVATE,
)
