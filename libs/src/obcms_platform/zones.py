"""The office's time zone and a person's: what a date or time without an offset means, and
in whose time a moment is shown (a module of its own: the tokens, the feed and the
formatting all read it)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

OFFICE_TIMEZONE = "Asia/Manila"
# Dates and times without an offset are the office's.
OFFICE_ZONE = ZoneInfo(OFFICE_TIMEZONE)


def zone_named(name: str | None) -> ZoneInfo:
    """The zone of an IANA name; the office's for none or an unknown name."""
    if not name:
        return OFFICE_ZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return OFFICE_ZONE


def office_today() -> date:
    """Today at the office (a server's own clock runs in UTC: eight hours behind, mornings)."""
    return datetime.now(OFFICE_ZONE).date()
