"""What one user's records may cost everyone's calendar.

A staff user's series, event, leave or booking is in every colleague's feed of its period, so
the calendar settings bound them: a series' ``COUNT`` (``MAX_SERIES_OCCURRENCES``) and how
far after its start its ``UNTIL`` may be (``MAX_SERIES_YEARS``), and the days one event
occurrence, one leave and one booking may span (``MAX_EVENT_DAYS``, ``MAX_LEAVE_DAYS``,
``MAX_BOOKING_DAYS``). Beyond them a write is refused with 422 naming the field. (A series
without end stays allowed: the feed's entry cap bounds what it adds to one answer.)

The checks run where the input is validated, which knows nothing of the app handling the
request: `CalendarLimitsMiddleware` makes the app's limits the current ones for the
request (`current_limits`); outside a request (seeding, scripts) the settings' defaults
apply.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from calendar_service.settings import CalendarSettings


@dataclass(frozen=True)
class CalendarLimits:
    series_occurrences: int
    series_years: int
    event_days: int
    leave_days: int
    booking_days: int

    @classmethod
    def of(cls, settings: CalendarSettings) -> CalendarLimits:
        return cls(
            series_occurrences=settings.max_series_occurrences,
            series_years=settings.max_series_years,
            event_days=settings.max_event_days,
            leave_days=settings.max_leave_days,
            booking_days=settings.max_booking_days,
        )


# The defaults without reading the environment.
DEFAULT_LIMITS = CalendarLimits.of(CalendarSettings.model_construct())
_current: ContextVar[CalendarLimits] = ContextVar("calendar_limits", default=DEFAULT_LIMITS)


def current_limits() -> CalendarLimits:
    """The limits of the app handling the current request (the defaults outside one)."""
    return _current.get()


class CalendarLimitsMiddleware:
    """Makes `limits` the current ones while the app handles a request (a context variable:
    visible to the request's validation, dependencies and endpoint, thread pool included)."""

    def __init__(self, app: ASGIApp, limits: CalendarLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        token = _current.set(self.limits)
        try:
            await self.app(scope, receive, send)
        finally:
            _current.reset(token)
