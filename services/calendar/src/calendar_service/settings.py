"""Calendar service settings (environment prefix ``OBCMS_CALENDAR_``, then ``OBCMS_``)."""

from __future__ import annotations

from functools import lru_cache
from typing import ClassVar

from obcms_platform.settings import ServiceSettings


class CalendarSettings(ServiceSettings):
    env_prefix: ClassVar[str] = "OBCMS_CALENDAR_"
    service_name: ClassVar[str] = "calendar"

    database_url: str = "postgresql+psycopg://postgres@127.0.0.1:5432/obcms_calendar"


@lru_cache
def get_settings() -> CalendarSettings:
    return CalendarSettings()
