"""The feed as RFC 5545 ``text/calendar`` (built with `icalendar`).

One VEVENT per feed entry, so each occurrence of a series is its own VEVENT with its
overrides applied; the UID is the feed entry id (``coordination-event-<id>-<YYYYMMDD>@obcms``),
stable across requests, so subscribing clients update entries instead of duplicating them.
Timed entries are in UTC; all-day entries are DATE values (DTEND exclusive).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from icalendar import Calendar
from icalendar import Event as VEvent

from obcms_platform.feed import Entry

UID_DOMAIN = "obcms"
STATUS = {"cancelled": "CANCELLED", "draft": "TENTATIVE", "pending": "TENTATIVE"}


def build_calendar(entries: Iterable[Entry], name: str = "OBCMS calendar") -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//OBCMS//Calendar service//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    stamp = datetime.now(UTC).replace(microsecond=0)
    for entry in entries:
        props = entry.props
        vevent = VEvent()
        vevent.add("uid", f"{entry.id}@{UID_DOMAIN}")
        vevent.add("dtstamp", stamp)
        vevent.add("summary", entry.title)
        start, end = entry.start, entry.end
        if isinstance(start, datetime) and isinstance(end, datetime):
            start, end = start.astimezone(UTC), end.astimezone(UTC)
        vevent.add("dtstart", start)
        vevent.add("dtend", end)
        lines = [f"Module: {props['module']}", f"Category: {props['category']}"]
        lines.append(f"Status: {props['status']}")
        if entry.description:
            lines.extend(["", entry.description])
        vevent.add("description", "\n".join(lines))
        vevent.add("categories", [props["module"]])
        if entry.location:
            vevent.add("location", entry.location)
        if props["status"] in STATUS:
            vevent.add("status", STATUS[props["status"]])
        calendar.add_component(vevent)
    payload: bytes = calendar.to_ical()
    return payload
