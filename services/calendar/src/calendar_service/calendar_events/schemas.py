"""Event, recurrence and occurrence request/response schemas."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Annotated, ClassVar
from zoneinfo import available_timezones

from pydantic import AfterValidator, BaseModel, Field

from calendar_service.calendar_events.models import DEFAULT_TIMEZONE, EventStatus, EventType
from calendar_service.calendar_events.recurrence import MAX_COUNT, MAX_INTERVAL, Frequency
from obcms_platform.schemas import (
    EARLIEST_DATE,
    LATEST_DATE,
    ActivePersonId,
    KnownPersonId,
    LongText,
    PlausibleDate,
    RequestModel,
    ResponseModel,
    SearchText,
    Title,
    UpdateModel,
    deduplicated,
)
from obcms_platform.vocabulary import BookingStatus


def _plausible_moment(value: datetime) -> datetime:
    if not EARLIEST_DATE <= value.date() <= LATEST_DATE:
        raise ValueError(f"must be between {EARLIEST_DATE} and {LATEST_DATE}")
    return value


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _time_zone(value: str) -> str:
    if value not in _zones():
        raise ValueError("must be an IANA time zone name such as Asia/Manila")
    return value


def _monthday(value: int) -> int:
    if value == 0:
        raise ValueError("must be 1..31 or -31..-1 (counted from the month's end)")
    return value


def _setpos(value: int) -> int:
    if value == 0:
        raise ValueError("must be 1..366 or -366..-1 (counted from the period's end)")
    return value


def _sorted_unique(values: list[int]) -> list[int]:
    return sorted(set(values))


Moment = Annotated[datetime, AfterValidator(_plausible_moment)]
Venue = Annotated[str, Field(max_length=300)]
TimeZoneName = Annotated[str, Field(max_length=64), AfterValidator(_time_zone)]
IdList = Annotated[list[uuid.UUID], Field(max_length=500), AfterValidator(deduplicated)]
# A new event's participants, and an event's as an edit sends them back (keeping someone who
# has left since).
Participants = Annotated[list[ActivePersonId], Field(max_length=500), AfterValidator(deduplicated)]
KeptParticipants = Annotated[
    list[KnownPersonId], Field(max_length=500), AfterValidator(deduplicated)
]
Weekdays = Annotated[
    list[Annotated[int, Field(ge=1, le=7)]], Field(max_length=7), AfterValidator(_sorted_unique)
]
Monthdays = Annotated[
    list[Annotated[int, Field(ge=-31, le=31), AfterValidator(_monthday)]],
    Field(max_length=62),
    AfterValidator(_sorted_unique),
]
SetPositions = Annotated[
    list[Annotated[int, Field(ge=-366, le=366), AfterValidator(_setpos)]],
    Field(max_length=50),
    AfterValidator(_sorted_unique),
]


class RecurrenceIn(RequestModel):
    """RFC 5545 RRULE parts. `by_weekday` uses ISO numbers (1 = Monday); `by_setpos` picks
    among the days a monthly or yearly rule's `by_weekday` / `by_monthday` give in each
    period (-1 = the last: "last Friday" is by_weekday [5], by_setpos [-1]); `until` is an
    inclusive local date; `exdates` are local dates of occurrences removed from the series."""

    freq: Frequency
    interval: Annotated[int, Field(ge=1, le=MAX_INTERVAL)] = 1
    by_weekday: Weekdays = []
    by_monthday: Monthdays = []
    by_setpos: SetPositions = []
    count: Annotated[int, Field(ge=1, le=MAX_COUNT)] | None = None
    until: PlausibleDate | None = None
    exdates: Annotated[list[PlausibleDate], Field(max_length=1000)] = []


class RecurrenceRead(BaseModel):
    freq: Frequency
    interval: int
    by_weekday: list[int]
    by_monthday: list[int]
    by_setpos: list[int] = []  # absent in series stored before BYSETPOS
    count: int | None
    until: date | None
    exdates: list[date]


class EventCreate(RequestModel):
    """Times with an offset are taken as given; times without one are local times of
    `timezone`. An all-day event covers the local days from `start` up to `end` (exclusive;
    the same day means one day)."""

    title: Title
    description: LongText = ""
    event_type: EventType
    status: EventStatus = EventStatus.PLANNED
    start: Moment
    end: Moment
    all_day: bool = False
    venue: Venue = ""
    organizer_id: ActivePersonId | None = None
    participant_ids: Participants = []
    timezone: TimeZoneName = DEFAULT_TIMEZONE
    recurrence: RecurrenceIn | None = None
    # Whether the tasks its type comes with (a meeting's agenda, minutes…) are made for its
    # organizer (told to the tasks service once, with its creation).
    prepare_tasks: bool = True


class EventUpdate(UpdateModel):
    """Partial update: only the fields present change; null clears the organizer, and
    `recurrence: null` ends a series (it becomes its first occurrence)."""

    clearable: ClassVar[frozenset[str]] = frozenset({"organizer_id", "recurrence"})

    title: Title | None = None
    description: LongText | None = None
    event_type: EventType | None = None
    status: EventStatus | None = None
    start: Moment | None = None
    end: Moment | None = None
    all_day: bool | None = None
    venue: Venue | None = None
    organizer_id: KnownPersonId | None = None
    participant_ids: KeptParticipants | None = None
    timezone: TimeZoneName | None = None
    recurrence: RecurrenceIn | None = None


class SeriesSplit(RequestModel):
    """Body of `POST /events/{id}/split` ("this and following"): `from_date` is the original
    local date of the occurrence the new series starts with; `changes` apply to it (and to
    the occurrences after it), as a PATCH of the event would."""

    from_date: PlausibleDate
    changes: EventUpdate = Field(default_factory=EventUpdate)


class OverrideRead(ResponseModel):
    occurrence_date: date
    cancelled: bool
    start: datetime | None
    end: datetime | None
    title: str | None
    venue: str | None


class FollowedBookingRead(BaseModel):
    """A booking of a moved occurrence (one holding a resource on its day): moved with it,
    or kept at its time, `kept_because` saying why (the resource is taken then, in words)."""

    booking_id: uuid.UUID
    resource_id: uuid.UUID
    resource_name: str
    booked_by: uuid.UUID  # who may release it (or a manager)
    start: datetime  # its times now
    end: datetime
    status: BookingStatus  # a resource that needs approval needs it again for a new time
    moved: bool
    kept_because: str | None


class OccurrenceChangeRead(OverrideRead):
    """The answer of `PUT /events/{id}/occurrences/{day}`: the override, and what became of
    the occurrence's bookings."""

    bookings: list[FollowedBookingRead] = []


