"""The calendar feed mechanism shared by the services (DOMAIN.md, "The calendar feed").

Each service serves its part of the feed at ``GET /api/v1/feed?start=…&end=…&modules=…``;
the gateway calls them concurrently and merges the entries. This module is the one copy of
what those endpoints share:

- the entry format (`FeedEntry`, `ExtendedProps`, `FeedResponse`: the documented schema,
  with an optional ``location`` and ``description`` that `obcms_platform.ics` writes) and
  `Entry`, a feed entry with typed times, and
  `feed_response`, the endpoint's JSON body written straight from the entries: a year's
  feed is thousands of entries, and a Pydantic model per entry and per ``extendedProps``
  was about half of the endpoint's CPU;
- the entry cap: one answer holds at most the ``MAX_FEED_ENTRIES`` setting's entries
  (`FeedLimit`), the earliest (`earliest`); the body says ``"truncated"`` and
  ``"entry_limit"``, the headers ``X-Feed-Truncated`` and ``X-Feed-Limit`` (`limit_headers`),
  so one user's records cannot make everyone's calendar arbitrarily heavy;
- the module names and their colours (one per module);
- the window (`TimeWindow`, `parse_moment`, `make_window`, the `FeedWindow` dependency):
  ISO dates or date-times, naive ones in the office's zone (Asia/Manila), ``end`` after
  ``start``, at most the ``MAX_FEED_WINDOW_DAYS`` setting's days (default
  `MAX_WINDOW_DAYS`); no window: the current month ±1 month;
- the ``modules`` parameter (`parse_modules`, the `served_modules` dependency factory): a
  comma-separated list of known modules, unknown ones refused with 422 naming ``modules``;
  asking a service for a module another service serves is no error (it is just not served).
"""

from __future__ import annotations

import heapq
import uuid
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence, Set
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from operator import itemgetter
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo

import msgspec
from fastapi import Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    Row,
    Text,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    select,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql import Select
from starlette.types import Receive, Scope, Send

from obcms_platform.authz import Ownership
from obcms_platform.errors import InvalidInputError
from obcms_platform.schemas import EARLIEST_DATE, LATEST_DATE
from obcms_platform.settings import ServiceSettings
from obcms_platform.zones import OFFICE_TIMEZONE as OFFICE_TIMEZONE
from obcms_platform.zones import OFFICE_ZONE as OFFICE_ZONE

# --- modules ------------------------------------------------------------------------------

MODULE_COORDINATION = "coordination"  # calendar events (calendar service)
MODULE_STAFF = "staff"  # tasks (tasks service), staff leave (calendar service)
MODULE_PLANNING = "planning"  # PPA dates, milestones, budget workflow stages (portfolio)
MODULE_MANA = "mana"  # assessments (portfolio service)
MODULE_RESOURCES = "resources"  # bookings (calendar service)
MODULES: tuple[str, ...] = (
    MODULE_COORDINATION,
    MODULE_STAFF,
    MODULE_PLANNING,
    MODULE_MANA,
    MODULE_RESOURCES,
)

# --- colours (background; border the same) ------------------------------------------------

# Colour means module only (the calendar's legend); status shows by a second cue on the page
# (struck through, dashed, a check mark). The near-white text on every module colour meets
# WCAG AA for normal text (at least 4.5:1: 4.9, 5.4, 5.2, 4.8 and 5.8 in this order).
TEXT_COLOUR = "#f9fafb"
MODULE_COLOURS: dict[str, str] = {
    MODULE_COORDINATION: "#2563eb",
    MODULE_STAFF: "#7c3aed",
    MODULE_PLANNING: "#0f766e",
    MODULE_MANA: "#b45309",
    MODULE_RESOURCES: "#be185d",
}
# By kind of entry, for the services' feeds.
EVENT_COLOUR = MODULE_COLOURS[MODULE_COORDINATION]
TASK_COLOUR = LEAVE_COLOUR = MODULE_COLOURS[MODULE_STAFF]
PPA_COLOUR = MILESTONE_COLOUR = WORKFLOW_STAGE_COLOUR = MODULE_COLOURS[MODULE_PLANNING]
ASSESSMENT_COLOUR = MODULE_COLOURS[MODULE_MANA]
BOOKING_COLOUR = MODULE_COLOURS[MODULE_RESOURCES]

