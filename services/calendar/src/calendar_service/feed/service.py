"""This service's calendar feed entries for a window: events (and the occurrences of series),
staff leave and resource bookings.

Every query is bounded by the window and backed by an index:
- events: ``span && tstzrange(window)`` on the GiST index of ``events.span``. A single
  event's span is its own time; a series' span runs from its first start to the end of its
  last occurrence (open for a series without end), so the query returns exactly the single
  events in the window plus the series whose range can intersect it; those are expanded for
  the window only (see `recurrence`);
- overrides of those series near the window, and occurrences moved into the window from
  elsewhere (partial index on the moved start), in one query;
- leave by the (start_date, end_date) index; bookings by the partial GiST index on
  ``during`` of pending-or-approved bookings.
A feed costs at most six queries, whatever the number of events.

Every entry a person can change says who may (``ownerIds``: the owners of `authz`), on whose
calendars it belongs (``peopleIds``), and its row ``version`` (the ETag of ``If-Match``);
events also their API path (``apiUrl``: the calendar may drag them) and, for occurrences of a
series, ``recurring``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from calendar_service.authz import booking_owner_ids, event_owner_ids, leave_owner_ids
from calendar_service.bookings.models import HOLDING, Booking
from calendar_service.calendar_events.models import Event
from calendar_service.calendar_events.service import window_occurrences
from calendar_service.leaves.models import LeaveStatus, StaffLeave
from calendar_service.pages import booking_page, event_page, leave_page
from calendar_service.resources.models import Resource
from obcms_platform.feed import (
    BOOKING_COLOUR,
    EVENT_COLOUR,
    LEAVE_COLOUR,
    MODULE_COORDINATION,
    MODULE_RESOURCES,
    MODULE_STAFF,
    OFFICE_ZONE,
    Entry,
    TimeWindow,
    extended_props,
    sorted_entries,
    user_ids,
)

MODULE_EVENTS = MODULE_COORDINATION
MODULE_LEAVE = MODULE_STAFF
MODULE_BOOKINGS = MODULE_RESOURCES
# Leave that shows on the calendar.
SHOWN_LEAVE = (LeaveStatus.APPROVED, LeaveStatus.PENDING)


def feed_entries(session: Session, window: TimeWindow, modules: Iterable[str]) -> list[Entry]:
    wanted = set(modules)
    entries: list[Entry] = []
    if MODULE_EVENTS in wanted:
        entries.extend(event_entries(session, window))
    if MODULE_LEAVE in wanted:
        entries.extend(leave_entries(session, window))
    if MODULE_BOOKINGS in wanted:
        entries.extend(booking_entries(session, window))
    return sorted_entries(entries)


def event_entries(session: Session, window: TimeWindow) -> list[Entry]:
    entries: list[Entry] = []
    facts: dict[uuid.UUID, dict[str, Any]] = {}
    for item in window_occurrences(session, window):
        event = item.event
        if event.id not in facts:
            facts[event.id] = _event_facts(event)
        zone = ZoneInfo(event.timezone)
        entry_id = f"coordination-event-{event.id}"
        occurrence = None
        if item.occurrence_date is not None:
            occurrence = item.occurrence_date.strftime("%Y%m%d")
            entry_id = f"{entry_id}-{occurrence}"
        start: datetime | date = item.start
        end: datetime | date = item.end
        if event.all_day:
            start = item.start.astimezone(zone).date()
            end = max(item.end.astimezone(zone).date(), start + timedelta(days=1))
        entries.append(
            Entry(
                id=entry_id,
                title=item.title,
                start=start,
                end=end,
                all_day=event.all_day,
                colour=EVENT_COLOUR,
                zone=zone,
                description=event.description,
                location=item.venue,
                props=extended_props(
                    MODULE_EVENTS,
                    "event",
                    str(event.id),
                    event.status.value,
                    event_page(event.id),
                    eventType=event.event_type.value,
                    venue=item.venue or None,
                    occurrenceDate=occurrence,
                    moved=item.moved if occurrence else None,
                    **facts[event.id],
                ),
            )
        )
    return entries


def _event_facts(event: Event) -> dict[str, Any]:
    """Who may change the event, on whose calendars it is, its version and API path."""
    owners = event_owner_ids(event.organizer_id, event.created_by)
    return {
        "ownerIds": user_ids(owners),
        "peopleIds": user_ids(owners, event.participant_ids),
        "version": event.version,
        "apiUrl": f"/api/v1/events/{event.id}",
        "recurring": True if event.recurrence is not None else None,
    }


def leave_entries(session: Session, window: TimeWindow) -> list[Entry]:
    first, last = window.days()
    leaves = session.scalars(
        select(StaffLeave).where(
            StaffLeave.start_date <= last,
            StaffLeave.end_date >= first,
            StaffLeave.status.in_(SHOWN_LEAVE),
        )
    )
    return [
        Entry(
            id=f"staff-leave-{leave.id}",
            # Shared by everyone who sees the calendar: who is away and when, never why
            # (the leave's page shows its type to those who may see it).
            title="On leave",
            start=leave.start_date,
            end=leave.end_date + timedelta(days=1),
            all_day=True,
            colour=LEAVE_COLOUR,
            zone=OFFICE_ZONE,
            props=extended_props(
                MODULE_LEAVE,
                "leave",
                str(leave.id),
                leave.status.value,
                leave_page(leave.id),
                userId=str(leave.user_id),
                ownerIds=user_ids(leave_owner_ids(leave.user_id, leave.created_by)),
                peopleIds=user_ids(leave.user_id),
                version=leave.version,
            ),
        )
        for leave in leaves
    ]


def booking_entries(session: Session, window: TimeWindow) -> list[Entry]:
    rows = session.execute(
        select(Booking, Resource.name)
        .join(Resource, Resource.id == Booking.resource_id)
        .where(
            text(f"bookings.{HOLDING}"),
            Booking.during.op("&&")(func.tstzrange(window.start, window.end)),
        )
    )
    return [
        Entry(
            id=f"resources-booking-{booking.id}",
            title=f"{name} booking",
            start=booking.start,
            end=booking.end,
            all_day=False,
            colour=BOOKING_COLOUR,
            zone=OFFICE_ZONE,
            description=booking.notes,
            location=name,  # the booked resource (a room, a vehicle) is where it happens
            props=extended_props(
                MODULE_BOOKINGS,
                "booking",
                str(booking.id),
                booking.status.value,
                booking_page(booking.id),
                resourceId=str(booking.resource_id),
                resourceName=name,
                ownerIds=user_ids(booking_owner_ids(booking.booked_by)),
                peopleIds=user_ids(booking.booked_by),
                version=booking.version,
            ),
        )
        for booking, name in rows
    ]
