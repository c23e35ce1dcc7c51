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
from collections.abc import Iterable, Iterator, Set
from datetime import date, datetime, timedelta
from functools import cache, lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Date,
    DateTime,
    Select,
    Text,
    bindparam,
    case,
    cast,
    func,
    literal,
    select,
    text,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from calendar_service.authz import booking_owner_ids, event_owner_ids, leave_owner_ids
from calendar_service.bookings.models import HOLDING, Booking
from calendar_service.calendar_events.models import SERIES, SINGLE_EVENT, Event
from calendar_service.calendar_events.service import ExpandedOccurrence, window_occurrences
from calendar_service.leaves.models import SHOWN_LEAVE, StaffLeave
from calendar_service.pages import (
    BOOKING_PAGES,
    EVENT_PAGES,
    LEAVE_PAGES,
    booking_page,
    event_page,
    leave_page,
)
from calendar_service.resources.models import Resource
from obcms_platform.app import API_PREFIX
from obcms_platform.feed import (
    BOOKING_COLOUR,
    EVENT_COLOUR,
    FIRST_DAY,
    LAST_DAY,
    LEAVE_COLOUR,
    MODULE_COORDINATION,
    MODULE_RESOURCES,
    MODULE_STAFF,
    OFFICE_TIMEZONE,
    OFFICE_ZONE,
    TEXT_COLOUR,
    EncodedEntry,
    Entry,
    FeedPage,
    SqlObject,
    SqlValue,
    TimeWindow,
    encoded_entries,
    encoded_facts,
    extended_props,
    json_constant,
    json_moment,
    json_number,
    json_text,
    json_word,
    local_start,
    page_of,
    sorted_entries,
    sql_all_day_entry,
    sql_entry_id,
    sql_extended_props,
    sql_marked_entry,
    user_ids,
    with_facts,
)

MODULE_EVENTS = MODULE_COORDINATION
MODULE_LEAVE = MODULE_STAFF
MODULE_BOOKINGS = MODULE_RESOURCES
# Shared by everyone who sees the calendar: who is away and when, never why (the leave's page
# shows its type to those who may see it).
LEAVE_TITLE = "On leave"


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
    return occurrence_entries(window_occurrences(session, window))


def occurrence_entries(occurrences: Iterable[ExpandedOccurrence]) -> list[Entry]:
    entries: list[Entry] = []
    facts: dict[uuid.UUID, dict[str, Any]] = {}
    for item in occurrences:
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
    return {
        **event_people(event.organizer_id, event.created_by, event.participant_ids),
        "version": event.version,
        "apiUrl": f"/api/v1/events/{event.id}",
        "recurring": True if event.recurrence is not None else None,
    }


def event_people(
    organizer_id: uuid.UUID | None, created_by: uuid.UUID | None, participant_ids: list[uuid.UUID]
) -> dict[str, list[str]]:
    """Who may change an event (its owners) and on whose calendars it is (and its
    participants')."""
    owners = event_owner_ids(organizer_id, created_by)
    return {"ownerIds": user_ids(owners), "peopleIds": user_ids(owners, participant_ids)}


def leave_people(user_id: uuid.UUID, created_by: uuid.UUID | None) -> dict[str, list[str]]:
    """Who may change a leave and on whose calendar it is (the person on leave's)."""
    return {
        "ownerIds": user_ids(leave_owner_ids(user_id, created_by)),
        "peopleIds": user_ids(user_id),
    }


def booking_people(booked_by: uuid.UUID) -> dict[str, list[str]]:
    """Who may change a booking and on whose calendar it is (its booker's)."""
    return {"ownerIds": user_ids(booking_owner_ids(booked_by)), "peopleIds": user_ids(booked_by)}


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
            title=LEAVE_TITLE,
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
                **leave_people(leave.user_id, leave.created_by),
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
                **booking_people(booking.booked_by),
                version=booking.version,
            ),
        )
        for booking, name in rows
    ]


# --- entries written by PostgreSQL ----------------------------------------------------------

# The window's instants, as bound parameters (beside `window_parameters`' days): the entries
# statement is built once per set of modules.
WINDOW_START = bindparam("window_start", type_=DateTime(timezone=True))
WINDOW_END = bindparam("window_end", type_=DateTime(timezone=True))

