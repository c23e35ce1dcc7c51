"""Calendar feed entries as RFC 5545 ``text/calendar`` (built with `icalendar`): the one ICS
writer, for the gateway's feeds and subscriptions and the calendar service's export.

It works from feed entries in the feed format (`obcms_platform.feed.FeedEntry`: what the
services answer and the gateway merges), one VEVENT per entry, so that a subscribed
calendar client updates entries instead of duplicating them:

- UID ``<entry id>@<host>`` (stable: an occurrence of a series has its own entry id) and
  SEQUENCE, the record's row version (``version``; 0 when the entry has none), which grows
  with every change;
- SUMMARY (title), LOCATION (the entry's ``location``), DESCRIPTION (what the entry is,
  the page's address and the entry's ``description``), URL, CATEGORIES (the module), STATUS
  for cancelled and tentative entries;
- DTSTART / DTEND: DATE values for all-day entries (DTEND exclusive), UTC date-times
  otherwise.

Links need the address the client called (``base_url``): a relative one means nothing to a
calendar client. The calendar says how often to refresh it (REFRESH-INTERVAL,
X-PUBLISHED-TTL: an hour) and names itself (X-WR-CALNAME).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

DEFAULT_UID_DOMAIN = "obcms"
MEDIA_TYPE = "text/calendar; charset=utf-8"
STATUS = {"cancelled": "CANCELLED", "draft": "TENTATIVE", "pending": "TENTATIVE"}
REFRESH = timedelta(hours=1)
# The ``extendedProps`` codes that say what an entry is, in the order DESCRIPTION gives them.
KIND_KEYS = ("module", "category", "status")

Label = Callable[[str], str]


def _when(value: str, all_day: bool) -> date | datetime:
    parsed = datetime.fromisoformat(value)
    if all_day:
        return parsed.date()
    if parsed.tzinfo is None:  # a date-only value on a timed entry: midnight UTC
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _kind(props: Mapping[str, Any], label: Label | None) -> str:
    """ "Coordination · Event · Planned" in `label`'s words; without one, the codes a line
    each ("Module: coordination")."""
    codes = [(key, str(props[key])) for key in KIND_KEYS if props.get(key)]
    if label is None:
        return "\n".join(f"{key.capitalize()}: {code}" for key, code in codes)
    return " · ".join(label(code) for _, code in codes)


def build_calendar(
    entries: Iterable[Mapping[str, Any]],
    *,
    name: str = "OBCMS calendar",
    base_url: str = "",
    label: Label | None = None,
) -> bytes:
    """`entries` (feed entries) as an ICS calendar named `name`. Links and UIDs use
    `base_url` (the address the client called); `label` words the entries' codes for
    people (without it DESCRIPTION and CATEGORIES give the codes)."""
    # Imported by the first calendar asked for: every gateway worker serves the feed's
    # routes, few serve ICS (icalendar is about 3 MB per worker).
    from icalendar import Calendar, vDuration
    from icalendar import Event as VEvent

    uid_domain = urlsplit(base_url).hostname or DEFAULT_UID_DOMAIN
    calendar = Calendar()
    calendar.add("prodid", "-//OBCMS//Calendar feed//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH))
    stamp = datetime.now(UTC).replace(microsecond=0)
    for entry in entries:
        props: Mapping[str, Any] = entry.get("extendedProps") or {}
        all_day = bool(entry.get("allDay"))
        vevent = VEvent()
        vevent.add("uid", f"{entry['id']}@{uid_domain}")
        vevent.add("sequence", int(props.get("version") or 0))
        vevent.add("dtstamp", stamp)
        vevent.add("summary", str(entry.get("title", "")))
        vevent.add("dtstart", _when(str(entry["start"]), all_day))
        vevent.add("dtend", _when(str(entry.get("end") or entry["start"]), all_day))
        if entry.get("location"):
            vevent.add("location", str(entry["location"]))
        url = f"{base_url}{props['url']}" if base_url and props.get("url") else ""
        if url:
            vevent.add("url", url)
        heading = "\n".join(part for part in (_kind(props, label), url) if part)
        details = str(entry.get("description") or "")
        vevent.add("description", f"{heading}\n\n{details}" if details else heading)
        if props.get("module"):
            module = str(props["module"])
            vevent.add("categories", [label(module) if label else module])
        if props.get("status") in STATUS:
            vevent.add("status", STATUS[str(props["status"])])
        calendar.add_component(vevent)
    payload: bytes = calendar.to_ical()
    return payload
