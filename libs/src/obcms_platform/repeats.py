"""A repeating event's (or task's) pattern in words, one wording for every page and message:
the event page reads it from the calendar's rule (`Repeat.of_rule`), the messages about the
event from the RFC 5545 text the calendar announces (`Repeat.of_rfc5545`).

- ``pattern``: "every weekday", "every 2 weeks on Monday and Wednesday", "every month on the
  last Friday", "every year on 14 December";
- ``ending``: "until Fri 25 Dec 2026", "6 times", or nothing for a series without end.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from dateutil.rrule import DAILY, MONTHLY, WEEKLY, YEARLY

from obcms_platform.formatting import format_day
from obcms_platform.vocabulary import Frequency

# Each frequency as `dateutil.rrule` names it (the calendar's series, repeating tasks).
RRULE_FREQUENCIES: dict[Frequency, Literal[0, 1, 2, 3, 4, 5, 6]] = {
    Frequency.DAILY: DAILY,
    Frequency.WEEKLY: WEEKLY,
    Frequency.MONTHLY: MONTHLY,
    Frequency.YEARLY: YEARLY,
}
UNITS = {
    Frequency.DAILY: "day",
    Frequency.WEEKLY: "week",
    Frequency.MONTHLY: "month",
    Frequency.YEARLY: "year",
}
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
POSITIONS = {1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}
WORKING_WEEK = (1, 2, 3, 4, 5)
# RFC 5545 BYDAY codes by ISO weekday (1 = Monday).
RFC_WEEKDAYS = {"MO": 1, "TU": 2, "WE": 3, "TH": 4, "FR": 5, "SA": 6, "SU": 7}


@dataclass(frozen=True)
class Repeat:
    """How a series repeats: RFC 5545's FREQ, INTERVAL, BYDAY (ISO weekdays), BYMONTHDAY,
    BYSETPOS, COUNT and UNTIL (the last day, in the series' own zone)."""

    freq: Frequency
    interval: int = 1
    weekdays: tuple[int, ...] = ()
    monthdays: tuple[int, ...] = ()
    setpos: tuple[int, ...] = ()
    count: int | None = None
    until: date | None = None

    @classmethod
    def of_rule(cls, rule: Mapping[str, Any]) -> Repeat:
        """The calendar's rule as its API answers it (``{"freq": "weekly", ...}``)."""
        return cls(
            freq=Frequency(rule["freq"]),
            interval=int(rule.get("interval") or 1),
            weekdays=tuple(rule.get("by_weekday") or ()),
            monthdays=tuple(rule.get("by_monthday") or ()),
            setpos=tuple(rule.get("by_setpos") or ()),
            count=rule.get("count"),
            until=date.fromisoformat(rule["until"]) if rule.get("until") else None,
        )

    @classmethod
    def of_rfc5545(cls, text: str) -> Repeat | None:
        """The RRULE line of RFC 5545 text (as the calendar announces a series); None when
        it has none or names a frequency the calendar does not offer."""
        line = next((row for row in text.splitlines() if row.startswith("RRULE:")), None)
        if line is None:
            return None
        # Imported here: the pages word a rule from the calendar's JSON, and an API worker
        # starts without the libraries of occasional work (tests/test_worker_imports).
        from icalendar import vRecur

        try:
            parts = vRecur.from_ical(line.removeprefix("RRULE:"))
            freq = Frequency(parts["FREQ"][0].lower())
        except (KeyError, ValueError):
            return None
        until = parts.get("UNTIL", [None])[0]
        return cls(
            freq=freq,
            interval=parts.get("INTERVAL", [1])[0],
            # A BYDAY with a position ("-1FR") is a monthly rule's; the calendar writes the
            # position apart (BYSETPOS), so the code is its last two letters.
            weekdays=tuple(RFC_WEEKDAYS[day[-2:]] for day in parts.get("BYDAY", [])),
            monthdays=tuple(parts.get("BYMONTHDAY", [])),
            setpos=tuple(parts.get("BYSETPOS", [])),
            count=parts.get("COUNT", [None])[0],
            until=until.date() if isinstance(until, datetime) else until,
        )

    def pattern(self, first: date) -> str:
        """ "every weekday", "every 2 weeks on Monday and Wednesday" (`first`: the date of
        the first occurrence, in the series' zone, which gives what the rule leaves out)."""
        if self.freq is Frequency.WEEKLY and self.interval == 1 and self.weekdays == WORKING_WEEK:
            return "every weekday"
        every = self.every()
        if self.freq is Frequency.WEEKLY:
            return f"{every} on {_weekday_list(self.weekdays or (first.isoweekday(),))}"
        if self.freq in (Frequency.MONTHLY, Frequency.YEARLY) and self.setpos and self.weekdays:
            positions = " and ".join(POSITIONS.get(p, f"number {p}") for p in self.setpos)
            every += f" on the {positions} {_weekday_list(self.weekdays)}"
            return every + (f" of {first.strftime('%B')}" if self.freq is Frequency.YEARLY else "")
        if self.freq is Frequency.MONTHLY:
            days = self.monthdays or (first.day,)
            return every + " on day " + " and ".join(str(day) for day in days)
        if self.freq is Frequency.YEARLY:
            return every + f" on {first.day} {first.strftime('%B')}"
        return every

    def every(self) -> str:
        """ "every month", "every 3 months": the frequency alone."""
        unit = UNITS[self.freq]
        return f"every {unit}" if self.interval == 1 else f"every {self.interval} {unit}s"

    def ending(self) -> str:
        """ "until Fri 25 Dec 2026", "6 times", or "" for a series without end."""
        if self.until is not None:
            return "until " + format_day(self.until)
        if self.count is not None:
            return f"{self.count} times"
        return ""

    def described(self, first: date | None = None) -> str:
        """ "Every week on Monday and Wednesday, until Fri 30 Jan 2027": the rule whole
        (without `first`, the date of its first occurrence, its frequency alone: "Every 3
        months, until Fri 30 Jan 2027")."""
        pattern = self.every() if first is None else self.pattern(first)
        words = ", ".join(part for part in (pattern, self.ending()) if part)
        return words[:1].upper() + words[1:]


def _weekday_list(days: tuple[int, ...]) -> str:
    words = [WEEKDAYS[day - 1] for day in days]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
