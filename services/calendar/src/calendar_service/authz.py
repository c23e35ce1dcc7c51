"""Who may change what in the calendar (the rules of `obcms_platform.authz`).

An event is owned by its organizer and its creator; a booking by its booker; leave by the
person on leave (and whoever filed it). Managers may change any of them. Nobody decides their
own request: a manager's own leave or booking is approved by another manager. Filing leave
for a colleague, or making someone else an event's organizer, is a manager's act.
"""

from __future__ import annotations

import uuid

from calendar_service.bookings.models import Booking
from calendar_service.calendar_events.models import Event
from calendar_service.comments.models import Comment
from calendar_service.leaves.models import StaffLeave
from obcms_platform.auth import Role
from obcms_platform.authz import Ownership, Rule, owners_loader
from obcms_platform.comments import CommentRules
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


_event_owners = owners_loader(
    Event,
    Event.organizer_id,
    Event.created_by,
    param="event_id",
    what="event",
    owners=lambda row: Ownership.of(event_owner_ids(row.organizer_id, row.created_by)),
)
_booking_owners = owners_loader(
    Booking,
    Booking.booked_by,
    param="booking_id",
    what="booking",
    owners=lambda row: Ownership.of(booking_owner_ids(row.booked_by), requester=row.booked_by),
)
_leave_owners = owners_loader(
    StaffLeave,
    StaffLeave.user_id,
    StaffLeave.created_by,
    param="leave_id",
    what="leave",
    owners=lambda row: Ownership.of(
        leave_owner_ids(row.user_id, row.created_by), requester=row.user_id
    ),
)


EVENT_CREATE = Rule("event.create", "Create an event", role=Role.STAFF)
# Rules about a person named in the request body: its "owner" is that person (yourself, or
# a manager's act).
EVENT_ORGANIZER = Rule(
    "event.organizer",
    "Make someone else an event's organizer",
    owners=True,
    owners_are="the organizer named (yourself)",
)
EVENT_WRITE = Rule.owned(
    "event.write",
    "Change, move, cancel or delete an event or one occurrence",
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
BOOKING_CANCEL = Rule.owned(
    "booking.cancel", "Cancel a booking", loader=_booking_owners, owners_are="its booker"
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
LEAVE_WITHDRAW = Rule.owned(
    "leave.withdraw",
    "Withdraw a pending leave request (a manager: cancel any leave)",
    loader=_leave_owners,
    owners_are="the person on leave and who filed it",
)

# Read, not write: who sees a leave's type and reason (colleagues see who is away, and when).
LEAVE_READ_PRIVATE = Rule(
    "leave.read_private",
    "See a leave's type and reason",
    owners=True,
    owners_are="the person on leave and who filed it",
)

COMMENT_RULES = CommentRules.of(Comment)

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
    LEAVE_WITHDRAW,
    LEAVE_READ_PRIVATE,
    *COMMENT_RULES.all,
)
