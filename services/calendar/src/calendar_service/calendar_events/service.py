"""Event domain logic. Functions take a session and never commit; the route does."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session, raiseload

from calendar_service.authz import EVENT_ORGANIZER
from calendar_service.bookings import service as bookings
from calendar_service.calendar_events.models import (
    SERIES,
    SINGLE_EVENT,
    Event,
    EventOccurrence,
    EventStatus,
)
from calendar_service.calendar_events.recurrence import (
    Frequency,
    Rule,
    Series,
    aware,
    local_naive,
)
from calendar_service.calendar_events.schemas import (
    EventCreate,
    EventFilters,
    EventSort,
    EventUpdate,
    OccurrenceChange,
    RecurrenceIn,
)
from calendar_service.db import history, outbox
from calendar_service.limits import current_limits
from obcms_platform import records
from obcms_platform.auth import Principal
from obcms_platform.authz import Ownership, ensure
from obcms_platform.contracts import (
    EVENT_CREATED,
    EVENT_DELETED,
    EVENT_UPDATED,
    CalendarEventChanged,
    CalendarEventCreated,
    EventContract,
    OccurrenceOverride,
)
from obcms_platform.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
)
from obcms_platform.feed import TimeWindow
from obcms_platform.formatting import format_day
from obcms_platform.history import RecordChange, because
from obcms_platform.pagination import PageParams, paginate

# The fields of an update that change when the event (or its occurrences) happen.
TIMING_FIELDS = frozenset({"start", "end", "all_day", "timezone", "recurrence"})


@dataclass(frozen=True)
class ExpandedOccurrence:
    """One occurrence of an event inside a window, overrides applied."""

    event: Event
    occurrence_date: date | None  # None for a single (non-recurring) event
    start: datetime
    end: datetime
    title: str
    venue: str
    moved: bool


# --- reading ---------------------------------------------------------------------------


def get_event(session: Session, event_id: uuid.UUID) -> Event:
    return records.get_or_404(session, Event, event_id, what="event")


def list_events(
    session: Session, filters: EventFilters, page: PageParams
) -> tuple[list[Event], int]:
    conditions = records.field_conditions(Event, filters, "event_type", "status")
    if filters.participant is not None:
        conditions.append(Event.participant_ids.contains([filters.participant]))
    if filters.organizer is not None:
        conditions.append(Event.organizer_id == filters.organizer)
    if filters.starts_after is not None:
        conditions.append(Event.start >= _utc(filters.starts_after, ZoneInfo("UTC")))
    if filters.starts_before is not None:
        conditions.append(Event.start < _utc(filters.starts_before, ZoneInfo("UTC")))
    if filters.recurring is not None:
        conditions.append(SERIES if filters.recurring else SINGLE_EVENT)
    if filters.split_from is not None:
        conditions.append(Event.split_from_id == filters.split_from)
    if filters.q:
        conditions.append(records.text_match(filters.q, Event.title))
    latest_first = filters.sort is EventSort.START_DESC
    ordering = (Event.start.desc(), Event.id) if latest_first else (Event.start, Event.id)
    statement: Select[Any] = select(Event).where(*conditions).order_by(*ordering)
    return paginate(session, statement, page)


def series_of(event: Event) -> Series | None:
    if event.recurrence is None:
        return None
    return Series(
        start=event.start,
        duration=event.end - event.start,
        zone=ZoneInfo(event.timezone),
        rule=Rule.from_json(event.recurrence),
    )


def expand(
    event: Event,
    overrides: Iterable[EventOccurrence],
    window_start: datetime,
    window_end: datetime,
) -> list[ExpandedOccurrence]:
    """The event's occurrences overlapping [window_start, window_end), overrides applied.

    `overrides` must hold every override of this event whose original date is in the
    window's expansion range or whose moved times overlap the window (more is fine)."""
    series = series_of(event)
    if series is None:
        if event.start < window_end and event.end > window_start:
            return [
                ExpandedOccurrence(
                    event, None, event.start, event.end, event.title, event.venue, False
                )
            ]
        return []
    by_date = {override.occurrence_date: override for override in overrides}
    found: list[ExpandedOccurrence] = []
    seen: set[date] = set()
    for occurrence in series.occurrences(window_start, window_end):
        seen.add(occurrence.original_date)
        override = by_date.get(occurrence.original_date)
        if override is None:
            found.append(
                ExpandedOccurrence(
                    event,
                    occurrence.original_date,
                    occurrence.start,
                    occurrence.end,
                    event.title,
                    event.venue,
                    False,
                )
            )
        elif not override.cancelled:
            moved = _from_override(event, override)
            if moved.start < window_end and moved.end > window_start:
                found.append(moved)
    # Occurrences moved into the window from a date outside it.
    for override in by_date.values():
        if override.occurrence_date in seen or override.cancelled:
            continue
        if override.occurrence_date in series.rule.exdates:
            continue
        moved = _from_override(event, override)
        if moved.start < window_end and moved.end > window_start:
            found.append(moved)
    found.sort(key=lambda item: item.start)
    return found


