"""Calendar service settings (environment prefix ``OBCMS_CALENDAR_``, then ``OBCMS_``)."""

from __future__ import annotations

from functools import lru_cache
from typing import ClassVar

from pydantic import Field

from calendar_service.calendar_events.recurrence import MAX_COUNT
from obcms_platform.settings import ServiceSettings, service_database_url


class CalendarSettings(ServiceSettings):
    service_name: ClassVar[str] = "calendar"

    database_url: str = service_database_url(service_name)
    # What one user's records may cost everyone's calendar (`limits.py`): a series' COUNT
    # and how many years after its start its UNTIL may be, the days one event occurrence,
    # one leave (both dates counted) and one booking may span. Beyond: 422 naming the field.
    max_series_occurrences: int = Field(default=730, ge=1, le=MAX_COUNT)
    max_series_years: int = Field(default=2, ge=1, le=100)
    max_event_days: int = Field(default=31, ge=1, le=3660)
    max_leave_days: int = Field(default=366, ge=1, le=3660)
    max_booking_days: int = Field(default=31, ge=1, le=3660)


@lru_cache
def get_settings() -> CalendarSettings:
    return CalendarSettings()
