"""What a calendar event's people read of it: when it is (a repeating one's pattern, not its
first date: "every weekday, 08:00-08:15, Mon 14 Dec 2026 - Fri 25 Dec 2026") and what changed
of it, in words for each reader's time zone, from what this service kept of it before and what
the calendar announces now (`contracts.CalendarEventChanged`).

A series' changes are told as people see them: all its occurrences moved ("all occurrences
now 07:00-07:20"), its pattern changed, or single occurrences moved, renamed, at another
venue or cancelled (from its overrides, else from its RFC 5545 text). A series split in two
("this and following") is one change from the split's day on, told with the second series;
the occurrences the first one lost to it are not cancelled.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

from notifications_service.projections.models import WatchedEvent
from obcms_platform import contracts as c
from obcms_platform.formatting import (
    DASH,
    DAY_FORMAT,
    OFFICE_ZONE,
    format_day,
    format_span,
    quoted,
)
from obcms_platform.repeats import Repeat

# A text for a reader's time zone.
Words = Callable[[ZoneInfo], str]
# How far ahead a series' changed occurrences are looked for (and named).
CHANGED_OCCURRENCES_AHEAD = timedelta(days=400)
# How many days a message names before "and 2 more".
DAYS_NAMED = 3


def moment(value: datetime | str | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


@dataclass(frozen=True)
class Timing:
    """When an event is: its first start and end (aware), whether all day, and for a series
    its rule and the zone it repeats in."""

    start: datetime | None
    end: datetime | None
    all_day: bool
    repeat: Repeat | None = None
    zone: ZoneInfo | None = None

    @classmethod
    def announced(cls, data: c.CalendarEventChanged) -> Timing:
        return cls._of(
            moment(data.start), moment(data.end), data.all_day, data.recurrence, data.timezone
        )

    @classmethod
    def kept(cls, kept: WatchedEvent) -> Timing:
        return cls._of(kept.start, kept.end, kept.all_day, kept.recurrence, kept.time_zone)

    @classmethod
    def _of(
        cls,
        start: datetime | None,
        end: datetime | None,
        all_day: bool,
        recurrence: str | None,
        zone: str | None,
    ) -> Timing:
        repeat = Repeat.of_rfc5545(recurrence) if recurrence else None
        return cls(start, end, all_day, repeat, ZoneInfo(zone) if zone else None)

    def first_day(self) -> date | None:
        """The first occurrence's date in the event's own zone."""
        if self.start is None or self.zone is None:
            return None
        return self.start.astimezone(self.zone).date()

    def clock(self) -> tuple[object, ...]:
        """Its time of day and length, in its own zone (what a series' occurrences share)."""
        if self.start is None or self.end is None or self.all_day:
            return (self.all_day,)
        return (self.start.astimezone(self.zone).time(), self.end - self.start)

    def hours(self, zone: ZoneInfo) -> str:
        """ "08:00-08:15" in the reader's zone; in the series' own (named) when the reader's
        day is another one, since its days are the series' ("every Monday")."""
        if self.start is None or self.end is None or self.all_day:
            return ""
        shown = zone
        if self.zone is not None and self.start.astimezone(zone).date() != self.first_day():
            shown = self.zone
        hours = f"{self.start.astimezone(shown):%H:%M}{DASH}{self.end.astimezone(shown):%H:%M}"
        return hours if shown == zone else f"{hours} ({shown.key} time)"

    def pattern(self) -> tuple[object, ...]:
        """What the series' days are, whatever its end."""
        if self.repeat is None:
            return ()
        rule = self.repeat
        return (rule.freq, rule.interval, rule.weekdays, rule.monthdays, rule.setpos)

    def words(self, zone: ZoneInfo) -> str:
        """ "Mon 14 Dec 2026, 09:00-10:00"; a series, "every weekday, 08:00-08:15, Mon 14 Dec
        2026 - Fri 25 Dec 2026" or "every week on Monday, 08:00-08:15, from Mon 14 Dec 2026,
        6 times"."""
        first = self.first_day()
        if self.repeat is None or first is None:
            # All-day dates are the event's own; times are each reader's.
            days_of = self.zone if self.all_day else None
            return format_span(self.start, self.end, self.all_day, zone, days_of)
        if self.repeat.until is not None:
            days = format_span(first, self.repeat.until)
        else:
            days = ", ".join(
                part for part in (f"from {format_day(first)}", self.repeat.ending()) if part
            )
        return ", ".join(
            part for part in (self.repeat.pattern(first), self.hours(zone), days) if part
        )


def days_named(days: Iterable[date]) -> str:
    """ "Mon 21, Tue 22, Wed 23 Dec 2026 and 2 more": the first `DAYS_NAMED` and how many
    others (days of one month share its name and year)."""
    ordered = sorted(days)
    named, more = ordered[:DAYS_NAMED], len(ordered) - DAYS_NAMED
    if len({(day.year, day.month) for day in named}) == 1:
        words = ", ".join(f"{day:%a %-d}" for day in named[:-1])
        listed = f"{words}, {named[-1]:{DAY_FORMAT}}" if words else f"{named[-1]:{DAY_FORMAT}}"
    else:
        listed = ", ".join(f"{day:{DAY_FORMAT}}" for day in named)
    return f"{listed} and {more} more" if more > 0 else listed


@dataclass(frozen=True)
class EventChanges:
    """What changed of an event, in words for each reader's zone; `occurrence`, the one
    occurrence of a series it is about (the day it was planned on), which its link opens."""

    parts: list[Words] = field(default_factory=list)
    occurrence: date | None = None


def event_changes(kept: WatchedEvent, data: c.CalendarEventChanged, now: datetime) -> EventChanges:
    """What changed for the people attending: its time (a series' pattern or all its
    occurrences' times), single occurrences of a series, its venue, its title."""
    before, after = Timing.kept(kept), Timing.announced(data)
    parts: list[Words] = []
    occurrence = None
    retimed = kept.start != after.start or (kept.end is not None and kept.end != after.end)
    if data.split_on is not None:
        # Shortened by a split: what it lost goes on in the other series (told with it).
        words, occurrence = _occurrences_changed(kept, data, now)
        parts += words
    elif after.repeat is None or before.repeat is None:
        if retimed or before.repeat != after.repeat:
            parts.append(lambda zone: "now " + after.words(zone))
    elif before.pattern() != after.pattern() or before.first_day() != after.first_day():
        parts.append(lambda zone: "now " + after.words(zone))
    elif retimed:
        parts.append(lambda zone: "all occurrences now " + after.hours(zone))
    elif before.repeat != after.repeat:
        parts.append(lambda zone: "now " + after.words(zone))
    else:
        words, occurrence = _occurrences_changed(kept, data, now)
        parts += words
    if data.venue is not None and kept.venue is not None and kept.venue != data.venue:
        place = data.venue
        parts.append(lambda zone: f"now at {place}" if place else "no venue any more")
    if kept.title != data.title:
        parts.append(lambda zone: f"renamed from {quoted(kept.title)}")
    return EventChanges(parts, occurrence)


def split_changes(original: WatchedEvent, data: c.CalendarEventChanged) -> list[Words]:
    """What the series split off `original` ("this and following") changed from its first
    day on: "07:30-07:50 (was 07:00-07:20)", its days, its venue, its title."""
    before, after = Timing.kept(original), Timing.announced(data)
    parts: list[Words] = []
    if original.title != data.title:
        parts.append(lambda zone: f"renamed {quoted(data.title)}")
    if before.clock() != after.clock() and after.hours(OFFICE_ZONE):
        parts.append(lambda zone: f"{after.hours(zone)} (was {before.hours(zone) or 'all day'})")
    first = after.first_day()
    if before.pattern() != after.pattern() and after.repeat is not None and first is not None:
        days = after.repeat.pattern(first)
        parts.append(lambda zone: days)
    if data.venue is not None and original.venue is not None and original.venue != data.venue:
        place = data.venue
        parts.append(lambda zone: f"at {place}" if place else "no venue any more")
    return parts


@dataclass(frozen=True)
class _Occurrence:
    """One occurrence as people see it: cancelled, or its times, title and venue."""

    cancelled: bool
    start: datetime | None = None
    end: datetime | None = None
    title: str = ""
    venue: str = ""


def _occurrences_changed(
    kept: WatchedEvent, data: c.CalendarEventChanged, now: datetime
) -> tuple[list[Words], date | None]:
    """Which occurrences of a series moved, were renamed, got another venue, were cancelled
    or take place again ("Wed 16 Dec 2026, 10:00-11:00 moved to 15:00-16:00, at Room 2",
    "Mon 21, Tue 22, Wed 23 Dec 2026 and 2 more are cancelled"); and the day it was planned on
    when it is one. Those from a split's day on went to the other series: not told."""
    zone = ZoneInfo(data.timezone) if data.timezone else None
    if zone is None or kept.recurrence is None or data.recurrence is None:
        return [], None
    first, last = (
        now.astimezone(zone).replace(tzinfo=None),
        (now + CHANGED_OCCURRENCES_AHEAD).astimezone(zone).replace(tzinfo=None),
    )

    def kept_here(day: date) -> bool:
        return first.date() <= day <= last.date() and (data.split_on is None or day < data.split_on)

    def at(local: datetime) -> datetime:
        return local.replace(tzinfo=zone)

    old_overrides, new_overrides = _overrides(kept.overrides), _overrides(data.overrides)
    # The occurrences' moments (naive local), those their overrides account for left out
    # when both sides name them: each override is told as what it is.
    explained: set[datetime] = set()
    changed: list[date] = []
    if old_overrides is not None and new_overrides is not None:
        at_time = moment(data.start)
        clock = at_time.astimezone(zone).time().replace(tzinfo=None) if at_time else None
        for day in old_overrides.keys() | new_overrides.keys():
            for override in (old_overrides.get(day), new_overrides.get(day)):
                if override is not None and override.start is not None:
                    explained.add(override.start.astimezone(zone).replace(tzinfo=None))
            if clock is not None:
                explained.add(datetime.combine(day, clock))
            if old_overrides.get(day) != new_overrides.get(day) and kept_here(day):
                changed.append(day)
    before = set(rrulestr(kept.recurrence, forceset=True).between(first, last)) - explained
    after = set(rrulestr(data.recurrence, forceset=True).between(first, last)) - explained
    gone = sorted(day for day in before - after if kept_here(day.date()))
    new = sorted(after - before)
    start, end = moment(data.start), moment(data.end)
    length = end - start if start is not None and end is not None else timedelta()
    title, venue = data.title, data.venue or ""

    def as_planned(day: date) -> _Occurrence:
        local = (
            datetime.combine(day, start.astimezone(zone).time().replace(tzinfo=None))
            if start
            else None
        )
        begins = at(local) if local else None
        return _Occurrence(False, begins, begins + length if begins else None, title, venue)

    def state(overrides: Mapping[date, c.OccurrenceOverride], day: date) -> _Occurrence:
        override = overrides.get(day)
        if override is None:
            return as_planned(day)
        if override.cancelled:
            return _Occurrence(True)
        planned = as_planned(day)
        return _Occurrence(
            False,
            override.start or planned.start,
            override.end or planned.end,
            override.title or title,
            override.venue if override.venue is not None else venue,
        )

    cancelled = [day for day in changed if state(new_overrides or {}, day).cancelled]
    cancelled += [day.date() for day in gone] if not new else []
    parts: list[Words] = []
    if cancelled:
        said = "is" if len(cancelled) == 1 else "are"
        parts.append(lambda zone: f"{days_named(cancelled)} {said} cancelled")
    for day in changed:
        was, now_is = state(old_overrides or {}, day), state(new_overrides or {}, day)
        if not now_is.cancelled:
            parts.append(_occurrence_words(was, now_is, data.all_day, day))
    if len(gone) == 1 and len(new) == 1 and not changed:
        moved_from = _Occurrence(False, at(gone[0]), at(gone[0]) + length, title, venue)
        moved_to = _Occurrence(False, at(new[0]), at(new[0]) + length, title, venue)
        parts.append(_occurrence_words(moved_from, moved_to, data.all_day, gone[0].date()))
    elif new:
        parts.append(lambda zone: "some of its dates changed (see the event)")
    told = set(changed) | {day.date() for day in gone}
    return parts, next(iter(told)) if len(told) == 1 else None


def _overrides(
    announced: Iterable[c.OccurrenceOverride | Mapping[str, Any]] | None,
) -> dict[date, c.OccurrenceOverride] | None:
    """A series' overrides by their day; None when not known (an older release's)."""
    if announced is None:
        return None
    overrides = (c.OccurrenceOverride.model_validate(each) for each in announced)
    return {override.occurrence_date: override for override in overrides}


def _occurrence_words(was: _Occurrence, now_is: _Occurrence, all_day: bool, day: date) -> Words:
    """ "Wed 16 Dec 2026, 08:00-08:15 moved to 07:30-07:45, at Hotel lobby", "… now at Room
    2", "… renamed “Site visit”", "Wed 23 Dec 2026, 08:00-08:15 takes place after all"."""

    def words(zone: ZoneInfo) -> str:
        if was.cancelled:
            return f"{format_span(now_is.start, now_is.end, all_day, zone)} takes place after all"
        when = format_span(was.start, was.end, all_day, zone)
        told = []
        if (was.start, was.end) != (now_is.start, now_is.end):
            moved_to = format_span(now_is.start, now_is.end, all_day, zone)
            # The same day: the new times alone ("... 09:00-10:00 moved to 15:00-16:00").
            same_day = f"{format_day(now_is.start, zone)}, "
            if not all_day and when.startswith(same_day):
                moved_to = moved_to.removeprefix(same_day)
            told.append(f"moved to {moved_to}")
        if was.venue != now_is.venue:
            place = f"at {now_is.venue}" if now_is.venue else "with no venue"
            told.append(place if told else f"now {place}")
        if was.title != now_is.title:
            told.append(f"renamed {quoted(now_is.title)}")
        return f"{when} {', '.join(told)}" if told else f"{format_day(day)} changed"

    return words
