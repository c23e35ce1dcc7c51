"""The aggregated feed as RFC 5545 ``text/calendar`` (built with `icalendar`).

One VEVENT per feed entry, so that a subscribed calendar client updates entries instead of
duplicating them:

- UID ``<entry id>@<host>`` (stable: an occurrence of a series has its own entry id) and
  SEQUENCE, the record's row version (``version``; 0 when the entry has none), which grows
  with every change;
- SUMMARY (title), LOCATION (the event's ``venue``, a booking's resource), DESCRIPTION
  ("Coordination · Event · Planned" and the page's address), URL, CATEGORIES (the module),
  STATUS for cancelled and tentative entries;
- DTSTART / DTEND: DATE values for all-day entries (DTEND exclusive), UTC date-times
  otherwise.

The calendar says how often to refresh it (REFRESH-INTERVAL, X-PUBLISHED-TTL: an hour) and
names itself (X-WR-CALNAME).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from icalendar import Calendar, vDuration
from icalendar import Event as VEvent

from gateway_service.formatting import label

DEFAULT_UID_DOMAIN = "obcms"
MEDIA_TYPE = "text/calendar; charset=utf-8"
STATUS = {"cancelled": "CANCELLED", "draft": "TENTATIVE", "pending": "TENTATIVE"}
REFRESH = timedelta(hours=1)


def _when(value: str, all_day: bool) -> date | datetime:
    parsed = datetime.fromisoformat(value)
    if all_day:
        return parsed.date()
    if parsed.tzinfo is None:  # a date-only value on a timed entry: midnight UTC
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _description(props: dict[str, Any], url: str) -> str:
    words = [label(props[key]) for key in ("module", "category", "status") if props.get(key)]
    return "\n".join(part for part in (" · ".join(words), url) if part)


def build_calendar(
    entries: Iterable[dict[str, Any]], *, base_url: str = "", name: str = "OBCMS calendar"
) -> bytes:
    """`entries` (feed entries) as an ICS calendar named `name`; links and UIDs use
    `base_url` (the gateway's address as the client called it)."""
    uid_domain = urlsplit(base_url).hostname or DEFAULT_UID_DOMAIN
    calendar = Calendar()
    calendar.add("prodid", "-//OBCMS//Gateway calendar feed//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH))
    stamp = datetime.now(UTC).replace(microsecond=0)
    for entry in entries:
        props: dict[str, Any] = entry.get("extendedProps") or {}
        all_day = bool(entry.get("allDay"))
        vevent = VEvent()
        vevent.add("uid", f"{entry['id']}@{uid_domain}")
        vevent.add("sequence", int(props.get("version") or 0))
        vevent.add("dtstamp", stamp)
        vevent.add("summary", str(entry.get("title", "")))
        vevent.add("dtstart", _when(str(entry["start"]), all_day))
        vevent.add("dtend", _when(str(entry.get("end") or entry["start"]), all_day))
        location = props.get("venue") or props.get("resourceName")
        if location:
            vevent.add("location", str(location))
        url = f"{base_url}{props['url']}" if props.get("url") else ""
        if url:
            vevent.add("url", url)
        vevent.add("description", _description(props, url))
        if props.get("module"):
            vevent.add("categories", [label(props["module"])])
        if props.get("status") in STATUS:
            vevent.add("status", STATUS[str(props["status"])])
        calendar.add_component(vevent)
    payload: bytes = calendar.to_ical()
    return payload
