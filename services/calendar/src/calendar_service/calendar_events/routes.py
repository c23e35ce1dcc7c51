"""Event routes: parse, call the service, commit, respond.

Occurrence overrides of a series, keyed by the occurrence's original local date
(``YYYYMMDD`` or ``YYYY-MM-DD``, as in the feed id ``coordination-event-<id>-<YYYYMMDD>``):

- ``PUT /events/{id}/occurrences/{day}``: move the occurrence and/or give it its own title or
  venue (``{"start", "end", "title", "venue"}``), or cancel it (``{"cancelled": true}``);
- ``DELETE /events/{id}/occurrences/{day}``: cancel the occurrence;
- ``DELETE /events/{id}/occurrences/{day}/override``: undo either, back to the series.

The series itself is untouched by all three; each takes the series' ``If-Match`` (412 when
stale) and answers its new ``ETag``. ``POST /events/{id}/split`` is "this and following".
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from calendar_service.authz import EVENT_CREATE, EVENT_WRITE
from calendar_service.calendar_events import service
from calendar_service.calendar_events.schemas import (
    EventCreate,
    EventFilters,
    EventRead,
    EventUpdate,
    OccurrenceChange,
    OccurrenceRead,
    OverrideRead,
    SeriesSplit,
    SplitRead,
)
from obcms_platform.app import API_PREFIX
from obcms_platform.auth import CurrentPrincipal, Principal
from obcms_platform.authz import Authorize
from obcms_platform.db import DbSession
from obcms_platform.errors import InvalidInputError, error_responses
from obcms_platform.feed import FeedWindow
from obcms_platform.pagination import Page, Pagination
from obcms_platform.schemas import EARLIEST_DATE, LATEST_DATE
from obcms_platform.versioning import ExpectedVersion, set_etag

router = APIRouter(
    prefix=f"{API_PREFIX}/events", tags=["events"], responses=error_responses(401, 422)
)

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


@router.get("", response_model=Page[EventRead])
def list_events(
    session: DbSession,
    _: CurrentPrincipal,
    page: Pagination,
    filters: Annotated[EventFilters, Query()],
) -> Page[EventRead]:
    items, total = service.list_events(session, filters, page)
    return Page[EventRead].of(items, total, page)


@router.post("", response_model=EventRead, status_code=status.HTTP_201_CREATED)
def create_event(
    data: EventCreate,
    session: DbSession,
    principal: Annotated[Principal, Authorize(EVENT_CREATE)],
    response: Response,
) -> EventRead:
    event = service.create_event(session, data, principal)
    session.commit()
    set_etag(response, event.version)
    response.headers["Location"] = f"{router.prefix}/{event.id}"
    return EventRead.model_validate(event)


@router.get("/{event_id}", response_model=EventRead, responses=error_responses(404))
def get_event(
    event_id: uuid.UUID, session: DbSession, _: CurrentPrincipal, response: Response
) -> EventRead:
    event = service.get_event(session, event_id)
    set_etag(response, event.version)
    return EventRead.model_validate(event)


@router.patch("/{event_id}", response_model=EventRead, responses=error_responses(403, 404, 412))
def update_event(
    event_id: uuid.UUID,
    changes: EventUpdate,
    session: DbSession,
    principal: Annotated[Principal, Authorize(EVENT_WRITE)],
    expected_version: ExpectedVersion,
    response: Response,
) -> EventRead:
    event = service.update_event(session, event_id, changes, principal, expected_version)
    session.commit()
    set_etag(response, event.version)
    return EventRead.model_validate(event)


@router.delete(
    "/{event_id}", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(403, 404, 412)
)
def delete_event(
    event_id: uuid.UUID,
    session: DbSession,
    _: Annotated[Principal, Authorize(EVENT_WRITE)],
    expected_version: ExpectedVersion,
) -> Response:
    service.delete_event(session, event_id, expected_version)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{event_id}/split",
    response_model=SplitRead,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(403, 404, 409, 412),
)
def split_series(
    event_id: uuid.UUID,
    split: SeriesSplit,
    session: DbSession,
    principal: Annotated[Principal, Authorize(EVENT_WRITE)],
    expected_version: ExpectedVersion,
    response: Response,
) -> SplitRead:
    """Split ("this and following"): the series ends before its occurrence on `from_date`; a new
    series with `changes` applied starts there (201 with both; `Location`: the new one)."""
    before, after = service.split_series(
        session, event_id, split.from_date, split.changes, principal, expected_version
    )
    session.commit()
    response.headers["Location"] = f"{router.prefix}/{after.id}"
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
    session: DbSession,
    response: Response,
    event_id: uuid.UUID,
    day: str,
    change: OccurrenceChange,
    principal: Principal,
    expected_version: int | None,
) -> OverrideRead:
    override = service.change_occurrence(
        session, event_id, _day(day), change, principal, expected_version
    )
    session.commit()
    # The series' new version: the ETag of the next change.
    set_etag(response, override.event.version)
    return OverrideRead.model_validate(override)


@router.put(
    "/{event_id}/occurrences/{day}",
    response_model=OverrideRead,
    responses=error_responses(403, 404, 409, 412),
)
def change_occurrence(
    event_id: uuid.UUID,
    day: DayParam,
    change: OccurrenceChange,
    session: DbSession,
    principal: Annotated[Principal, Authorize(EVENT_WRITE)],
    expected_version: ExpectedVersion,
    response: Response,
) -> OverrideRead:
    return _changed_occurrence(
        session, response, event_id, day, change, principal, expected_version
    )


@router.delete(
    "/{event_id}/occurrences/{day}",
    response_model=OverrideRead,
    responses=error_responses(403, 404, 409, 412),
)
def cancel_occurrence(
    event_id: uuid.UUID,
    day: DayParam,
    session: DbSession,
    principal: Annotated[Principal, Authorize(EVENT_WRITE)],
    expected_version: ExpectedVersion,
    response: Response,
) -> OverrideRead:
    cancel = OccurrenceChange(cancelled=True)
    return _changed_occurrence(
        session, response, event_id, day, cancel, principal, expected_version
    )


@router.delete(
    "/{event_id}/occurrences/{day}/override",
    response_model=EventRead,
    responses=error_responses(403, 404, 412),
)
def restore_occurrence(
    event_id: uuid.UUID,
    day: DayParam,
    session: DbSession,
    principal: Annotated[Principal, Authorize(EVENT_WRITE)],
    expected_version: ExpectedVersion,
    response: Response,
) -> EventRead:
    event = service.restore_occurrence(session, event_id, _day(day), principal, expected_version)
    session.commit()
    set_etag(response, event.version)
    return EventRead.model_validate(event)
