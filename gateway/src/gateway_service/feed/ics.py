"""The aggregated feed as RFC 5545 ``text/calendar`` (built with `icalendar`).

One VEVENT per feed entry: SUMMARY (title), DESCRIPTION (module, category, status and the
link), DTSTART / DTEND (DATE values for all-day entries, DTEND exclusive; UTC date-times
otherwise), UID ``<entry id>@obcms`` (stable, so subscribed calendars update entries instead
of duplicating them), CATEGORIES (the module) and URL when the entry has one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from icalendar import Calendar
from icalendar import Event as VEvent

UID_DOMAIN = "obcms"
MEDIA_TYPE = "text/calendar; charset=utf-8"
STATUS = {"cancelled": "CANCELLED", "draft": "TENTATIVE", "pending": "TENTATIVE"}


def _when(value: str, all_day: bool) -> date | datetime:
    parsed = datetime.fromisoformat(value)
    if all_day:
        return parsed.date()
    if parsed.tzinfo is None:  # a date-only value on a timed entry: midnight UTC
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def build_calendar(
    entries: Iterable[dict[str, Any]], *, base_url: str = "", name: str = "OBCMS calendar"
) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//OBCMS//Gateway calendar feed//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    stamp = datetime.now(UTC).replace(microsecond=0)
    for entry in entries:
        props: dict[str, Any] = entry.get("extendedProps") or {}
        all_day = bool(entry.get("allDay"))
        vevent = VEvent()
        vevent.add("uid", f"{entry['id']}@{UID_DOMAIN}")
        vevent.add("dtstamp", stamp)
        vevent.add("summary", str(entry.get("title", "")))
        vevent.add("dtstart", _when(str(entry["start"]), all_day))
        vevent.add("dtend", _when(str(entry.get("end") or entry["start"]), all_day))
        module = str(props.get("module", ""))
        lines = [f"Module: {module}", f"Category: {props.get('category', '')}"]
        if props.get("status"):
            lines.append(f"Status: {props['status']}")
        url = str(props.get("url") or "")
        if url:
            lines.append(f"Link: {base_url}{url}")
            vevent.add("url", f"{base_url}{url}")
        vevent.add("description", "\n".join(lines))
        if module:
            vevent.add("categories", [module])
        if props.get("status") in STATUS:
            vevent.add("status", STATUS[str(props["status"])])
        calendar.add_component(vevent)
    payload: bytes = calendar.to_ical()
    return payload
