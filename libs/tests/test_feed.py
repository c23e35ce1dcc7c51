"""The shared calendar feed mechanism: window, modules, entries (the services' feed tests
cover the endpoints)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Set
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi import Response
from sqlalchemy import ARRAY, Uuid, create_engine, literal, null, select
from starlette.types import Message

from obcms_platform import feed
from obcms_platform.db import normalise_url
from obcms_platform.errors import InvalidInputError

MANILA = ZoneInfo("Asia/Manila")


def test_parse_moment_naive_is_office_time_and_offsets_survive_url_decoding():
    assert feed.parse_moment("2026-12-01", "start") == datetime(2026, 12, 1, tzinfo=MANILA)
    assert feed.parse_moment("2026-12-01T08:00:00 08:00", "start") == datetime(
        2026, 12, 1, tzinfo=UTC
    )
    assert feed.parse_moment("2026-12-01T00:00:00Z", "end").utcoffset() == timedelta(0)
    for bad in ("yesterday", "1969-12-31", "2200-01-01"):
        with pytest.raises(InvalidInputError) as caught:
            feed.parse_moment(bad, "start")
        assert caught.value.field == "start"


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ("2026-12-01", None, "end"),
        (None, "2026-12-01", "start"),
        ("2026-12-01", "2026-12-01", "end"),
        ("2026-12-02", "2026-12-01", "end"),
        ("2026-01-01", "2027-02-06", "end"),  # 401 days
    ],
)
def test_bad_windows(start, end, field):
    with pytest.raises(InvalidInputError) as caught:
        feed.make_window(start, end)
    assert caught.value.field == field


def test_window_of_400_days_and_its_days():
    window = feed.make_window("2026-01-01", "2027-02-05")
    assert window.end - window.start == timedelta(days=400)
    assert window.days() == (date(2026, 1, 1), date(2027, 2, 4))
    # UTC instants: office-local days; an end at midnight excludes that day.
    utc = feed.make_window("2026-11-30T16:00:00Z", "2026-12-31T16:00:00Z")
    assert utc.days() == (date(2026, 12, 1), date(2026, 12, 31))
    one_hour = feed.make_window("2026-12-31T23:00:00", "2027-01-01T00:30:00")
    assert one_hour.days() == (date(2026, 12, 31), date(2027, 1, 1))


def test_default_window_months_roll_over_years():
    assert feed._month_start(date(2026, 12, 15), 2) == datetime(2027, 2, 1, tzinfo=MANILA)
    assert feed._month_start(date(2026, 1, 31), -1) == datetime(2025, 12, 1, tzinfo=MANILA)
    assert feed._month_start(date(2026, 1, 31), 12) == datetime(2027, 1, 1, tzinfo=MANILA)
    window = feed.make_window(None, None)  # what `feed_window` answers without a window
    today = datetime.now(MANILA).date()
    assert window.start.day == window.end.day == 1
    assert window.start.date() < today < window.end.date()


def test_modules():
    served = (feed.MODULE_PLANNING, feed.MODULE_MANA)
    assert feed.parse_modules(None, served) == ["planning", "mana"]
    assert feed.parse_modules(" , ", served) == ["planning", "mana"]
    assert feed.parse_modules("mana, staff,planning", served) == ["planning", "mana"]
    assert feed.parse_modules("coordination", served) == []
    with pytest.raises(InvalidInputError) as caught:
        feed.parse_modules("mana,parties", served)
    assert caught.value.field == "modules"
    assert "parties" in caught.value.message
    dependency = feed.served_modules(feed.MODULE_STAFF)
    assert asyncio.run(dependency("staff,mana")) == ["staff"]
    with pytest.raises(ValueError, match="served modules"):
        feed.served_modules("parties")


async def sent_body(response: Response) -> bytes:
    """The body `response` sends, checked against its Content-Length and its messages'
    ``more_body`` (a feed page is sent in pieces)."""
    messages: list[Message] = []

    async def send(message: Message) -> None:
        messages.append(message)

    async def receive() -> Message:
        raise AssertionError("a response does not read the request")

    await response({"type": "http"}, receive, send)
    start, *bodies = messages
    body = b"".join(message["body"] for message in bodies)
    assert dict(start["headers"])[b"content-length"] == str(len(body)).encode()
    assert [message.get("more_body", False) for message in bodies] == [True] * (len(bodies) - 1) + [
        False
    ]
    return body


def test_entry_renders_the_feed_format():
    props = feed.extended_props(
        feed.MODULE_STAFF, "task", 42, "not_started", "/x/", priority="high", relatedPpaId=None
    )
    entry = feed.all_day_entry("staff-task-42", "Task", date(2026, 12, 31), feed.TASK_COLOUR, props)
    assert entry.to_feed() == {
        "id": "staff-task-42",
        "title": "Task",
        "start": "2026-12-31",
        "end": "2027-01-01",
        "allDay": True,
        "backgroundColor": "#7c3aed",
        "borderColor": "#7c3aed",
        "textColor": "#f9fafb",
        "extendedProps": {
            "module": "staff",
            "category": "task",
            "objectId": "42",
            "status": "not_started",
            "url": "/x/",
            "priority": "high",
        },
    }
    timed = feed.Entry(
        id="b",
        title="Timed",
        start=datetime(2026, 12, 30, 16, tzinfo=UTC),
        end=datetime(2026, 12, 30, 17, tzinfo=UTC),
        all_day=False,
        colour=feed.EVENT_COLOUR,
        props=props,
    )
    assert timed.to_feed()["start"] == "2026-12-31T00:00:00+08:00"
    # Sorted by local start; an all-day entry first among those of its day.
    assert [e.id for e in feed.sorted_entries([timed, entry])] == ["staff-task-42", "b"]
    response = feed.feed_response(
        feed.make_window("2026-12-01", "2027-01-01"), ["staff"], [timed, entry]
    )
    assert response.media_type == "application/json"
    sent = asyncio.run(sent_body(response))
    # Even without pieces an answer ends with its (empty) body.
    assert asyncio.run(sent_body(feed.PiecesResponse([], "application/json", {}))) == b""
    body = feed.FeedResponse.model_validate_json(sent)  # the documented schema
    assert body.start == datetime(2026, 12, 1, tzinfo=feed.OFFICE_ZONE)
    assert body.modules == ["staff"]
    assert [e.id for e in body.events] == ["staff-task-42", "b"]
    assert json.loads(sent)["events"][0] == entry.to_feed()


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_one_colour_per_module_readable_under_the_text_colour():
    assert set(feed.MODULE_COLOURS) == set(feed.MODULES)
    assert len(set(feed.MODULE_COLOURS.values())) == len(feed.MODULES)
    text = _luminance(feed.TEXT_COLOUR)
    for module, colour in feed.MODULE_COLOURS.items():
        light, dark = sorted((text, _luminance(colour)), reverse=True)
        assert (light + 0.05) / (dark + 0.05) >= 4.5, module  # WCAG AA, normal text
    # Each kind of entry takes its module's colour, whatever its status.
    kinds = {
        "coordination": {feed.EVENT_COLOUR},
        "staff": {feed.TASK_COLOUR, feed.LEAVE_COLOUR},
        "planning": {feed.PPA_COLOUR, feed.MILESTONE_COLOUR, feed.WORKFLOW_STAGE_COLOUR},
        "mana": {feed.ASSESSMENT_COLOUR},
        "resources": {feed.BOOKING_COLOUR},
    }
    assert kinds == {module: {colour} for module, colour in feed.MODULE_COLOURS.items()}


NASTY_TEXTS = [
    "Plain",
    'Quote " backslash \\ slash /',
    "Line\nbreak, tab\t, bell \x07, unit separator \x1f",
    "“Curly” ñ 漢字 😀 </script>",
]


@pytest.mark.parametrize("text", NASTY_TEXTS)
def test_entries_written_by_postgresql_are_those_python_builds(postgres_server, text):
    user, other = uuid.uuid4(), uuid.uuid4()
    first, last = date(2026, 12, 30), date(2027, 1, 2)
    facts = {"ownerIds": [str(user)], "peopleIds": []}
    expected = feed.all_day_entry(
        "staff-task-42",
        text,
        first,
        feed.TASK_COLOUR,
        feed.extended_props(
            "staff",
            "task",
            user,
            "not_started",
            "/x/",
            title=text,
            none=None,
            ids=[str(other), str(user)],
            noIds=[],
            version=3,
            flag="word",
            **facts,
        ),
        last=last,
        description=text,
    ).to_feed()
    entry = feed.sql_all_day_entry(
        feed.sql_entry_id("staff-task-", "42"),
        literal(text),
        literal(first),
        feed.TASK_COLOUR,
        last=literal(last),
        description=literal(text),
    )
    props = feed.sql_extended_props(
        "staff",
        "task",
        literal(user),
        literal("not_started"),
        literal("/x/"),
        title=feed.json_text(literal(text)),
        none=feed.json_word(null()),
        ids=feed.json_ids(literal([other, user], ARRAY(Uuid))),
        noIds=feed.json_ids(literal([], ARRAY(Uuid))),
        version=feed.json_number(literal(3)),
        flag=feed.json_constant("word"),
    )
    statement = select(
        entry.text(),
        props.text(),
        feed.sql_marked_entry(entry, props, literal("the people")),
        # No description: the key is left out, as an empty one.
        feed.sql_all_day_entry(
            literal("a"), literal(text), literal(first), "#000000", description=literal("")
        ).text(),
    )
    engine = create_engine(normalise_url(postgres_server.url("postgres")))
    try:
        with engine.connect() as connection:
            entry_text, props_text, marked, undescribed = connection.execute(statement).one()
    finally:
        engine.dispose()
    encoded_facts = feed.encoded_facts(**facts)
    assert json.loads(feed.entry_bytes(entry_text, props_text, encoded_facts)) == expected
    asked: list[set[str]] = []

    def facts_of(marked_people: Set[str]) -> dict[str, str]:
        asked.append(set(marked_people))
        return {people: "," + encoded_facts[1:-1].decode() for people in marked_people}

    [joined] = feed.with_facts([",".join([marked, marked])], facts_of)
    assert json.loads(b"[" + joined + b"]") == [expected, expected]
    # Asked once for the distinct people of all entries (a service loads their groups in one go).
    assert asked == [{"the people"}]
    # A page's chunks (`page_chunks`): each chunk's entries with facts, every chunk after the
    # first with the comma before it, so that the pieces put together are the events.
    chunked = feed.with_facts([",".join([marked, marked]), marked], facts_of)
    assert len(chunked) == 2
    assert json.loads(b"[" + b"".join(chunked) + b"]") == [expected, expected, expected]
    assert asked == [{"the people"}, {"the people"}]
    # Entries one by one (a service sorting them among others): no commas, facts asked once.
    single = feed.with_facts([marked, marked], facts_of, separated=False)
    assert [json.loads(entry) for entry in single] == [expected, expected]
    assert asked == [{"the people"}, {"the people"}, {"the people"}]
    assert "description" not in json.loads(undescribed)