class EventRead(ResponseModel):
    id: uuid.UUID
    title: str
    description: str
    event_type: EventType
    status: EventStatus
    start: datetime
    end: datetime
    all_day: bool
    venue: str
    organizer_id: uuid.UUID | None
    participant_ids: list[uuid.UUID]
    timezone: str
    recurrence: RecurrenceRead | None
    overrides: list[OverrideRead]
    # The series this one continues (split off it: its earlier occurrences are there).
    split_from_id: uuid.UUID | None = None
    created_by: uuid.UUID | None
    updated_by: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    version: int


class OccurrenceChange(RequestModel):
    """Body of `PUT /events/{id}/occurrences/{YYYYMMDD}`: cancel the occurrence, or move it
    and/or give it its own title or venue. Missing times keep the occurrence's own."""

    cancelled: bool = False
    start: Moment | None = None
    end: Moment | None = None
    title: Title | None = None
    venue: Venue | None = None


class OccurrenceRead(BaseModel):
    event_id: uuid.UUID
    occurrence_date: date  # the original local date: the key of overrides and exdates
    start: datetime
    end: datetime
    title: str
    venue: str
    moved: bool


class EventSort(StrEnum):
    START = "start"  # the earliest first
    START_DESC = "-start"  # the latest first (a search: the recent and the coming ones)


class EventFilters(BaseModel):
    event_type: list[EventType] = []
    status: list[EventStatus] = []
    participant: uuid.UUID | None = None
    organizer: uuid.UUID | None = None
    starts_after: Moment | None = None
    starts_before: Moment | None = None
    recurring: bool | None = None
    # The series continuing `split_from` ("this and following"), first the nearest.
    split_from: uuid.UUID | None = None
    q: SearchText | None = None
    sort: EventSort = EventSort.START


class SplitRead(BaseModel):
    before: EventRead  # the series, ending the day before `from_date`
    after: EventRead  # the new series, from `from_date` on
