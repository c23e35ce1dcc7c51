"""The feed entry format of DOMAIN.md ("The calendar feed"), as FullCalendar reads it."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class ExtendedProps(BaseModel):
    module: str
    category: str
    objectId: str  # noqa: N815 - the feed format's name
    status: str
    url: str
    eventType: str | None = None  # noqa: N815
    venue: str | None = None
    occurrenceDate: str | None = None  # noqa: N815
    moved: bool | None = None
    leaveType: str | None = None  # noqa: N815
    userId: str | None = None  # noqa: N815
    resourceId: str | None = None  # noqa: N815
    resourceName: str | None = None  # noqa: N815


class FeedEntry(BaseModel):
    id: str
    title: str
    start: str  # ISO date (all-day) or date-time with offset
    end: str  # exclusive
    allDay: bool  # noqa: N815
    backgroundColor: str  # noqa: N815
    borderColor: str  # noqa: N815
    textColor: str  # noqa: N815
    extendedProps: ExtendedProps  # noqa: N815


class FeedResponse(BaseModel):
    start: datetime
    end: datetime
    modules: list[str]
    events: list[FeedEntry]
