"""RFC 5545 recurrence with `dateutil.rrule`, expanded only inside a requested window.

A series is its first occurrence (`start`, `duration`), a wall-clock time zone and a rule.
The rule runs on naive local times of that zone, so a weekly 09:00 meeting stays at 09:00
local across DST changes; each local occurrence is then made aware and converted to UTC.

Occurrences are identified by their original local date (a rule of daily or coarser
frequency yields at most one occurrence per local day): exdates and overrides use it.

Window expansion never walks from the series start: for a rule without COUNT, the rule's
DTSTART is moved forward by a whole number of periods (days, weeks, months, years times the
interval) to just before the window. The parts RFC 5545 derives from DTSTART (weekday,
day of month, month) are pinned explicitly first, so the moved rule produces exactly the
original occurrences. BYSETPOS ("last Friday") needs nothing more: dateutil applies it to
each whole period's set of days before dropping those before DTSTART, and a moved DTSTART is
at least one period before the window. A rule with COUNT must be counted from its start;
COUNT is capped (`MAX_COUNT`), so that walk is bounded.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from dateutil.rrule import rrule

from obcms_platform.repeats import RRULE_FREQUENCIES
from obcms_platform.vocabulary import Frequency as Frequency

MAX_COUNT = 5000
MAX_INTERVAL = 1000


@dataclass(frozen=True)
class Rule:
    """A validated recurrence rule (see `schemas.RecurrenceIn` for the checks)."""

    freq: Frequency
    interval: int = 1
    by_weekday: tuple[int, ...] = ()  # ISO: 1 = Monday ... 7 = Sunday
    by_monthday: tuple[int, ...] = ()  # 1..31 or -31..-1 (from the month's end)
    # Positions within each period's set of matching days: -1 = the last ("last Friday").
    by_setpos: tuple[int, ...] = ()
    count: int | None = None
    until: date | None = None  # inclusive, local date
    exdates: frozenset[date] = frozenset()  # local dates of removed occurrences

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Rule:
        return cls(
            freq=Frequency(data["freq"]),
            interval=int(data.get("interval") or 1),
            by_weekday=tuple(data.get("by_weekday") or ()),
            by_monthday=tuple(data.get("by_monthday") or ()),
            by_setpos=tuple(data.get("by_setpos") or ()),  # absent in rows before BYSETPOS
            count=data.get("count"),
            until=date.fromisoformat(data["until"]) if data.get("until") else None,
            exdates=frozenset(date.fromisoformat(d) for d in data.get("exdates") or ()),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "freq": self.freq.value,
            "interval": self.interval,
            "by_weekday": list(self.by_weekday),
            "by_monthday": list(self.by_monthday),
            "by_setpos": list(self.by_setpos),
            "count": self.count,
            "until": self.until.isoformat() if self.until else None,
            "exdates": sorted(d.isoformat() for d in self.exdates),
        }


@dataclass(frozen=True)
class Series:
    start: datetime  # aware: the first occurrence's start
    duration: timedelta
    zone: ZoneInfo
    rule: Rule
    _local_start: datetime = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_local_start", local_naive(self.start, self.zone))

    @property
    def local_start(self) -> datetime:
        return self._local_start

    def times_on(self, day: date) -> tuple[datetime, datetime]:
        """The start and end of an occurrence on `day` at the series' own time."""
        start = aware(datetime.combine(day, self.local_start.time()), self.zone)
        return start, start + self.duration

    def rrule(self, dtstart: datetime | None = None) -> rrule:
        """The dateutil rule over naive local times, optionally from a moved DTSTART."""
        first = self.local_start
        rule = self.rule
        kwargs: dict[str, Any] = {
            "freq": RRULE_FREQUENCIES[rule.freq],
            "interval": rule.interval,
            "dtstart": dtstart or first,
            "wkst": 0,  # weeks start on Monday (RFC 5545 default)
            "cache": False,
        }
        if rule.by_weekday:
            kwargs["byweekday"] = [d - 1 for d in rule.by_weekday]
        if rule.by_monthday:
            kwargs["bymonthday"] = list(rule.by_monthday)
        if rule.by_setpos:
            kwargs["bysetpos"] = list(rule.by_setpos)
        # Pin what RFC 5545 otherwise takes from DTSTART, so that a moved DTSTART (which may
        # land on a clipped day such as Feb 28) keeps the series' meaning.
        if rule.freq is Frequency.WEEKLY and not rule.by_weekday:
            kwargs["byweekday"] = [first.weekday()]
        if rule.freq is Frequency.MONTHLY and not (rule.by_weekday or rule.by_monthday):
            kwargs["bymonthday"] = [first.day]
        if rule.freq is Frequency.YEARLY and not (rule.by_weekday or rule.by_monthday):
            kwargs["bymonth"] = [first.month]
            kwargs["bymonthday"] = [first.day]
        kwargs["byhour"], kwargs["byminute"], kwargs["bysecond"] = (
            first.hour,
            first.minute,
            first.second,
        )
        if rule.count is not None:
            kwargs["count"] = rule.count
        elif rule.until is not None:
            kwargs["until"] = datetime.combine(rule.until, time(23, 59, 59))
        return rrule(**kwargs)

    def rfc5545(self, overridden: Mapping[date, datetime | None]) -> str:
        """The series' occurrences as RFC 5545 lines (DTSTART, RRULE, EXDATE, RDATE) in naive
        local times of its zone, for `dateutil.rrule.rrulestr`. `overridden` maps an
        occurrence's original date to its new start, or to None if it is cancelled: it is
        excluded at its original time and (if moved) added at its new one."""
        excluded = self.rule.exdates | overridden.keys()
        added = [
            local_naive(start, self.zone)
            for day, start in overridden.items()
            if start is not None and day not in self.rule.exdates
        ]
        at = self.local_start.time()
        lines = [str(self.rrule())]
        if excluded:
            exdates = (datetime.combine(day, at) for day in sorted(excluded))
            lines.append("EXDATE:" + ",".join(f"{moment:%Y%m%dT%H%M%S}" for moment in exdates))
        if added:
            lines.append("RDATE:" + ",".join(f"{moment:%Y%m%dT%H%M%S}" for moment in sorted(added)))
        return "\n".join(lines)

    def aligned_start(self, not_after: datetime) -> datetime:
        """The latest DTSTART of the form start + k periods (k ≥ 0) at least one period
        before the naive local time `not_after`; the start itself for a COUNT rule."""
        first = self.local_start
        rule = self.rule
        if rule.count is not None or not_after <= first:
            return first
        step = rule.interval
        if rule.freq in (Frequency.DAILY, Frequency.WEEKLY):
            unit = 1 if rule.freq is Frequency.DAILY else 7
            periods = (not_after - first).days // (unit * step) - 1
            if periods <= 0:
                return first
            return first + timedelta(days=periods * unit * step)
        if rule.freq is Frequency.MONTHLY:
            months = (not_after.year - first.year) * 12 + not_after.month - first.month
            periods = months // step - 1
            return first + relativedelta(months=periods * step) if periods > 0 else first
        years = not_after.year - first.year
        periods = years // step - 1
        return first + relativedelta(years=periods * step) if periods > 0 else first

    def local_starts_between(self, after: datetime, before: datetime) -> Iterator[datetime]:
        """Naive local occurrence starts in [after, before] (naive local), exdates kept."""
        if before < self.local_start:
            return
        rule = self.rrule(self.aligned_start(after))
        yield from rule.between(after, before, inc=True)

    def occurrences(self, window_start: datetime, window_end: datetime) -> list[Occurrence]:
        """Occurrences overlapping [window_start, window_end) (aware), exdates removed."""
        earliest = window_start - self.duration
        # One day of slack on each side absorbs DST offsets; exact filtering in UTC below.
        after = local_naive(earliest, self.zone) - timedelta(days=1)
        before = local_naive(window_end, self.zone) + timedelta(days=1)
        found = []
        for local in self.local_starts_between(after, before):
            if local.date() in self.rule.exdates:
                continue
            start = aware(local, self.zone)
            end = start + self.duration
            if start < window_end and end > window_start:
                found.append(Occurrence(local.date(), start, end))
        return found

    def has_occurrence_on(self, day: date) -> bool:
        """Whether the series has a (not exdated) occurrence on local date `day`."""
        if day in self.rule.exdates:
            return False
        midnight = datetime.combine(day, time.min)
        return any(
            local.date() == day
            for local in self.local_starts_between(midnight, midnight + timedelta(days=1))
        )

    def dates_among(self, days: Iterable[date]) -> set[date]:
        """Those of `days` on which the series has a (not exdated) occurrence."""
        wanted = set(days) - self.rule.exdates
        if wanted and self.rule.count is not None:
            # The whole series (at most MAX_COUNT) once, not a walk from its start per day.
            return wanted & {local.date() for local in self.rrule()}
        return {day for day in wanted if self.has_occurrence_on(day)}

    def first_date(self) -> date | None:
        """The local date of the first (not exdated) occurrence; None if there is none."""
        return next(
            (local.date() for local in self.rrule() if local.date() not in self.rule.exdates),
            None,
        )

    def span_end(self) -> datetime | None:
        """An upper bound of the end of the last occurrence; None for a series without end."""
        rule = self.rule
        if rule.count is not None:
            starts = list(self.rrule())  # at most MAX_COUNT
            if not starts:
                return self.start + self.duration
            return max(aware(starts[-1], self.zone), self.start) + self.duration
        if rule.until is not None:
            last_day_end = aware(
                datetime.combine(rule.until + timedelta(days=1), time.min), self.zone
            )
            return max(last_day_end + self.duration, self.start + self.duration)
        return None


@dataclass(frozen=True)
class Occurrence:
    original_date: date  # local date of the occurrence as the rule produces it
    start: datetime
    end: datetime


def local_naive(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(zone).replace(tzinfo=None)


def aware(local: datetime, zone: ZoneInfo) -> datetime:
    """A naive local time in `zone` as an aware UTC time (the earlier one when ambiguous)."""
    return local.replace(tzinfo=zone).astimezone(UTC)