# The first word of an entry's marked people: whose rule says who may change it.
EVENT, LEAVE, BOOKING = "event", "leave", "booking"


def _people(kind: str, *columns: SqlValue) -> ColumnElement[str]:
    """`kind` and the people `columns` (ids, or arrays of them) as text (`people_facts`)."""
    return func.concat_ws(
        " ",
        kind,
        *(
            func.array_to_string(column, ",")
            if isinstance(column.type, ARRAY)
            else func.coalesce(cast(column, Text), "")
            for column in columns
        ),
    )


def _ids(text: str) -> list[uuid.UUID]:
    return [uuid.UUID(part) for part in text.split(",") if part]


@lru_cache(maxsize=4096)
def people_facts(people: str) -> str:
    """The ``ownerIds`` and ``peopleIds`` of an entry whose people are `people` (`_people`:
    the authz rules', in Python), as the members `with_facts` puts where they were marked."""
    kind, *ids = people.split(" ")
    if kind == EVENT:
        organizer, created_by, participants = ids
        facts = event_people(_id(organizer), _id(created_by), _ids(participants))
    elif kind == LEAVE:
        user, created_by = ids
        facts = leave_people(uuid.UUID(user), _id(created_by))
    else:
        facts = booking_people(uuid.UUID(ids[0]))
    return "," + encoded_facts(**facts)[1:-1].decode()


def facts_of_each(marked: Set[str]) -> dict[str, str]:
    """`people_facts` of each of the marked people (as `with_facts` asks)."""
    return {people: people_facts(people) for people in marked}


def _id(text: str) -> uuid.UUID | None:
    return uuid.UUID(text) if text else None


def _single_events() -> Select[str, str, str]:
    """The window's single (not recurring) events' entries, as `occurrence_entries` builds
    them (all-day ones on their local days, at least one; timed ones in their zone)."""
    first = cast(func.timezone(Event.timezone, Event.start), Date)
    end = func.greatest(cast(func.timezone(Event.timezone, Event.end), Date), first + 1)
    entry = SqlObject(
        {
            "id": json_word(sql_entry_id("coordination-event-", Event.id)),
            "title": json_text(Event.title),
            "start": case(
                (Event.all_day, json_text(first)), else_=json_moment(Event.start, Event.timezone)
            ),
            "end": case(
                (Event.all_day, json_text(end)), else_=json_moment(Event.end, Event.timezone)
            ),
            "allDay": json_text(Event.all_day),
            "backgroundColor": json_constant(EVENT_COLOUR),
            "borderColor": json_constant(EVENT_COLOUR),
            "textColor": json_constant(TEXT_COLOUR),
            "location": json_text(func.nullif(Event.venue, "")),
            "description": json_text(func.nullif(Event.description, "")),
        }
    )
    props = sql_extended_props(
        MODULE_EVENTS,
        "event",
        Event.id,
        Event.status,
        sql_entry_id(EVENT_PAGES, Event.id, "/"),
        eventType=json_word(Event.event_type),
        venue=json_text(func.nullif(Event.venue, "")),
        version=json_number(Event.version),
        apiUrl=json_word(sql_entry_id(f"{API_PREFIX}/events/", Event.id)),
    )
    people = _people(EVENT, Event.organizer_id, Event.created_by, Event.participant_ids)
    return select(
        case((Event.all_day, cast(first, Text)), else_=local_start(Event.start, Event.timezone)),
        sql_entry_id("coordination-event-", Event.id),
        sql_marked_entry(entry, props, people),
    ).where(
        SINGLE_EVENT,
        Event.span.op("&&")(func.tstzrange(WINDOW_START, WINDOW_END)),
    )


