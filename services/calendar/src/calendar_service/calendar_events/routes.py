"""Event routes: parse, call the service, commit, respond.

Occurrence overrides of a series, keyed by the occurrence's original local date
(``YYYYMMDD`` or ``YYYY-MM-DD``, as in the feed id ``coordination-event-<id>-<YYYYMMDD>``):

- ``PUT /events/{id}/occurrences/{day}``: move the occurrence and/or give it its own title or
  venue (``{"start", "end", "title", "venue"}``), or cancel it (``{"cancelled": true}``);
  its bookings move with it where the resource is free then, and the answer's ``bookings``
  says of each whether it moved or why it stayed;
- ``DELETE /events/{id}/occurrences/{day}``: cancel the occurrence;
- ``DELETE /events/{id}/occurrences/{day}/override``: undo either, back to the series.

The series itself is untouched by all three; each takes the series' ``If-Match`` (412 when
stale) and answers its new ``ETag``. ``POST /events/{id}/split`` is "this and following".
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import Path, status

from calendar_service.authz import EVENT_CREATE, EVENT_WRITE
from calendar_service.calendar_events import service
from calendar_service.calendar_events.schemas import (
    EventCreate,
    EventFilters,
    EventRead,
    EventUpdate,
    FollowedBookingRead,
    OccurrenceChange,
    OccurrenceChangeRead,
    OccurrenceRead,
    OverrideRead,
    SeriesSplit,
    SplitRead,
)
from calendar_service.db import history
from obcms_platform.auth import CurrentPrincipal
from obcms_platform.db import DbSession
from obcms_platform.errors import InvalidInputError, error_responses
from obcms_platform.feed import FeedWindow
from obcms_platform.resource_routes import ResourceRoutes, Write, Writes, collection_router
from obcms_platform.schemas import EARLIEST_DATE, LATEST_DATE

router = collection_router("events")

DayParam = Annotated[
    str, Path(description="original local date of the occurrence, YYYYMMDD", max_length=10)
]


def _day(value: str) -> date:
    try:
        if len(value) == 8 and value.isdigit():
            day = date(int(value[:4]), int(value[4:6]), int(value[6:]))
        else:
            day = date.fromisoformat(value)
    except ValueError:
        raise InvalidInputError("day: expected a date as YYYYMMDD", field="day") from None
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise InvalidInputError(
            f"day: must be between {EARLIEST_DATE} and {LATEST_DATE}", field="day"
        )
    return day


events = ResourceRoutes(router, "event", EventRead)
events.list(EventFilters, service.list_events)
events.create(EventCreate, service.create_event, EVENT_CREATE)
events.get(service.get_event)
events.history(history, service.get_event)
events.update(EventUpdate, service.update_event, EVENT_WRITE, errors=(403, 404, 412))
events.delete(service.delete_event, EVENT_WRITE)

EventWrite = Annotated[Write, Writes(EVENT_WRITE)]


@router.post(
    "/{event_id}/split",
    response_model=SplitRead,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(403, 404, 409, 412),
)
def split_series(event_id: uuid.UUID, split: SeriesSplit, write: EventWrite) -> SplitRead:
    """Split ("this and following"): the series ends before its occurrence on `from_date`; a new
    series with `changes` applied starts there (201 with both; `Location`: the new one)."""
    before, after = service.split_series(
        write.session,
        event_id,
        split.from_date,
        split.changes,
        write.principal,
        write.expected_version,
    )
    write.session.commit()
    write.response.headers["Location"] = f"{router.prefix}/{after.id}"
    return SplitRead(before=EventRead.model_validate(before), after=EventRead.model_validate(after))


@router.get(
    "/{event_id}/occurrences", response_model=list[OccurrenceRead], responses=error_responses(404)
)
def list_occurrences(
    event_id: uuid.UUID, session: DbSession, _: CurrentPrincipal, window: FeedWindow
) -> list[OccurrenceRead]:
    """The event's occurrences in the window (default: this month ±1), overrides applied."""
    found = service.occurrences(session, event_id, window.start, window.end)
    return [
        OccurrenceRead(
            event_id=event_id,
            occurrence_date=item.occurrence_date or item.start.date(),
            start=item.start,
            end=item.end,
            title=item.title,
            venue=item.venue,
            moved=item.moved,
        )
        for item in found
    ]


def _changed_occurrence(
    write: Write, event_id: uuid.UUID, day: str, change: OccurrenceChange
) -> OccurrenceChangeRead:
    override, followed = service.change_occurrence(
        write.session, event_id, _day(day), change, write.principal, write.expected_version
    )
    # The series' new version: the ETag of the next change.
    write.saved(override.event)
    return OccurrenceChangeRead(
        **OverrideRead.model_validate(override).model_dump(),
        bookings=[
            FollowedBookingRead(
                booking_id=item.booking.id,
                resource_id=item.booking.resource_id,
                resource_name=item.resource_name,
                booked_by=item.booking.booked_by,
                start=item.booking.start,
                end=item.booking.end,
                status=item.booking.status,
                moved=item.moved,
                kept_because=item.kept_because,
            )
            for item in followed
        ],
    )


@router.put(
    "/{event_id}/occurrences/{day}",
    response_model=OccurrenceChangeRead,
    responses=error_responses(403, 404, 409, 412),
)
def change_occurrence(
    event_id: uuid.UUID, day: DayParam, change: OccurrenceChange, write: EventWrite
) -> OccurrenceChangeRead:
    return _changed_occurrence(write, event_id, day, change)


@router.delete(
    "/{event_id}/occurrences/{day}",
    response_model=OverrideRead,
    responses=error_responses(403, 404, 409, 412),
)
def cancel_occurrence(event_id: uuid.UUID, day: DayParam, write: EventWrite) -> OverrideRead:
    return _changed_occurrence(write, event_id, day, OccurrenceChange(cancelled=True))


@router.delete(
    "/{event_id}/occurrences/{day}/override",
    response_model=EventRead,
    responses=error_responses(403, 404, 412),
)
def restore_occurrence(event_id: uuid.UUID, day: DayParam, write: EventWrite) -> EventRead:
    event = service.restore_occurrence(
        write.session, event_id, _day(day), write.principal, write.expected_version
    )
    return write.respond(event, EventRead)
