"""The time window of feed, ICS and occurrence queries (`?start=…&end=…`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from fastapi import Depends, Query

from calendar_service.calendar_events.models import DEFAULT_TIMEZONE
from obcms_platform.errors import InvalidInputError
from obcms_platform.schemas import EARLIEST_DATE, LATEST_DATE

# Dates and times without an offset are the office's.
OFFICE_ZONE = ZoneInfo(DEFAULT_TIMEZONE)
MAX_WINDOW_DAYS = 400


@dataclass(frozen=True)
class TimeWindow:
    start: datetime  # aware
    end: datetime  # aware, exclusive


def parse_moment(value: str, name: str) -> datetime:
    """An ISO date or date-time; a '+' of an offset decoded to a space is put back."""
    text = value.strip()
    if "T" in text and " " in text:
        text = text.replace(" ", "+")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInputError(
            f"{name}: expected an ISO 8601 date or date-time such as 2026-11-01 or "
            "2026-11-01T00:00:00+08:00",
            field=name,
        ) from None
    if not EARLIEST_DATE <= moment.date() <= LATEST_DATE:
        raise InvalidInputError(
            f"{name}: must be between {EARLIEST_DATE} and {LATEST_DATE}", field=name
        )
    return moment if moment.tzinfo else moment.replace(tzinfo=OFFICE_ZONE)


def make_window(
    start: str | None,
    end: str | None,
    *,
    default_before: relativedelta,
    default_after: relativedelta,
) -> TimeWindow:
    if (start is None) != (end is None):
        missing = "end" if end is None else "start"
        raise InvalidInputError(f"{missing}: give both start and end, or neither", field=missing)
    if start is None or end is None:
        today = datetime.now(UTC).astimezone(OFFICE_ZONE).date()
        month = datetime.combine(date(today.year, today.month, 1), time.min, OFFICE_ZONE)
        return TimeWindow(month - default_before, month + default_after)
    window = TimeWindow(parse_moment(start, "start"), parse_moment(end, "end"))
    if window.end <= window.start:
        raise InvalidInputError("end: must be after start", field="end")
    if window.end - window.start > timedelta(days=MAX_WINDOW_DAYS):
        raise InvalidInputError(
            f"end: the window may span at most {MAX_WINDOW_DAYS} days", field="end"
        )
    return window


StartParam = Annotated[
    str | None, Query(description="window start (ISO date or date-time; local office time)")
]
EndParam = Annotated[str | None, Query(description="window end, exclusive")]


def _feed_window(start: StartParam = None, end: EndParam = None) -> TimeWindow:
    """No window: the current month ±1 month."""
    return make_window(
        start, end, default_before=relativedelta(months=1), default_after=relativedelta(months=2)
    )


def _ics_window(start: StartParam = None, end: EndParam = None) -> TimeWindow:
    """No window (a subscribing client): from a month back to a year ahead."""
    return make_window(
        start, end, default_before=relativedelta(months=1), default_after=relativedelta(months=12)
    )


FeedWindow = Annotated[TimeWindow, Depends(_feed_window)]
IcsWindow = Annotated[TimeWindow, Depends(_ics_window)]
