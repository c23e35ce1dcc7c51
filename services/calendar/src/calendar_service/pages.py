"""The gateway's page of each kind of record of this service (feed entries and conflict
warnings link to them)."""

from __future__ import annotations

import uuid


def event_page(event_id: uuid.UUID) -> str:
    return f"/oobc-management/calendar/events/{event_id}/"


def leave_page(leave_id: uuid.UUID) -> str:
    return f"/oobc-management/staff/leave/{leave_id}/"


def booking_page(booking_id: uuid.UUID) -> str:
    return f"/oobc-management/resources/bookings/{booking_id}/"