# --- the entry format ---------------------------------------------------------------------


class ExtendedProps(BaseModel):
    """The common keys, typed; each module adds its own (``priority``, ``eventType``, …) as
    extra keys in the feed's camelCase. Keys whose value is None are left out of the JSON.
    (The schema; entries carry theirs as the dict `extended_props` makes.)"""

    model_config = ConfigDict(extra="allow")

    module: str
    category: str
    objectId: str  # noqa: N815 - the feed format's name
    status: str
    url: str


class FeedEntry(BaseModel):
    id: str
    title: str
    start: str  # ISO date (all-day) or date-time with offset
    end: str  # exclusive
    allDay: bool  # noqa: N815 - the feed format's name
    backgroundColor: str  # noqa: N815
    borderColor: str  # noqa: N815
    textColor: str  # noqa: N815
    extendedProps: ExtendedProps  # noqa: N815
    # Where and what, for calendar clients (ICS LOCATION and DESCRIPTION); left out if empty.
    location: str | None = None
    description: str | None = None


class FeedResponse(BaseModel):
    start: datetime
    end: datetime
    modules: list[str]
    truncated: bool  # more entries than `entry_limit` were in the window: the latest left out
    entry_limit: int
    events: list[FeedEntry]


# --- the window ---------------------------------------------------------------------------

MAX_WINDOW_DAYS = 400


@dataclass(frozen=True)
class TimeWindow:
    start: datetime  # aware
    end: datetime  # aware, exclusive

    def days(self) -> tuple[date, date]:
        """The first and last office-local day the window touches (both inclusive): the
        bounds for all-day entries, which are in the window when they touch one of them."""
        first = self.start.astimezone(OFFICE_ZONE).date()
        last = (self.end - timedelta(microseconds=1)).astimezone(OFFICE_ZONE).date()
        return first, last


def parse_moment(value: str, name: str) -> datetime:
    """An ISO date or date-time (naive: office time); a '+' of an offset decoded to a space
    is put back."""
    text = value.strip()
    if "T" in text and " " in text:
        text = text.replace(" ", "+")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInputError(
            f"{name}: expected an ISO 8601 date or date-time such as 2026-11-01 or "
            "2026-11-01T00:00:00+08:00",
            field=name,
        ) from None
    if not EARLIEST_DATE <= moment.date() <= LATEST_DATE:
        raise InvalidInputError(
            f"{name}: must be between {EARLIEST_DATE} and {LATEST_DATE}", field=name
        )
    return moment if moment.tzinfo else moment.replace(tzinfo=OFFICE_ZONE)


