"""The aggregated feed's body and ETag are the documented payload, written without encoding
the entries again: compared here with the payload encoded as a whole (the previous way)."""

from __future__ import annotations

from datetime import datetime

import msgspec

from gateway_service.feed.service import Feed, merge, module_stats, parse_part, weak_etag
from obcms_platform.feed import OFFICE_ZONE

MODULES = ["coordination", "mana", "planning", "resources", "staff"]


def _entry(entry_id: str, start: str, module: str, status: str) -> dict[str, object]:
    return {
        "id": entry_id,
        "title": f'"{entry_id}" \\ ñ',
        "start": start,
        "end": start,
        "allDay": "T" not in start,
        "extendedProps": {"module": module, "status": status, "objectId": entry_id},
    }


def _part(*entries: dict[str, object]) -> bytes:
    return msgspec.json.encode({"events": list(entries), "truncated": False})


def _feed(sources: dict[str, str], parts: list[bytes]) -> Feed:
    entries = merge([parse_part(body).entries for body in parts])
    return Feed(
        generated_at=datetime(2026, 12, 6, 9, 30, tzinfo=OFFICE_ZONE),
        modules=MODULES,
        sources=sources,
        entries=entries,
        module_stats=module_stats(entries, MODULES, datetime(2026, 12, 6).date()),
        truncated=False,
        entry_limit=5000,
    )


def _previous_body(feed: Feed, events: list[dict[str, object]]) -> tuple[bytes, bytes]:
    content = msgspec.json.encode(
        {
            "modules": feed.modules,
            "sources": feed.sources,
            "truncated": feed.truncated,
            "entry_limit": feed.entry_limit,
            "events": events,
            "module_stats": feed.module_stats,
        }
    )
    generated_at = msgspec.json.encode(feed.generated_at.isoformat())
    return b'{"generated_at":' + generated_at + b"," + content[1:], content


def test_the_body_and_etag_are_the_payload_encoded_whole_for_every_module():
    tasks = _part(
        _entry("staff-task-b", "2026-12-07", "staff", "completed"),
        _entry("staff-task-a", "2026-12-01", "staff", "in_progress"),
    )
    portfolio = _part(
        _entry("planning-ppa-1", "2026-12-07", "planning", "approved"),
        _entry("mana-assessment-1", "2026-12-03", "mana", "completed"),
    )
    calendar = _part(
        _entry("coordination-event-1", "2026-12-07T08:00:00+08:00", "coordination", "planned"),
        _entry("resources-booking-1", "2026-12-06T23:00:00-05:00", "resources", "approved"),
        _entry("staff-leave-1", "2026-12-02", "staff", "pending"),
    )
    feed = _feed({"tasks": "ok", "portfolio": "ok", "calendar": "ok"}, [tasks, portfolio, calendar])

    events = [msgspec.json.decode(entry.raw) for entry in feed.entries]
    body, content = _previous_body(feed, events)
    assert feed.body() == body
    assert feed.etag() == weak_etag(content)
    decoded = msgspec.json.decode(feed.body())
    # Sorted by start in office time (all-day ones at midnight), then id: the booking
    # (2026-12-07 12:00 in Manila) last.
    assert [entry["id"] for entry in decoded["events"]] == [
        "staff-task-a",
        "staff-leave-1",
        "mana-assessment-1",
        "planning-ppa-1",
        "staff-task-b",
        "coordination-event-1",
        "resources-booking-1",
    ]
    assert decoded["module_stats"] == {
        "coordination": {"total": 1, "upcoming": 1, "completed": 0},
        "mana": {"total": 1, "upcoming": 0, "completed": 1},
        "planning": {"total": 1, "upcoming": 1, "completed": 1},
        "resources": {"total": 1, "upcoming": 1, "completed": 1},
        "staff": {"total": 3, "upcoming": 1, "completed": 1},
    }


def test_a_degraded_or_empty_feed_is_the_payload_encoded_whole():
    calendar = _part(_entry("coordination-event-1", "2026-12-07", "coordination", "planned"))
    degraded = _feed({"tasks": "timeout", "portfolio": "error", "calendar": "ok"}, [calendar])
    empty = _feed({"tasks": "error", "portfolio": "error", "calendar": "error"}, [])

    for feed in (degraded, empty):
        events = [msgspec.json.decode(entry.raw) for entry in feed.entries]
        body, content = _previous_body(feed, events)
        assert feed.body() == body
        assert feed.etag() == weak_etag(content)
    assert msgspec.json.decode(empty.body())["events"] == []
