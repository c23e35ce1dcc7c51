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
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, func, or_, select, text
from sqlalchemy.orm import Session, raiseload

from calendar_service.bookings.models import HOLDING, Booking
from calendar_service.calendar_events.models import Event, EventOccurrence
from calendar_service.calendar_events.service import expand
from calendar_service.leaves.models import LeaveStatus, StaffLeave
from calendar_service.resources.models import Resource
from obcms_platform.feed import (
    BOOKING_COLOURS,
    EVENT_COLOUR,
    LEAVE_COLOURS,
    MODULE_COORDINATION,
    MODULE_RESOURCES,
    MODULE_STAFF,
    OFFICE_ZONE,
    Entry,
    TimeWindow,
    extended_props,
    sorted_entries,
)

MODULE_EVENTS = MODULE_COORDINATION
MODULE_LEAVE = MODULE_STAFF
MODULE_BOOKINGS = MODULE_RESOURCES
SERVED_MODULES = (MODULE_EVENTS, MODULE_BOOKINGS, MODULE_LEAVE)
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


def window_events_statement(window: TimeWindow) -> Select[tuple[Event]]:
    """Events whose span overlaps the window (the GiST-indexed query)."""
    return (
        select(Event)
        .where(Event.span.op("&&")(func.tstzrange(window.start, window.end)))
        .options(raiseload(Event.overrides))
    )


def event_entries(session: Session, window: TimeWindow) -> list[Entry]:
    events = list(session.scalars(window_events_statement(window)))
    series = [event for event in events if event.recurrence is not None]
    overrides = _overrides(session, series, window)
    by_event: dict[uuid.UUID, list[EventOccurrence]] = {}
    for override in overrides:
        by_event.setdefault(override.event_id, []).append(override)
    # Series outside the window with an occurrence moved into it.
    known = {event.id for event in events}
    missing = [event_id for event_id in by_event if event_id not in known]
    if missing:
        events.extend(
            session.scalars(
                select(Event).where(Event.id.in_(missing)).options(raiseload(Event.overrides))
            )
        )
    entries: list[Entry] = []
    for event in events:
        zone = ZoneInfo(event.timezone)
        for item in expand(event, by_event.get(event.id, ()), window.start, window.end):
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
                        f"/oobc-management/calendar/events/{event.id}/",
                        eventType=event.event_type.value,
                        venue=item.venue or None,
                        occurrenceDate=occurrence,
                        moved=item.moved if occurrence else None,
                    ),
                )
            )
    return entries


def _overrides(session: Session, series: list[Event], window: TimeWindow) -> list[EventOccurrence]:
    moved_here = and_(
        ~EventOccurrence.cancelled,
        EventOccurrence.start < window.end,
        EventOccurrence.end > window.start,
    )
    condition = moved_here
    if series:
        longest = max(event.end - event.start for event in series)
        first_day = (window.start - longest).date() - timedelta(days=2)
        last_day = window.end.date() + timedelta(days=2)
        near = and_(
            EventOccurrence.event_id.in_([event.id for event in series]),
            EventOccurrence.occurrence_date.between(first_day, last_day),
        )
        condition = or_(near, moved_here)
    return list(session.scalars(select(EventOccurrence).where(condition)))


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
            colour=LEAVE_COLOURS[leave.status.value],
            zone=OFFICE_ZONE,
            props=extended_props(
                MODULE_LEAVE,
                "leave",
                str(leave.id),
                leave.status.value,
                f"/oobc-management/staff/leave/{leave.id}/",
                userId=str(leave.user_id),
            ),
        )
        for leave in leaves
    ]


def booking_entries(session: Session, window: TimeWindow) -> list[Entry]:
    rows = session.execute(
        select(Booking, Resource.name, Resource.location)
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
            colour=BOOKING_COLOURS[booking.status.value],
            zone=OFFICE_ZONE,
            description=booking.notes,
            location=location,
            props=extended_props(
                MODULE_BOOKINGS,
                "booking",
                str(booking.id),
                booking.status.value,
                f"/oobc-management/resources/bookings/{booking.id}/",
                resourceId=str(booking.resource_id),
                resourceName=name,
            ),
        )
        for booking, name, location in rows
    ]