def _from_override(event: Event, override: EventOccurrence) -> ExpandedOccurrence:
    assert override.start is not None
    assert override.end is not None
    return ExpandedOccurrence(
        event,
        override.occurrence_date,
        override.start,
        override.end,
        override.title or event.title,
        override.venue if override.venue is not None else event.venue,
        True,
    )


def occurrences(
    session: Session, event_id: uuid.UUID, window_start: datetime, window_end: datetime
) -> list[ExpandedOccurrence]:
    event = get_event(session, event_id)
    return expand(event, event.overrides, window_start, window_end)


def window_events_statement(window: TimeWindow, *conditions: ColumnElement[bool]) -> Select[Event]:
    """Events (matching `conditions`) whose span overlaps the window: the GiST-indexed
    query (a single event's span is its time; a series' its first start to its last end)."""
    return (
        select(Event)
        .where(Event.span.op("&&")(func.tstzrange(window.start, window.end)), *conditions)
        .options(raiseload(Event.overrides))
    )


def window_occurrences(
    session: Session, window: TimeWindow, *conditions: ColumnElement[bool]
) -> list[ExpandedOccurrence]:
    """The occurrences overlapping the window of the events matching `conditions` (every
    event without), overrides applied, occurrences moved into it from elsewhere included:
    three queries at most, whatever the number of events."""
    events = list(session.scalars(window_events_statement(window, *conditions)))
    series = [event for event in events if event.recurrence is not None]
    by_event: dict[uuid.UUID, list[EventOccurrence]] = {}
    for override in _window_overrides(session, series, window, conditions):
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
    return [
        item
        for event in events
        for item in expand(event, by_event.get(event.id, ()), window.start, window.end)
    ]


