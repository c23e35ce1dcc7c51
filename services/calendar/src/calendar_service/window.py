"""The time windows of this service's routes (`?start=…&end=…`).

The window mechanism is the shared one of `obcms_platform.feed` (``FeedWindow``: no window
means this month ±1); ICS subscriptions get a longer default.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from obcms_platform.feed import EndParam, StartParam, TimeWindow, make_window, max_window_days

__all__ = ["IcsWindow", "TimeWindow"]


async def _ics_window(
    request: Request, start: StartParam = None, end: EndParam = None
) -> TimeWindow:
    """No window (a subscribing client): from a month back to a year ahead."""
    return make_window(
        start, end, months_before=1, months_after=12, max_days=max_window_days(request)
    )


IcsWindow = Annotated[TimeWindow, Depends(_ics_window)]