def _month_start(day: date, months: int) -> datetime:
    """Midnight (office time) of the first day of the month `months` after `day`'s."""
    index = day.year * 12 + day.month - 1 + months
    return datetime.combine(date(index // 12, index % 12 + 1, 1), time.min, OFFICE_ZONE)


def make_window(
    start: str | None,
    end: str | None,
    *,
    months_before: int = 1,
    months_after: int = 2,
    max_days: int = MAX_WINDOW_DAYS,
) -> TimeWindow:
    """The window of ``?start=…&end=…``: both or neither (then from the first of the month
    `months_before` months back to the first of the month `months_after` months ahead); a
    longer one than `max_days` is refused, so a request's work stays bounded."""
    if (start is None) != (end is None):
        missing = "end" if end is None else "start"
        raise InvalidInputError(f"{missing}: give both start and end, or neither", field=missing)
    if start is None or end is None:
        today = datetime.now(UTC).astimezone(OFFICE_ZONE).date()
        return TimeWindow(_month_start(today, -months_before), _month_start(today, months_after))
    window = TimeWindow(parse_moment(start, "start"), parse_moment(end, "end"))
    if window.end <= window.start:
        raise InvalidInputError("end: must be after start", field="end")
    if window.end - window.start > timedelta(days=max_days):
        raise InvalidInputError(f"end: the window may span at most {max_days} days", field="end")
    return window


StartParam = Annotated[
    str | None, Query(description="window start (ISO date or date-time; local office time)")
]
EndParam = Annotated[str | None, Query(description="window end, exclusive")]


def max_window_days(request: Request) -> int:
    """The app's ``MAX_FEED_WINDOW_DAYS`` setting."""
    days: int = request.app.state.settings.max_feed_window_days
    return days


async def feed_window(
    request: Request, start: StartParam = None, end: EndParam = None
) -> TimeWindow:
    """No window: the current month ±1 month."""
    return make_window(
        start, end, months_before=1, months_after=2, max_days=max_window_days(request)
    )


FeedWindow = Annotated[TimeWindow, Depends(feed_window)]

# --- the entry cap ------------------------------------------------------------------------

MAX_ENTRIES: int = ServiceSettings.model_fields["max_feed_entries"].default
TRUNCATED_HEADER = "X-Feed-Truncated"
LIMIT_HEADER = "X-Feed-Limit"

T = TypeVar("T")


async def max_feed_entries(request: Request) -> int:
    """The app's ``MAX_FEED_ENTRIES`` setting (async: FastAPI runs a plain function's
    dependency in the thread pool, a hop costing more than reading the setting)."""
    entries: int = request.app.state.settings.max_feed_entries
    return entries


FeedLimit = Annotated[int, Depends(max_feed_entries)]


def earliest(items: Iterable[T], limit: int, key: Callable[[T], Any]) -> tuple[list[T], bool]:
    """The first `limit` items by `key`, sorted, and whether there were more (holding at
    most `limit` + 1 of them at a time)."""
    kept = heapq.nsmallest(limit + 1, items, key=key)
    return kept[:limit], len(kept) > limit


def limit_headers(truncated: bool, limit: int) -> dict[str, str]:
    """The headers declaring a feed answer's cap and whether it cut the answer short."""
    return {TRUNCATED_HEADER: "true" if truncated else "false", LIMIT_HEADER: str(limit)}


# --- the modules parameter ----------------------------------------------------------------

ModulesParam = Annotated[
    str | None,
    Query(
        max_length=200,
        description=f"comma-separated modules ({', '.join(MODULES)}); default: all this "
        "service serves",
    ),
]


def parse_modules(value: str | None, served: Sequence[str]) -> list[str]:
    """The modules asked for that this service serves (in `served` order); all of `served`
    when none are asked for. Unknown names: 422 naming ``modules``."""
    names = {name.strip() for name in (value or "").split(",") if name.strip()}
    if not names:
        return list(served)
    unknown = sorted(names - set(MODULES))
    if unknown:
        raise InvalidInputError(
            f"modules: unknown module(s) {', '.join(unknown)}; known: {', '.join(MODULES)}",
            field="modules",
        )
    return [name for name in served if name in names]


def served_modules(*served: str) -> Callable[[str | None], Awaitable[list[str]]]:
    """A dependency reading ``?modules=`` for a service serving `served`::

    Modules = Annotated[list[str], Depends(served_modules(MODULE_PLANNING, MODULE_MANA))]
    """
    unknown = set(served) - set(MODULES)
    if unknown or not served:
        raise ValueError(f"served modules must be some of {MODULES}, not {sorted(unknown)}")

    async def modules(modules: ModulesParam = None) -> list[str]:
        return parse_modules(modules, served)

    return modules


# --- entries ------------------------------------------------------------------------------


def _iso(value: datetime | date, zone: ZoneInfo) -> str:
    if isinstance(value, datetime):
        return value.astimezone(zone).isoformat()
    return value.isoformat()


@dataclass(frozen=True)
class Entry:
    """A feed entry with typed times (for JSON and ICS alike). All-day entries have dates,
    ``end`` exclusive; timed entries aware date-times, rendered in `zone`."""

    id: str
    title: str
    start: datetime | date
    end: datetime | date
    all_day: bool
    colour: str
    props: dict[str, Any]  # `extended_props`
    zone: ZoneInfo = OFFICE_ZONE
    description: str = ""
    location: str = ""

    def to_feed(self) -> dict[str, Any]:
        """The entry in the feed format (`FeedEntry`)."""
        entry: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "start": _iso(self.start, self.zone),
            "end": _iso(self.end, self.zone),
            "allDay": self.all_day,
            "backgroundColor": self.colour,
            "borderColor": self.colour,
            "textColor": TEXT_COLOUR,
            "extendedProps": self.props,
        }
        if self.location:
            entry["location"] = self.location
        if self.description:
            entry["description"] = self.description
        return entry

    def sort_key(self) -> tuple[str, str]:
        """By local start (all-day entries at the start of their day), then id."""
        if isinstance(self.start, datetime):
            return _iso(self.start, self.zone)[:19], self.id
        return self.start.isoformat(), self.id


def all_day_entry(
    entry_id: str,
    title: str,
    first: date,
    colour: str,
    props: dict[str, Any],
    *,
    last: date | None = None,
    description: str = "",
) -> Entry:
    """An all-day entry from `first` to `last` (inclusive; default: `first`)."""
    return Entry(
        id=entry_id,
        title=title,
        start=first,
        end=(last or first) + timedelta(days=1),
        all_day=True,
        colour=colour,
        props=props,
        description=description,
    )


def extended_props(
    module: str, category: str, object_id: object, status: str, url: str, **extra: Any
) -> dict[str, Any]:
    """An entry's ``extendedProps`` (`ExtendedProps`) with the module's extra keys in the
    feed's camelCase (None values are dropped)."""
    props: dict[str, Any] = {
        "module": module,
        "category": category,
        "objectId": str(object_id),
        "status": status,
        "url": url,
    }
    props.update((key, value) for key, value in extra.items() if value is not None)
    return props


def user_ids(*people: uuid.UUID | Iterable[uuid.UUID] | None) -> list[str]:
    """The distinct users among `people` (ids, groups of ids, None) as sorted strings: an
    entry's ``ownerIds`` and ``peopleIds``."""
    return sorted(str(user) for user in Ownership.of(*people).owners)


_ENCODER = msgspec.json.Encoder()


def sorted_entries(entries: Iterable[Entry]) -> list[Entry]:
    return sorted(entries, key=Entry.sort_key)


def feed_response(
    window: TimeWindow,
    modules: Sequence[str],
    entries: Iterable[Entry],
    *,
    limit: int = MAX_ENTRIES,
) -> Response:
    """The endpoint's answer (`FeedResponse`): the window, the modules served, the first
    `limit` entries sorted, and whether there were more.

    Each entry is encoded as it comes and only its bytes are kept until the body is written:
    with `entries` an iterator over streamed rows, a year's thousands of entries never all
    exist as objects at once (at x100, 20 year feeds two at a time left a tasks worker
    8-13 MB above its idle size instead of 22-25)."""
    return page_response(window, modules, page_of(encoded_entries(entries), limit), limit=limit)


# An encoded entry: its `Entry.sort_key` and its JSON.
EncodedEntry = tuple[tuple[str, str], bytes]


def encoded_entries(entries: Iterable[Entry]) -> Iterator[EncodedEntry]:
    """Each entry's JSON with its sort key, encoded as it comes."""
    return ((entry.sort_key(), _ENCODER.encode(entry.to_feed())) for entry in entries)


@dataclass(frozen=True)
class FeedPage:
    """The entries of an answer, sorted: their JSON, comma-separated, in pieces (the
    ``events`` array's contents are the pieces put together; none when there are no
    entries), and whether some were left out (the entry cap)."""

    events: list[bytes]
    truncated: bool


def page_of(entries: Iterable[EncodedEntry], limit: int) -> FeedPage:
    """The first `limit` of `entries` by sort key."""
    kept, truncated = earliest(entries, limit, key=itemgetter(0))
    return FeedPage([b",".join(chunk for _, chunk in kept)] if kept else [], truncated)


class PiecesResponse(Response):
    """A response whose body is sent as the pieces it is made of, never joined: a year's
    feed page is megabytes, and one body would be one more copy of it in memory."""

    def __init__(self, pieces: list[bytes], media_type: str, headers: Mapping[str, str]) -> None:
        self.pieces = pieces
        super().__init__(b"", media_type=media_type, headers=headers)
        self.headers["content-length"] = str(sum(map(len, pieces)))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        pieces = self.pieces or [b""]  # an answer ends with a body message, even an empty one
        last = len(pieces) - 1
        for index, piece in enumerate(pieces):
            await send({"type": "http.response.body", "body": piece, "more_body": index < last})


def page_response(
    window: TimeWindow, modules: Sequence[str], page: FeedPage, *, limit: int = MAX_ENTRIES
) -> Response:
    """The endpoint's answer (`FeedResponse`) holding `page`: its events sent as they are,
    between the fields before and the brackets after (`PiecesResponse`)."""
    fields = _ENCODER.encode(
        {
            "start": window.start.isoformat(),
            "end": window.end.isoformat(),
            "modules": list(modules),
            "truncated": page.truncated,
            "entry_limit": limit,
        }
    )
    return PiecesResponse(
        [fields[:-1] + b',"events":[', *page.events, b"]}"],
        media_type="application/json",
        headers=limit_headers(page.truncated, limit),
    )


# --- entries written by PostgreSQL --------------------------------------------------------

# A year's feed is thousands of entries. Built in Python, each cost tens of µs (a row, UUIDs
# made and turned back into strings, two dicts, the encoding); written by PostgreSQL in the
# query that finds them, the service only joins bytes. They are written as text pieces
# joined in one ``concat`` (`SqlObject`): well under a µs per entry, where
# `json_build_object` took 5 and `json_strip_nulls` (to leave nulls out) 4 more. Only what
# a person typed is escaped (`json_text`); ids, dates, numbers and enum values have nothing
# to escape (`json_word`).
# These mirror `Entry.to_feed` and `extended_props` key by key: nulls are left out (as
# `extended_props` drops None), an empty description too. Only who may change a record
# (``ownerIds``, ``peopleIds``) is not written there: it is the service's authz rule, in
# Python, computed once per distinct group of people and spliced in (`entry_bytes`).

# A column or SQL expression.
SqlValue = ColumnElement[Any] | QueryableAttribute[Any]


def _text(value: str) -> ColumnElement[str]:
    """A constant written into the statement's text, not a bound parameter: an entries
    statement holds a hundred of them, and as parameters they made its text longer than
    psycopg caches the parsing of (4 kB), so it was parsed again, and their values built
    into a dict again, on every execution."""
    return literal_column("'" + value.replace("'", "''") + "'", Text)


def json_text(value: SqlValue) -> ColumnElement[str]:
    """`value` (text a person wrote, a date) as JSON, escaped; NULL stays NULL."""
    return cast(func.to_json(value), Text)


def json_word(value: SqlValue) -> ColumnElement[str]:
    """`value` as a JSON string, for text with nothing to escape (an id, an enum value, a
    path of them); NULL stays NULL."""
    return _text('"').concat(cast(value, Text)).concat(_text('"'))


def json_number(value: SqlValue) -> ColumnElement[str]:
    """An integer column as JSON; NULL stays NULL."""
    return cast(value, Text)


def json_ids(ids: SqlValue) -> ColumnElement[str]:
    """An array of UUIDs as a JSON array of strings, in its order."""
    return case(
        (func.cardinality(ids) == 0, _text("[]")),
        else_=_text('["').concat(func.array_to_string(ids, _text('","'))).concat(_text('"]')),
    )


def json_moment(value: SqlValue, zone: SqlValue | str) -> ColumnElement[str]:
    """A ``timestamptz`` as the JSON string `Entry.to_feed` writes: its ISO date-time in
    `zone` (a zone name, or a column of them) with that zone's offset then (microseconds
    and offset seconds only when not zero, as `datetime.isoformat`)."""
    zone_name = _text(zone) if isinstance(zone, str) else zone
    local = func.timezone(zone_name, value)
    offset = local - func.timezone(_text("UTC"), value)
    size = case((offset < literal_column("interval '0'"), -offset), else_=offset)
    return func.concat(
        _text('"'),
        func.to_char(local, _text('YYYY-MM-DD"T"HH24:MI:SS')),
        case(
            (
                cast(func.date_part(_text("microseconds"), local), Integer)
                % literal_column("1000000")
                != literal_column("0"),
                func.to_char(local, _text(".US")),
            )
        ),
        case((offset < literal_column("interval '0'"), _text("-")), else_=_text("+")),
        func.to_char(size, _text("HH24:MI")),
        case(
            (
                func.date_part(_text("seconds"), size) != literal_column("0"),
                func.to_char(size, _text(":SS")),
            )
        ),
        _text('"'),
    )


def local_start(value: SqlValue, zone: SqlValue | str) -> ColumnElement[str]:
    """A ``timestamptz``'s `Entry.sort_key` text: its ISO date-time in `zone`, to the second."""
    zone_name = _text(zone) if isinstance(zone, str) else zone
    return func.to_char(func.timezone(zone_name, value), _text('YYYY-MM-DD"T"HH24:MI:SS'))


def json_constant(value: str | bool) -> ColumnElement[str]:
    """A constant as JSON."""
    return _text(_ENCODER.encode(value).decode())


@dataclass(frozen=True)
class SqlObject:
    """A JSON object PostgreSQL writes: its fields' JSON text (`json_text`, ...) by key, in
    order; those that are NULL are left out (the first must never be)."""

    fields: dict[str, ColumnElement[str]]

    def members(self) -> list[ColumnElement[str]]:
        """The ``"key":value`` pieces between the braces (each NULL when its value is)."""
        return [
            _text(("," if index else "") + _ENCODER.encode(key).decode() + ":").concat(value)
            for index, (key, value) in enumerate(self.fields.items())
        ]

    def text(self) -> ColumnElement[str]:
        """The object as JSON text (one ``concat``, which skips the NULL pieces)."""
        return func.concat(_text("{"), *self.members(), _text("}"))


def sql_extended_props(
    module: str,
    category: str,
    object_id: SqlValue,
    status: SqlValue,
    url: SqlValue,
    **extra: ColumnElement[str],
) -> SqlObject:
    """`extended_props` of a row; `extra` as JSON text (`json_word`, ...)."""
    return SqlObject(
        dict(
            module=json_constant(module),
            category=json_constant(category),
            objectId=json_word(object_id),
            status=json_word(status),
            url=json_word(url),
            **extra,
        )
    )


def sql_all_day_entry(
    entry_id: SqlValue,
    title: SqlValue,
    first: SqlValue,
    colour: str,
    *,
    last: SqlValue | None = None,
    description: SqlValue | None = None,
) -> SqlObject:
    """`all_day_entry(...).to_feed()` without its ``extendedProps`` (`sql_marked_entry` or
    `entry_bytes` add them): from `first` to `last` (inclusive; default: `first`)."""
    end = (first if last is None else last) + literal_column("1")
    fields = {
        "id": json_word(entry_id),
        "title": json_text(title),
        "start": json_text(first),
        "end": json_text(end),
        "allDay": json_constant(True),
        "backgroundColor": json_constant(colour),
        "borderColor": json_constant(colour),
        "textColor": json_constant(TEXT_COLOUR),
    }
    if description is not None:
        fields["description"] = json_text(func.nullif(description, ""))
    return SqlObject(fields)


def sql_entry_id(prefix: str, *parts: SqlValue | str) -> ColumnElement[str]:
    """An entry id (or path): `prefix` and `parts` (ids, words) joined as text."""
    joined: ColumnElement[str] = _text(prefix)
    for part in parts:
        joined = joined.concat(_text(part) if isinstance(part, str) else cast(part, Text))
    return joined


# The window's first and last office-local days (`TimeWindow.days`) and the rows to read, as
# bound parameters: an entries statement is built once (its expressions are hundreds of
# SQLAlchemy objects, whose building and cache key cost more than the query) and executed
# with `window_parameters`.
FIRST_DAY = bindparam("first_day", type_=Date)
LAST_DAY = bindparam("last_day", type_=Date)
ROWS = bindparam("rows", type_=Integer)


def window_parameters(window: TimeWindow, limit: int) -> dict[str, Any]:
    """The values of `FIRST_DAY`, `LAST_DAY` and `ROWS` (`limit` + 1: one more than an
    answer holds tells it is truncated)."""
    first, last = window.days()
    return {"first_day": first, "last_day": last, "rows": limit + 1}


# Where an entry written by PostgreSQL takes the facts of its people (`sql_marked_entry`):
# a control character, which JSON text never holds unescaped.
_MARK = "\x01"


def sql_marked_entry(entry: SqlObject, props: SqlObject, people: SqlValue) -> ColumnElement[str]:
    """`entry` with its ``extendedProps`` `props`, and `people` (text naming whose facts its
    ``extendedProps`` end with) marked where those go (`with_facts` puts them there), as
    JSON text written in one ``concat`` (cutting the brace off a written object with
    ``left(text, -1)`` cost more than writing it)."""
    return func.concat(
        _text("{"),
        *entry.members(),
        _text(',"extendedProps":{'),
        *props.members(),
        _text(_MARK),
        people,
        _text(_MARK + "}}"),
    )


# `sql_joined_page` joins a page's entries by chunks of this many: PostgreSQL built and sent a
# whole year's entries as one text (1.6 MB at ref) at three times the cost of the entries
# themselves (each copy of it went to memory freshly mapped, page by page); texts of a few
# dozen entries stay in memory it reuses, and the service joins the chunks.
PAGE_CHUNK_ENTRIES = 64


def sql_joined_page(entries: Select[Any], rank: ColumnElement[Any]) -> Select[Any]:
    """The first `ROWS` - 1 of `entries` (one column: `sql_marked_entry`s or texts like them,
    `rank` their ``row_number()`` in order) joined by commas in that order, in chunks of
    `PAGE_CHUNK_ENTRIES` (rows in order), with how many of them each chunk found (in all at
    most `ROWS`: more than `ROWS` - 1, the page is truncated). `page_chunks` reads them."""
    page = entries.add_columns(rank.label("rank")).limit(ROWS).subquery()
    entry, ranked = page.c[0], page.c.rank
    chunk = (
        (ranked - literal_column("1")).self_group().op("/")(literal_column(str(PAGE_CHUNK_ENTRIES)))
    )
    return (
        select(
            func.count(),
            func.string_agg(entry, aggregate_order_by(literal_column("','"), ranked)).filter(
                ranked < ROWS
            ),
        )
        .group_by(chunk)
        .order_by(chunk)
    )


def page_chunks(rows: Iterable[Row[int, str | None]]) -> tuple[int, list[str]]:
    """How many entries `sql_joined_page`'s rows found, and their chunks of the page in order
    (each its entries joined by commas; `with_facts` joins the chunks)."""
    found = 0
    texts: list[str] = []
    for count, text in rows:
        found += count
        if text is not None:  # a chunk of the one entry past the page only
            texts.append(text)
    return found, texts


def with_facts(
    chunks: Sequence[str],
    facts: Callable[[Set[str]], Mapping[str, str]],
    *,
    separated: bool = True,
) -> list[bytes]:
    """Chunks of marked entries (`sql_marked_entry`, each chunk's entries joined by commas)
    with each mark replaced by the facts of its people (``,"ownerIds":[...],...``), encoded
    chunk by chunk: the pieces of a `FeedPage`'s events (`separated`: every piece after the
    first starts with the comma that separates it from the one before), or, not
    `separated`, entries encoded one by one (a service that sorts them among others).
    `facts` is asked once, with every distinct marked text, for the facts of each: a service
    loads the groups they name (teams, owners) in one go, for the entries found, not the
    window again.

    Split at the marks, every other piece is a marked text: a third cheaper than a regular
    expression's substitution, a match object and a call per entry. A chunk's pieces are
    dropped once it is encoded, and the chunks are never joined into one text: a year's page
    is megabytes, and each whole copy of it was megabytes of memory more (and mapped afresh,
    page by page)."""
    split = [chunk.split(_MARK) for chunk in chunks]
    found = facts({marked for pieces in split for marked in pieces[1::2]})
    encoded: list[bytes] = []
    for index, pieces in enumerate(split):
        pieces[1::2] = map(found.__getitem__, pieces[1::2])
        if separated and index:
            pieces.insert(0, ",")
        encoded.append("".join(pieces).encode())
        split[index] = []
    return encoded


def entry_bytes(entry: str, props: str, facts: bytes = b"{}") -> bytes:
    """The entry (`sql_all_day_entry`'s JSON) with its ``extendedProps`` (`sql_extended_props`'
    JSON, with the keys of the JSON object `facts` added)."""
    more = b"," + facts[1:-1] if len(facts) > 2 else b""
    return b"".join(
        (
            entry[:-1].encode(),
            b',"extendedProps":',
            props[:-1].encode(),
            more,
            b"}}",
        )
    )


def encoded_facts(**facts: Any) -> bytes:
    """Keys of an entry's ``extendedProps`` as a JSON object (for `entry_bytes`)."""
    return _ENCODER.encode(facts)