def _leave() -> Select[str, str, str]:
    """The window's shown leave's entries, as `leave_entries` builds them."""
    entry = sql_all_day_entry(
        sql_entry_id("staff-leave-", StaffLeave.id),
        literal(LEAVE_TITLE, Text),
        StaffLeave.start_date,
        LEAVE_COLOUR,
        last=StaffLeave.end_date,
    )
    props = sql_extended_props(
        MODULE_LEAVE,
        "leave",
        StaffLeave.id,
        StaffLeave.status,
        sql_entry_id(LEAVE_PAGES, StaffLeave.id, "/"),
        userId=json_word(StaffLeave.user_id),
        version=json_number(StaffLeave.version),
    )
    people = _people(LEAVE, StaffLeave.user_id, StaffLeave.created_by)
    return select(
        cast(StaffLeave.start_date, Text),
        sql_entry_id("staff-leave-", StaffLeave.id),
        sql_marked_entry(entry, props, people),
    ).where(
        StaffLeave.start_date <= LAST_DAY,
        StaffLeave.end_date >= FIRST_DAY,
        StaffLeave.status.in_(SHOWN_LEAVE),
    )


def _bookings() -> Select[str, str, str]:
    """The window's holding bookings' entries, as `booking_entries` builds them."""
    entry = SqlObject(
        {
            "id": json_word(sql_entry_id("resources-booking-", Booking.id)),
            "title": json_text(Resource.name.concat(" booking")),
            "start": json_moment(Booking.start, OFFICE_TIMEZONE),
            "end": json_moment(Booking.end, OFFICE_TIMEZONE),
            "allDay": json_constant(False),
            "backgroundColor": json_constant(BOOKING_COLOUR),
            "borderColor": json_constant(BOOKING_COLOUR),
            "textColor": json_constant(TEXT_COLOUR),
            "location": json_text(func.nullif(Resource.name, "")),
            "description": json_text(func.nullif(Booking.notes, "")),
        }
    )
    props = sql_extended_props(
        MODULE_BOOKINGS,
        "booking",
        Booking.id,
        Booking.status,
        sql_entry_id(BOOKING_PAGES, Booking.id, "/"),
        resourceId=json_word(Booking.resource_id),
        resourceName=json_text(Resource.name),
        version=json_number(Booking.version),
    )
    return (
        select(
            local_start(Booking.start, OFFICE_TIMEZONE),
            sql_entry_id("resources-booking-", Booking.id),
            sql_marked_entry(entry, props, _people(BOOKING, Booking.booked_by)),
        )
        .join(Resource, Resource.id == Booking.resource_id)
        .where(
            text(f"bookings.{HOLDING}"),
            Booking.during.op("&&")(func.tstzrange(WINDOW_START, WINDOW_END)),
        )
    )


_WRITTEN = {MODULE_EVENTS: _single_events, MODULE_LEAVE: _leave, MODULE_BOOKINGS: _bookings}


@cache
def written_entries_statement(modules: tuple[str, ...]) -> CompoundSelect[str, str, str]:
    """The entries of `modules` PostgreSQL writes (all but the occurrences of series): their
    sort key's start, id and marked JSON (`sql_marked_entry`), in one statement."""
    return union_all(*(_WRITTEN[name]() for name in modules))


def encoded_feed_entries(
    session: Session, window: TimeWindow, modules: Iterable[str]
) -> Iterator[EncodedEntry]:
    """The window's entries of the wanted modules (unsorted): single events, leave and
    bookings written by PostgreSQL; the occurrences of series expanded here (the rule's
    library, `window_occurrences`)."""
    wanted = set(modules)
    written = tuple(name for name in _WRITTEN if name in wanted)
    if written:
        first, last = window.days()
        parameters = {
            "first_day": first,
            "last_day": last,
            "window_start": window.start,
            "window_end": window.end,
        }
        rows = session.execute(written_entries_statement(written), parameters).all()
        # Their people's facts asked for once, not entry by entry.
        encoded = with_facts([entry for *_, entry in rows], facts_of_each, separated=False)
        for (start, entry_id, _), entry in zip(rows, encoded, strict=True):
            yield (start, entry_id), entry
    if MODULE_EVENTS in wanted:
        series = window_occurrences(session, window, SERIES)
        yield from encoded_entries(occurrence_entries(series))


def feed_page(session: Session, window: TimeWindow, modules: Iterable[str], limit: int) -> FeedPage:
    """The window's first `limit` entries of the wanted modules, sorted."""
    return page_of(encoded_feed_entries(session, window, modules), limit)