def _window_overrides(
    session: Session,
    series: list[Event],
    window: TimeWindow,
    conditions: tuple[ColumnElement[bool], ...],
) -> list[EventOccurrence]:
    """Overrides of `series` near the window, and occurrences (of events matching
    `conditions`) moved into it."""
    moved_here = and_(
        ~EventOccurrence.cancelled,
        EventOccurrence.start < window.end,
        EventOccurrence.end > window.start,
    )
    if conditions:
        moved_here = and_(
            moved_here, EventOccurrence.event_id.in_(select(Event.id).where(*conditions))
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


# --- writing ---------------------------------------------------------------------------


def create_event(session: Session, data: EventCreate, principal: Principal) -> Event:
    if data.organizer_id is not None:
        ensure(principal, EVENT_ORGANIZER, Ownership.of(data.organizer_id))
    zone = ZoneInfo(data.timezone)
    start, end = _times(data.start, data.end, data.all_day, zone)
    event = records.new_record(
        Event,
        principal,
        title=data.title,
        description=data.description,
        event_type=data.event_type,
        status=data.status,
        start=start,
        end=end,
        all_day=data.all_day,
        venue=data.venue,
        organizer_id=data.organizer_id or principal.user_id,
        participant_ids=data.participant_ids,
        timezone=data.timezone,
        recurrence=_rule(data.recurrence, start, zone),
        # Known to be empty: never loaded lazily after the commit, when the database may
        # be gone and a stored event would be reported as failed.
        overrides=[],
    )
    _set_span(event)
    records.insert_row(session, event)
    announce(session, EVENT_CREATED, event, prepare_tasks=data.prepare_tasks)
    return event


def update_event(
    session: Session,
    event_id: uuid.UUID,
    changes: EventUpdate,
    principal: Principal,
    expected_version: int | None = None,
) -> Event:
    event = records.locked(session, Event, event_id, expected_version, what="event")
    was_series, start, end = event.recurrence is not None, event.start, event.end
    _apply(event, changes, principal)
    session.flush()
    # A series' bookings are each for one of its occurrences: they stay where they are (one
    # occurrence moved takes its own along: `change_occurrence`).
    if not was_series and event.recurrence is None:
        bookings.follow_event(session, event, event.start - start, event.end - end, principal)
    announce(session, EVENT_UPDATED, event)
    return event


def _apply(event: Event, changes: EventUpdate, principal: Principal) -> None:
    """Set the fields present in `changes` (timing ones re-checked as on create)."""
    values = changes.changes()
    event.updated_by = principal.user_id
    if values.get("organizer_id") not in (None, event.organizer_id):
        ensure(principal, EVENT_ORGANIZER, Ownership.of(values["organizer_id"]))
    timing = TIMING_FIELDS & values.keys()
    for name in ("title", "description", "event_type", "status", "venue", "organizer_id"):
        if name in values:
            setattr(event, name, values[name])
    if "participant_ids" in values:
        event.participant_ids = values["participant_ids"]
    if timing:
        zone_name = values.get("timezone", event.timezone)
        zone = ZoneInfo(zone_name)
        all_day = values.get("all_day", event.all_day)
        new_start = changes.start or event.start
        # Moving only the start keeps the duration.
        new_end = changes.end or (
            _utc(new_start, zone) + (event.end - event.start) if changes.start else event.end
        )
        start, end = _times(new_start, new_end, all_day, zone)
        retitled = _retitled_in_place(event)
        if "recurrence" in values:
            recurrence = _rule(changes.recurrence, start, zone)
        elif event.recurrence is not None:
            recurrence = _rule(RecurrenceIn.model_validate(event.recurrence), start, zone)
        else:
            recurrence = None
        event.start, event.end, event.all_day = start, end, all_day
        event.timezone, event.recurrence = zone_name, recurrence
        _set_span(event)
        _drop_stale_overrides(event)
        _follow_series(event, retitled)


def _retitled_in_place(event: Event) -> list[EventOccurrence]:
    """The occurrences given only a title or venue of their own (at their series' times)."""
    series = series_of(event)
    if series is None:
        return []
    return [
        override
        for override in event.overrides
        if not override.cancelled
        and (override.start, override.end) == series.times_on(override.occurrence_date)
    ]


def _follow_series(event: Event, retitled: list[EventOccurrence]) -> None:
    """The `retitled` occurrences still in the series keep to its (new) times: renaming one
    meeting does not pin it where the series was."""
    series = series_of(event)
    if series is None:
        return
    for override in retitled:
        if override in event.overrides:
            override.start, override.end = series.times_on(override.occurrence_date)


def split_series(
    session: Session,
    event_id: uuid.UUID,
    from_date: date,
    changes: EventUpdate,
    principal: Principal,
    expected_version: int | None = None,
) -> tuple[Event, Event]:
    """Split ("this and following"): the series ends before its occurrence on `from_date` (an
    original local date) and a new series, with `changes` applied, starts there. Overrides
    and exdates from `from_date` on go to the new series (if it still has their dates); a
    COUNT is shared: the old series keeps the occurrences before, the new one the rest."""
    old, series = _locked_series(session, event_id, expected_version, "from_date")
    if not series.has_occurrence_on(from_date):
        raise InvalidInputError(
            f"from_date: the series has no occurrence on {from_date}", field="from_date"
        )
    if from_date == series.first_date():
        raise InvalidInputError(
            "from_date: that is the series' first occurrence; change the whole series instead",
            field="from_date",
        )
    rule = series.rule
    before_rule = replace(
        rule,
        until=from_date - timedelta(days=1),
        exdates=frozenset(day for day in rule.exdates if day < from_date),
    )
    after_rule = replace(rule, exdates=rule.exdates - before_rule.exdates)
    if rule.count is not None:
        # COUNT counts the rule's dates, exdated ones too (RFC 5545).
        kept = sum(1 for local in series.rrule() if local.date() < from_date)
        before_rule = replace(before_rule, count=kept, until=None)
        after_rule = replace(after_rule, count=rule.count - kept)
    start = aware(datetime.combine(from_date, series.local_start.time()), series.zone)
    new = Event(
        id=uuid.uuid4(),
        title=old.title,
        description=old.description,
        event_type=old.event_type,
        status=old.status,
        start=start,
        end=start + series.duration,
        all_day=old.all_day,
        venue=old.venue,
        organizer_id=old.organizer_id,
        participant_ids=list(old.participant_ids),
        timezone=old.timezone,
        recurrence=after_rule.to_json(),
        # The same people own both halves of the series.
        created_by=old.created_by,
        split_from_id=old.id,
        updated_by=principal.user_id,
        overrides=[],
    )
    retimed = bool(TIMING_FIELDS & changes.model_fields_set)
    for override in [o for o in old.overrides if o.occurrence_date >= from_date]:
        old.overrides.remove(override)
        # New times for "this and following" are this occurrence's too, moved or not.
        if not (retimed and override.occurrence_date == from_date):
            new.overrides.append(override)
    old.recurrence = before_rule.to_json()
    old.updated_by = principal.user_id
    _set_span(old)
    _set_span(new)
    try:
        _apply(new, changes, principal)
    except InvalidInputError as exc:
        raise InvalidInputError(f"changes.{exc.message}", field=f"changes.{exc.field}") from exc
    _drop_stale_exdates(new)
    # Both halves' history says why ("Recurrence: changed" alone said nothing).
    with because(
        session,
        f"“this and following” from {format_day(from_date)}: the series “{old.title}” "
        "was split in two",
    ):
        records.insert_row(session, new)
        session.flush()
    announce(session, EVENT_UPDATED, old, split_on=from_date)
    announce(session, EVENT_CREATED, new, split_from=old.id)
    return old, new


def delete_event(session: Session, event_id: uuid.UUID, expected_version: int | None) -> None:
    """Delete the event; the resources booked for it are released (bookings cancelled)."""
    event = records.locked(session, Event, event_id, expected_version, what="event")
    bookings.release_for_event(session, event.id, f"The event “{event.title}” was deleted")
    announce(session, EVENT_DELETED, event, version=records.delete_row(session, event))


def change_occurrence(
    session: Session,
    event_id: uuid.UUID,
    day: date,
    change: OccurrenceChange,
    principal: Principal,
    expected_version: int | None = None,
) -> tuple[EventOccurrence, list[bookings.FollowedBooking]]:
    """Cancel or move one occurrence of a series (keyed by its original local date); the
    bookings of a moved one move with it where they can (`bookings.follow_occurrence`: each
    moved, or kept and why)."""
    event, series = _locked_series(session, event_id, expected_version, "day")
    if not series.has_occurrence_on(day):
        raise NotFoundError(f"occurrence of event {event_id} on", day.isoformat())
    before = _occurrence_as_is(event, series, day)
    override = next((o for o in event.overrides if o.occurrence_date == day), None)
    if override is None:
        override = EventOccurrence(id=uuid.uuid4(), event_id=event.id, occurrence_date=day)
        event.overrides.append(override)
    override.cancelled = change.cancelled
    override.updated_by = event.updated_by = principal.user_id
    if change.cancelled:
        override.start = override.end = None
        override.title = override.venue = None
    else:
        zone = series.zone
        original_start = series.times_on(day)[0]
        if change.start is not None:
            start = _utc(change.start, zone)
        else:
            start = override.start or original_start
        if change.end is not None:
            end = _utc(change.end, zone)
        elif change.start is not None or override.end is None:
            end = start + series.duration
        else:
            end = override.end
        if end <= start:
            raise InvalidInputError("end: must be after start", field="end")
        _refuse_too_long(start, end, zone)
        override.start, override.end = start, end
        override.title = change.title
        override.venue = change.venue
    override.updated_at = datetime.now(UTC)
    _touch(event)
    session.flush()
    session.refresh(override)
    after = _occurrence_as_is(event, series, day)
    _record_occurrence_change(
        session, event, f"only the occurrence of {format_day(day)}", before, after
    )
    followed = []
    # Moved: neither cancelled (no times then), nor only renamed (the same times).
    if "start" in before and "start" in after:
        was, now = (before["start"], before["end"]), (after["start"], after["end"])
        if was != now:
            followed = bookings.follow_occurrence(session, event, was, now, principal)
    announce(session, EVENT_UPDATED, event)
    return override, followed


def restore_occurrence(
    session: Session,
    event_id: uuid.UUID,
    day: date,
    principal: Principal,
    expected_version: int | None = None,
) -> Event:
    """Remove an occurrence's override: it is again as the series says."""
    event = records.locked(session, Event, event_id, expected_version, what="event")
    override = next((o for o in event.overrides if o.occurrence_date == day), None)
    if override is None:
        raise NotFoundError(f"override of event {event_id} on", day.isoformat())
    series = series_of(event)
    before = _occurrence_as_is(event, series, day) if series else {}
    event.overrides.remove(override)
    event.updated_by = principal.user_id
    _touch(event)
    session.flush()
    if series is not None:
        cause = f"the occurrence of {format_day(day)} back as the series has it"
        _record_occurrence_change(
            session, event, cause, before, _occurrence_as_is(event, series, day)
        )
    announce(session, EVENT_UPDATED, event)
    return event


def _occurrence_as_is(event: Event, series: Series, day: date) -> dict[str, Any]:
    """One occurrence of a series as its history tells it, its override applied: its status,
    times, title and venue; of a cancelled one, its status alone."""
    override = next((o for o in event.overrides if o.occurrence_date == day), None)
    if override is not None and override.cancelled:
        return {"status": EventStatus.CANCELLED}
    start, end = series.times_on(day)
    if override is None:
        return {
            "status": event.status,
            "start": start,
            "end": end,
            "title": event.title,
            "venue": event.venue,
        }
    return {
        "status": event.status,
        "start": override.start,
        "end": override.end,
        "title": override.title or event.title,
        "venue": override.venue if override.venue is not None else event.venue,
    }


def _record_occurrence_change(
    session: Session,
    event: Event,
    cause: str,
    before: dict[str, Any],
    after: dict[str, Any],
) -> None:
    """An occurrence's change in its event's history (an override is a row of its own, which
    the event's flush does not record), for `cause` naming the occurrence. A cancellation
    tells its status alone; one taking place again, its times too."""
    fields = {
        name: (before.get(name), new)
        for name, new in after.items()
        if before.get(name) != new and (name in before or name in ("start", "end"))
    }
    if fields:
        with because(session, cause):
            history.add(session, Event, [RecordChange(event.id, event.version, fields)])


def announce(
    session: Session,
    contract: EventContract[CalendarEventChanged],
    event: Event,
    version: int | None = None,
    split_from: uuid.UUID | None = None,
    split_on: date | None = None,
    prepare_tasks: bool = True,
) -> None:
    """Stage an event.* message in the outbox, in the caller's transaction. A series split
    off another ("this and following") names it: it is a continuation, not a new event; the
    series it was split off names the day its occurrences went to it (`split_on`): they are
    not cancelled. A new event says whether its preparation tasks are wanted."""
    zone = ZoneInfo(event.timezone)
    series = series_of(event)
    payload = CalendarEventChanged(
        event_id=event.id,
        title=event.title,
        event_type=event.event_type,
        venue=event.venue,
        start=event.start.astimezone(zone),
        end=event.end.astimezone(zone),
        status=event.status,
        all_day=event.all_day,
        recurring=series is not None,
        # The series with its overrides, for consumers to expand (reminders per occurrence).
        recurrence=series.rfc5545(
            {
                o.occurrence_date: None if o.cancelled else o.start
                for o in event.overrides
                # One only renamed or at another venue still happens at the series' time.
                if o.cancelled or o.start != series.times_on(o.occurrence_date)[0]
            }
        )
        if series
        else None,
        overrides=[
            OccurrenceOverride(
                occurrence_date=o.occurrence_date,
                cancelled=o.cancelled,
                start=o.start.astimezone(zone) if o.start else None,
                end=o.end.astimezone(zone) if o.end else None,
                title=o.title,
                venue=o.venue,
            )
            for o in event.overrides
        ]
        if series
        else None,
        timezone=event.timezone,
        version=version or event.version,
        split_from=split_from,
        split_on=split_on,
        # Who attends (the notifications service tells them) and who made the change.
        organizer_id=event.organizer_id,
        participant_ids=list(event.participant_ids),
        changed_by=event.updated_by,
    )
    if contract is EVENT_CREATED:
        # A new event names its creator too: the tasks service assigns its generated tasks
        # to the organizer, else the creator.
        payload = CalendarEventCreated(
            **payload.model_dump(), created_by=event.created_by, prepare_tasks=prepare_tasks
        )
    outbox.add(session, contract, payload, subject_id=event.id, version=version or event.version)


# --- helpers ---------------------------------------------------------------------------


def _utc(moment: datetime, zone: ZoneInfo) -> datetime:
    """The moment in UTC; a naive one is a local time of `zone`."""
    if moment.tzinfo is None:
        return aware(moment, zone)
    return moment.astimezone(UTC)


def _refuse_a_skipped_time(moment: datetime, zone: ZoneInfo, field: str) -> None:
    """A local time the clocks jump over (01:30 on the night summer time begins) is no
    time at all: read as one, it made an hour-long meeting end as it began ("end: must be
    after start")."""
    if moment.tzinfo is not None:
        return
    back = aware(moment, zone).astimezone(zone).replace(tzinfo=None)
    if back != moment:
        raise InvalidInputError(
            f"{field}: {moment:%H:%M} on {format_day(moment.date())} does not exist in "
            f"{zone.key} (the clocks go forward then); choose another time",
            field=field,
        )


def _times(
    start: datetime, end: datetime, all_day: bool, zone: ZoneInfo
) -> tuple[datetime, datetime]:
    if not all_day:
        _refuse_a_skipped_time(start, zone, "start")
        _refuse_a_skipped_time(end, zone, "end")
    start, end = _utc(start, zone), _utc(end, zone)
    if all_day:
        first = start.astimezone(zone).date()
        last = end.astimezone(zone).date()
        if last <= first:
            last = first + timedelta(days=1)
        start = aware(datetime.combine(first, time.min), zone)
        end = aware(datetime.combine(last, time.min), zone)
    if end <= start:
        raise InvalidInputError("end: must be after start", field="end")
    _refuse_too_long(start, end, zone)
    return start, end


def _refuse_too_long(start: datetime, end: datetime, zone: ZoneInfo) -> None:
    """One occurrence spans at most ``MAX_EVENT_DAYS`` days (of its zone's wall clock, so
    that a DST change inside it does not count)."""
    days = current_limits().event_days
    if local_naive(end, zone) - local_naive(start, zone) > timedelta(days=days):
        raise InvalidInputError(f"end: an event may last at most {days} days", field="end")


def _rule(
    recurrence: RecurrenceIn | None, start: datetime, zone: ZoneInfo
) -> dict[str, Any] | None:
    if recurrence is None:
        return None
    if recurrence.count is not None and recurrence.until is not None:
        raise InvalidInputError(
            "recurrence.until: give count or until, not both (RFC 5545)", field="recurrence.until"
        )
    if recurrence.by_monthday and recurrence.freq is Frequency.WEEKLY:
        raise InvalidInputError(
            "recurrence.by_monthday: not allowed with a weekly rule (RFC 5545)",
            field="recurrence.by_monthday",
        )
    if recurrence.by_setpos and recurrence.freq not in (Frequency.MONTHLY, Frequency.YEARLY):
        raise InvalidInputError(
            "recurrence.by_setpos: only with a monthly or yearly rule",
            field="recurrence.by_setpos",
        )
    if recurrence.by_setpos and not (recurrence.by_weekday or recurrence.by_monthday):
        raise InvalidInputError(
            "recurrence.by_setpos: needs by_weekday or by_monthday to pick from",
            field="recurrence.by_setpos",
        )
    first_day = start.astimezone(zone).date()
    if recurrence.until is not None and recurrence.until < first_day:
        raise InvalidInputError(
            "recurrence.until: must not be before the event's start", field="recurrence.until"
        )
    # A series' cost bounds (limits.py).
    limits = current_limits()
    if recurrence.count is not None and recurrence.count > limits.series_occurrences:
        raise InvalidInputError(
            f"recurrence.count: a series may have at most {limits.series_occurrences} occurrences",
            field="recurrence.count",
        )
    last_until = first_day + relativedelta(years=limits.series_years)
    if recurrence.until is not None and recurrence.until > last_until:
        raise InvalidInputError(
            f"recurrence.until: at most {limits.series_years} years after the event's start "
            f"(on or before {last_until})",
            field="recurrence.until",
        )
    rule = Rule(
        freq=recurrence.freq,
        interval=recurrence.interval,
        by_weekday=tuple(recurrence.by_weekday),
        by_monthday=tuple(recurrence.by_monthday),
        by_setpos=tuple(recurrence.by_setpos),
        count=recurrence.count,
        until=recurrence.until,
        exdates=frozenset(recurrence.exdates),
    )
    _refuse_a_start_off_its_rule(rule, start, zone)
    return rule.to_json()


def _refuse_a_start_off_its_rule(rule: Rule, start: datetime, zone: ZoneInfo) -> None:
    """A series whose first day its rule does not give lost that meeting without a word (a
    Wednesday start, "every week on Tuesday": the first Tuesday came next, while the event
    and its invitation said Wednesday), or never happened at all (the 5th "31st" of a
    month). Its start is one of its days (deleted or not: a first occurrence may be
    cancelled)."""
    first_day = start.astimezone(zone).date()
    undeleted = Series(start, timedelta(0), zone, replace(rule, exdates=frozenset()))
    if undeleted.has_occurrence_on(first_day):
        return
    field = "recurrence.by_weekday" if rule.by_weekday else "recurrence"
    raise InvalidInputError(
        f"{field}: the series starts on {format_day(first_day)}, a day its rule does not "
        "give: start it on one of the rule's days, or choose days that include its start",
        field=field,
    )


def _set_span(event: Event) -> None:
    series = series_of(event)
    event.span_end = event.end if series is None else series.span_end()


def _drop_stale_overrides(event: Event) -> None:
    """After a timing change, overrides of dates that are no longer occurrences go."""
    series = series_of(event)
    kept = series.dates_among(o.occurrence_date for o in event.overrides) if series else set()
    for override in list(event.overrides):
        if override.occurrence_date not in kept:
            event.overrides.remove(override)


def _drop_stale_exdates(event: Event) -> None:
    """Exdates of dates the rule no longer produces go (they would remove nothing)."""
    series = series_of(event)
    if series is None or not series.rule.exdates:
        return
    produced = replace(series, rule=replace(series.rule, exdates=frozenset()))
    rule = replace(series.rule, exdates=frozenset(produced.dates_among(series.rule.exdates)))
    event.recurrence = rule.to_json()


def _touch(event: Event) -> None:
    # The series changed through one of its occurrences: a new version (ETag) and update time.
    event.updated_at = datetime.now(UTC)


def _locked_series(
    session: Session, event_id: uuid.UUID, expected_version: int | None, field: str
) -> tuple[Event, Series]:
    """A series, locked; 409 naming `field` (the occurrence asked for) if it is not one."""
    event = records.locked(session, Event, event_id, expected_version, what="event")
    series = series_of(event)
    if series is None:
        raise ConflictError(
            f"event {event_id} is not recurring; change the event itself", field=field
        )
    return event, series
