"""Conflict warnings (never blocks): in given time slots, the people already in another event
or on leave (approved, or requested: tentative), and the resource named by the venue (its name
or location, any case) with a booking (approved, or pending: tentative).

Bounded whatever the data: a slot asked for is a window as the feed's; an event's
conflicts are those of its occurrences in the `EVENT_HORIZON` from now (or from its start,
if later), at most `MAX_OCCURRENCES` of them; an answer holds the `MAX_CONFLICTS` earliest.
Events (with their overrides), leave and bookings are one window query each (the feed's
indexes), whatever the number of slots.
"""

from __future__ import annotations

import itertools
import uuid
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, or_, select, text
from sqlalchemy.orm import Session

from calendar_service.bookings.models import HOLDING, Booking, BookingStatus
from calendar_service.calendar_events.models import Event, EventStatus
from calendar_service.calendar_events.recurrence import aware
from calendar_service.calendar_events.service import expand, get_event, window_occurrences
from calendar_service.conflicts.schemas import ConflictKind, ConflictQuery, ConflictRead
from calendar_service.leaves.models import LeaveStatus, StaffLeave
from calendar_service.pages import booking_page, event_page, leave_page
from calendar_service.resources.models import Resource
from obcms_platform.errors import InvalidInputError
from obcms_platform.feed import OFFICE_ZONE, TimeWindow, make_window
from obcms_platform.schemas import deduplicated

MAX_CONFLICTS = 50
EVENT_HORIZON = timedelta(days=90)
MAX_OCCURRENCES = 100


@dataclass(frozen=True)
class Slot:
    start: datetime  # aware
    end: datetime  # aware, exclusive
    venue: str = ""


class _Slots:
    """Time slots answering "does [start, end) overlap one of them?" in logarithmic time."""

    def __init__(self, slots: Iterable[Slot]) -> None:
        ordered = sorted(slots, key=lambda slot: slot.start)
        self._starts = [slot.start for slot in ordered]
        self._latest_end = list(itertools.accumulate((slot.end for slot in ordered), max))

    def overlap(self, start: datetime, end: datetime) -> bool:
        before_end = bisect_left(self._starts, end)  # the slots starting before `end`
        return before_end > 0 and self._latest_end[before_end - 1] > start


# A conflict with its sort key: its start, then the person's place in the list asked about.
_Ranked = tuple[tuple[datetime, int, str], ConflictRead]


def slot_conflicts(session: Session, query: ConflictQuery, max_days: int) -> list[ConflictRead]:
    """The conflicts of one slot, a window as the feed's (at most `max_days`)."""
    if query.start is None or query.end is None:
        missing = "start" if query.start is None else "end"
        raise InvalidInputError(f"{missing}: required (the slot's start and end)", field=missing)
    window = make_window(query.start, query.end, max_days=max_days)
    slot = Slot(window.start, window.end, query.venue)
    return find_conflicts(session, [slot], query.participant_ids, query.exclude_event_id)


def event_conflicts(session: Session, event_id: uuid.UUID, now: datetime) -> list[ConflictRead]:
    """The conflicts of the event's next occurrences (its organizer and participants, the
    venue of each occurrence)."""
    event = get_event(session, event_id)
    start = max(now, event.start)
    occurrences = expand(event, event.overrides, start, start + EVENT_HORIZON)
    slots = [Slot(item.start, item.end, item.venue) for item in occurrences[:MAX_OCCURRENCES]]
    people = deduplicated([p for p in (event.organizer_id, *event.participant_ids) if p])
    return find_conflicts(session, slots, people, event.id)


def find_conflicts(
    session: Session,
    slots: Sequence[Slot],
    people: Sequence[uuid.UUID],
    exclude_event_id: uuid.UUID | None,
) -> list[ConflictRead]:
    """The earliest `MAX_CONFLICTS` conflicts with any of `slots`."""
    if not slots:
        return []
    window = TimeWindow(min(slot.start for slot in slots), max(slot.end for slot in slots))
    rank = {person: index for index, person in enumerate(people)}
    found = itertools.chain(
        _events(session, window, _Slots(slots), rank, exclude_event_id),
        _leave(session, window, _Slots(slots), rank),
        _bookings(session, window, slots, exclude_event_id, len(rank)),
    )
    earliest = sorted(found, key=lambda ranked: ranked[0])[:MAX_CONFLICTS]
    return [conflict for _, conflict in earliest]


