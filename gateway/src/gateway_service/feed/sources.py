"""Which service serves which feed module, and the feed's parameters (modules, window)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from obcms_platform import registry
from obcms_platform.errors import AppError
from obcms_platform.feed import MODULES, TimeWindow, make_window

# Source (backend service) -> the modules its /api/v1/feed serves (DOMAIN.md; the registry).
SOURCE_MODULES: dict[str, tuple[str, ...]] = registry.feed_sources()
SOURCES: tuple[str, ...] = tuple(SOURCE_MODULES)
ALL_MODULES: tuple[str, ...] = tuple(sorted(MODULES))

OK, ERROR, TIMEOUT, NOT_REQUESTED = "ok", "error", "timeout", "not_requested"


class FeedParameterError(AppError):
    """A bad ``modules``, ``start`` or ``end``: 400 naming the parameter."""

    status_code = 400
    code = "bad_request"


def parse_modules(value: str | None) -> list[str]:
    """``?modules=a,b`` -> the known modules asked for (sorted); none given: all five."""
    if value is None or not value.strip():
        return list(ALL_MODULES)
    names = {name.strip() for name in value.split(",") if name.strip()}
    unknown = sorted(names - set(ALL_MODULES))
    if unknown:
        raise FeedParameterError(
            f"modules: unknown module(s) {', '.join(unknown)}; known: {', '.join(ALL_MODULES)}",
            field="modules",
        )
    if not names:
        raise FeedParameterError("modules: name at least one module", field="modules")
    return sorted(names)


def parse_window(
    start: str | None, end: str | None, max_days: int, *, months_after: int = 2
) -> TimeWindow:
    """The window (no window: from the current month's first day back one month to
    `months_after` months ahead), at most `max_days` long; errors are 400s."""
    try:
        return make_window(
            start, end, months_before=1, months_after=months_after, max_days=max_days
        )
    except AppError as exc:
        raise FeedParameterError(exc.message, field=exc.field) from None


def subscription_window() -> TimeWindow:
    """What a subscribed calendar client gets: from the first of the month three months back
    to the end of the month a year ahead (so always at least twelve months ahead)."""
    return make_window(None, None, months_before=3, months_after=13)


def split_window(window: TimeWindow, max_days: int) -> list[TimeWindow]:
    """`window` cut into consecutive windows of at most `max_days` each (the longest the
    services answer)."""
    step = timedelta(days=max_days)
    pieces: list[TimeWindow] = []
    start = window.start
    while start < window.end:
        end = min(start + step, window.end)
        pieces.append(TimeWindow(start, end))
        start = end
    return pieces


def modules_of(source: str, modules: Sequence[str]) -> list[str]:
    """The requested modules `source` serves (empty: the source is not asked)."""
    return [name for name in SOURCE_MODULES[source] if name in modules]
