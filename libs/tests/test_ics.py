"""The one ICS writer, from feed entries: what a calendar client reads of each entry."""

from __future__ import annotations

from datetime import UTC, date, datetime

from icalendar import Calendar

from obcms_platform import feed
from obcms_platform.ics import build_calendar


def _event(**changes: object) -> feed.Entry:
    fields: dict[str, object] = {
        "id": "coordination-event-7",
        "title": "Budget briefing",
        "start": datetime(2026, 12, 10, 9, tzinfo=feed.OFFICE_ZONE),
        "end": datetime(2026, 12, 10, 11, tzinfo=feed.OFFICE_ZONE),
        "all_day": False,
        "colour": feed.EVENT_COLOUR,
        "props": feed.extended_props(
            feed.MODULE_COORDINATION, "event", 7, "cancelled", "/events/7/", version=3
        ),
        "location": "Session hall",
        "description": "Bring the Q3 figures.",
    }
    return feed.Entry(**{**fields, **changes})  # type: ignore[arg-type]


def _vevent(payload: bytes) -> object:
    (vevent,) = Calendar.from_ical(payload).walk("VEVENT")
    return vevent


def test_an_entry_in_peoples_words_with_links() -> None:
    vevent = _vevent(
        build_calendar([_event().to_feed()], base_url="https://obcms.example", label=str.upper)
    )
    assert str(vevent["UID"]) == "coordination-event-7@obcms.example"
    assert int(vevent["SEQUENCE"]) == 3
    assert str(vevent["LOCATION"]) == "Session hall"
    assert str(vevent["URL"]) == "https://obcms.example/events/7/"
    assert str(vevent["DESCRIPTION"]) == (
        "COORDINATION · EVENT · CANCELLED\nhttps://obcms.example/events/7/\n\nBring the Q3 figures."
    )
    assert vevent["CATEGORIES"].cats == ["COORDINATION"]
    assert str(vevent["STATUS"]) == "CANCELLED"
    assert vevent.decoded("DTSTART") == datetime(2026, 12, 10, 1, tzinfo=UTC)


def test_without_an_address_no_links_and_the_codes_a_line_each() -> None:
    entry = _event(location="", description="").to_feed()
    assert "location" not in entry
    assert "description" not in entry
    vevent = _vevent(build_calendar([entry]))
    assert str(vevent["UID"]) == "coordination-event-7@obcms"
    assert "URL" not in vevent
    assert "LOCATION" not in vevent
    assert str(vevent["DESCRIPTION"]) == "Module: coordination\nCategory: event\nStatus: cancelled"


def test_all_day_entries_are_dates_with_an_exclusive_end() -> None:
    props = feed.extended_props(feed.MODULE_STAFF, "leave", 1, "approved", "/leave/1/")
    entry = feed.all_day_entry(
        "staff-leave-1", "On leave", date(2026, 12, 30), feed.LEAVE_COLOUR, props
    )
    vevent = _vevent(build_calendar([entry.to_feed()]))
    assert vevent.decoded("DTSTART") == date(2026, 12, 30)
    assert vevent.decoded("DTEND") == date(2026, 12, 31)
    assert int(vevent["SEQUENCE"]) == 0