def _events(
    session: Session,
    window: TimeWindow,
    busy: _Slots,
    rank: dict[uuid.UUID, int],
    exclude_event_id: uuid.UUID | None,
) -> Iterator[_Ranked]:
    if not rank:
        return
    people = list(rank)
    conditions: list[ColumnElement[bool]] = [
        or_(Event.organizer_id.in_(people), Event.participant_ids.overlap(people)),
        Event.status != EventStatus.CANCELLED,
    ]
    if exclude_event_id is not None:
        conditions.append(Event.id != exclude_event_id)
    for item in window_occurrences(session, window, *conditions):
        if not busy.overlap(item.start, item.end):
            continue
        event = item.event
        start, end = _shown(item.start, item.end, event.all_day, ZoneInfo(event.timezone))
        involved = {event.organizer_id, *event.participant_ids}
        for person in [person for person in rank if person in involved]:
            conflict = ConflictRead(
                kind=ConflictKind.EVENT,
                user_id=person,
                record_id=event.id,
                title=item.title,
                start=start,
                end=end,
                all_day=event.all_day,
                url=event_page(event.id),
            )
            yield (item.start, rank[person], str(event.id)), conflict


def _leave(
    session: Session, window: TimeWindow, busy: _Slots, rank: dict[uuid.UUID, int]
) -> Iterator[_Ranked]:
    if not rank:
        return
    first, last = window.days()
    leaves = session.scalars(
        select(StaffLeave).where(
            StaffLeave.user_id.in_(list(rank)),
            StaffLeave.status.in_([LeaveStatus.APPROVED, LeaveStatus.PENDING]),
            StaffLeave.start_date <= last,
            StaffLeave.end_date >= first,
        )
    )
    for leave in leaves:
        start = _office_midnight(leave.start_date)
        if not busy.overlap(start, _office_midnight(leave.end_date + timedelta(days=1))):
            continue
        conflict = ConflictRead(
            kind=ConflictKind.LEAVE,
            user_id=leave.user_id,
            record_id=leave.id,
            # Who is away and when, never why (as on the calendar).
            title="On leave",
            start=leave.start_date,
            end=leave.end_date + timedelta(days=1),
            all_day=True,
            url=leave_page(leave.id),
            tentative=leave.status == LeaveStatus.PENDING,
        )
        yield (start, rank[leave.user_id], str(leave.id)), conflict


def _bookings(
    session: Session,
    window: TimeWindow,
    slots: Sequence[Slot],
    exclude_event_id: uuid.UUID | None,
    rank: int,
) -> Iterator[_Ranked]:
    by_venue: dict[str, list[Slot]] = {}
    for slot in slots:
        if _venue_key(slot.venue):
            by_venue.setdefault(_venue_key(slot.venue), []).append(slot)
    if not by_venue:
        return
    busy = {venue: _Slots(venue_slots) for venue, venue_slots in by_venue.items()}
    names = list(by_venue)
    statement = (
        select(Booking, Resource.name, Resource.location)
        .join(Resource, Resource.id == Booking.resource_id)
        .where(
            text(f"bookings.{HOLDING}"),
            Booking.during.op("&&")(func.tstzrange(window.start, window.end)),
            or_(
                func.lower(func.btrim(Resource.name)).in_(names),
                func.lower(func.btrim(Resource.location)).in_(names),
            ),
        )
    )
    if exclude_event_id is not None:
        # The event's own bookings are what it needs, not in its way.
        statement = statement.where(
            or_(Booking.event_id.is_(None), Booking.event_id != exclude_event_id)
        )
    for booking, name, location in session.execute(statement):
        venues = {_venue_key(name), _venue_key(location)} & busy.keys()
        if not any(busy[venue].overlap(booking.start, booking.end) for venue in venues):
            continue
        conflict = ConflictRead(
            kind=ConflictKind.BOOKING,
            user_id=None,
            record_id=booking.id,
            title=f"{name} booking",
            start=booking.start,
            end=booking.end,
            all_day=False,
            url=booking_page(booking.id),
            tentative=booking.status == BookingStatus.PENDING,
        )
        yield (booking.start, rank, str(booking.id)), conflict


def _venue_key(venue: str) -> str:
    return venue.strip().lower()


def _office_midnight(day: date) -> datetime:
    return aware(datetime.combine(day, time.min), OFFICE_ZONE)


def _shown(
    start: datetime, end: datetime, all_day: bool, zone: ZoneInfo
) -> tuple[datetime | date, datetime | date]:
    """All-day: the local dates (end exclusive), as in the feed."""
    if not all_day:
        return start, end
    first = start.astimezone(zone).date()
    return first, max(end.astimezone(zone).date(), first + timedelta(days=1))
