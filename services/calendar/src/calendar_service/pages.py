"""The gateway's page of each kind of record of this service (feed entries and conflict
warnings link to them)."""

from __future__ import annotations

import uuid

# Where each kind's pages are: a record's page is its id and a slash after these (the feed's
# SQL writes them too).
EVENT_PAGES = "/oobc-management/calendar/events/"
LEAVE_PAGES = "/oobc-management/staff/leave/"
BOOKING_PAGES = "/oobc-management/resources/bookings/"


def event_page(event_id: uuid.UUID) -> str:
    return f"{EVENT_PAGES}{event_id}/"


def leave_page(leave_id: uuid.UUID) -> str:
    return f"{LEAVE_PAGES}{leave_id}/"


def booking_page(booking_id: uuid.UUID) -> str:
    return f"{BOOKING_PAGES}{booking_id}/"
