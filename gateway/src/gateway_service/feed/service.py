"""Aggregation: concurrent fan-out to the services, merge, statistics.

Each source that serves a requested module is asked at once (``asyncio.gather``) for its
part, each bounded by its own timeout (``<SOURCE>_FEED_TIMEOUT_SECONDS``). A source that
is not deployed, refuses the connection, answers anything but 200 with a valid body, or
raises, is reported as ``error``; one slower than its timeout as ``timeout``. Either way
the feed is still served (200) with the other sources' entries.

The merged feed holds at most the ``MAX_FEED_ENTRIES`` setting's entries, the earliest; it
says ``"truncated": true`` when it left some out, or when a source did (at its own cap). A
window longer than the services answer (a subscription's) is asked for in pieces, merged.

Leave entries come from the calendar service as "On leave"; the gateway, which knows the
people, titles them with the person's full name (`LEAVE_TITLE`), looked up after the cache
read (a changed name shows at once) and only for the leave entries served.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any

import msgspec
from starlette.datastructures import State

from gateway_service.auth.identity import Identity
from gateway_service.feed.cache import FeedCache, part_key
from gateway_service.feed.metrics import FEED_CACHE, FEED_SOURCE_DURATION
from gateway_service.feed.sources import (
    ERROR,
    NOT_REQUESTED,
    OK,
    SOURCES,
    TIMEOUT,
    modules_of,
    split_window,
)
from gateway_service.proxy.clients import BackendClients
from gateway_service.users.service import names_by_id, user_ids
from obcms_platform.app import API_PREFIX
from obcms_platform.db import Database
from obcms_platform.feed import OFFICE_ZONE, TimeWindow, limit_headers

if TYPE_CHECKING:
    from typing_extensions import Buffer  # collections.abc's from Python 3.12

logger = logging.getLogger(__name__)

FEED_PATH = f"{API_PREFIX}/feed"
# An entry counts as "completed" in module_stats when its status is one of these: the work
# is done (task, event, milestone, workflow stage, assessment, PPA: `completed`) or the
# request is settled (leave, booking: `approved`; a PPA's approval: `approved`, `enacted`).
COMPLETED_STATUSES = frozenset({"completed", "approved", "enacted"})
LEAVE_ID_PREFIX = "staff-leave-"
LEAVE_TITLE = "{name} \N{EN DASH} on leave"


# Structs without garbage collector tracking (``gc=False``: they hold no cycles): a year's
# thousands of entries are made on every cold answer.
class _Props(msgspec.Struct, gc=False):
    module: str | None = None
    status: str | None = None
    userId: str | None = None  # noqa: N815 - the feed format's name (leave: whose)


class _EntryKeys(msgspec.Struct, gc=False):
    """The fields of an entry the gateway reads; the entry itself passes through as raw JSON
    (never parsed into dicts nor encoded again: a year's feed is megabytes)."""

    id: str
    start: str
    extendedProps: _Props  # noqa: N815 - the feed format's name


class _RawBody(msgspec.Struct):
    events: list[msgspec.Raw]
    truncated: bool = False


class _KeysBody(msgspec.Struct, gc=False):
    events: list[_EntryKeys]


_RAW_DECODER = msgspec.json.Decoder(_RawBody)
_KEYS_DECODER = msgspec.json.Decoder(_KeysBody)


class ReceivedEntry(msgspec.Struct, frozen=True, gc=False):
    """An entry of a source's part: its JSON as received, and what merging and counting read
    (a struct: a frozen dataclass's making was a third of reading a year's parts)."""

    raw: msgspec.Raw
    id: str
    start: datetime
    module: str | None
    status: str | None
    user_id: str | None = None


@dataclass(frozen=True)
class Part:
    """A source's part of the feed: its entries, and whether it left some out (its cap)."""

    entries: list[ReceivedEntry]
    truncated: bool


def parse_part(body: bytes | str) -> Part:
    """A source's feed body (``{"events": [...], "truncated": ..., ...}``); raises
    ValueError when it is not one (not JSON, no ``events`` list, an entry without id, start
    or extendedProps, a start that is not an ISO date or date-time)."""
    try:
        raw_body = _RAW_DECODER.decode(body)
        keys = _KEYS_DECODER.decode(body).events
    except msgspec.DecodeError as exc:
        raise ValueError(f"not a feed body: {exc}") from None
    entries = [
        ReceivedEntry(
            raw,
            key.id,
            _moment(key.start),
            key.extendedProps.module,
            key.extendedProps.status,
            key.extendedProps.userId,
        )
        for raw, key in zip(raw_body.events, keys, strict=True)
    ]
    return Part(entries, raw_body.truncated)


@dataclass
class SourceResult:
    status: str
    entries: list[ReceivedEntry] = field(default_factory=list)
    body: bytes = b""
    truncated: bool = False


@dataclass
class Feed:
    generated_at: datetime
    modules: list[str]
    sources: dict[str, str]
    entries: list[ReceivedEntry]
    module_stats: dict[str, dict[str, int]]
    truncated: bool
    entry_limit: int

    @cached_property
    def _body(self) -> tuple[bytes, int]:
        """The payload and where what follows ``generated_at`` starts in it.

        Entries are the bytes their service wrote (a cached part is the same bytes), so equal
        content is equal bytes. They are copied once, straight into the body (a year's feed
        is megabytes: encoding the content and then joining it to ``generated_at`` copied
        them twice); the ETag hashes the body past ``generated_at``."""
        fields = msgspec.json.encode(
            {
                "modules": self.modules,
                "sources": self.sources,
                "truncated": self.truncated,
                "entry_limit": self.entry_limit,
            }
        )
        head = b"".join(
            (b'{"generated_at":', msgspec.json.encode(self.generated_at.isoformat()), b",")
        )
        chunks: list[Buffer] = [head, memoryview(fields)[1:-1], b',"events":[']
        for index, entry in enumerate(self.entries):
            if index:
                chunks.append(b",")
            chunks.append(entry.raw)
        chunks.extend((b'],"module_stats":', msgspec.json.encode(self.module_stats), b"}"))
        return b"".join(chunks), len(head)

    def body(self) -> bytes:
        """The feed payload (DOMAIN.md) as compact JSON, ``generated_at`` first."""
        return self._body[0]

    def etag(self) -> str:
        """Weak validator of everything but ``generated_at`` (which changes every time)."""
        body, content_start = self._body
        return weak_etag(b"{", memoryview(body)[content_start:])

    def limit_headers(self) -> dict[str, str]:
        return limit_headers(self.truncated, self.entry_limit)

    @property
    def complete(self) -> bool:
        """Every source asked answered (a degraded feed is never kept as a finished answer)."""
        return all(status in (OK, NOT_REQUESTED) for status in self.sources.values())

    def events(self) -> list[dict[str, Any]]:
        """The entries as dicts (for the ICS rendering)."""
        return as_dicts(self.entries)


def weak_etag(*chunks: Buffer) -> str:
    """A weak HTTP validator of content made of `chunks`."""
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return f'W/"{digest.hexdigest()[:32]}"'


def as_dicts(entries: Sequence[ReceivedEntry]) -> list[dict[str, Any]]:
    """`entries` parsed into dicts (the ICS rendering reads every field)."""
    events: list[dict[str, Any]] = msgspec.json.decode(
        msgspec.json.encode([entry.raw for entry in entries])
    )
    return events


@lru_cache(maxsize=4096)
def _moment(value: str) -> datetime:
    """An entry's start or end (ISO date or date-time) as an aware office-time date-time
    (remembered: a year's thousands of entries start on a few hundred days)."""
    parsed = datetime.fromisoformat(value)
    if not isinstance(parsed, datetime) or parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=OFFICE_ZONE)
    return parsed.astimezone(OFFICE_ZONE)


def merge(parts: Sequence[list[ReceivedEntry]]) -> list[ReceivedEntry]:
    """All entries, sorted by start (then id), each id once (the first seen wins)."""
    seen: set[str] = set()
    merged: list[ReceivedEntry] = []
    for entries in parts:
        for entry in entries:
            if entry.id in seen:
                continue
            seen.add(entry.id)
            merged.append(entry)
    merged.sort(key=lambda entry: (entry.start, entry.id))
    return merged


def module_stats(
    entries: Sequence[ReceivedEntry], modules: Sequence[str], today: date
) -> dict[str, dict[str, int]]:
    """Per requested module: ``total`` entries; ``upcoming``: starting today or later
    (office time); ``completed``: status in `COMPLETED_STATUSES`."""
    stats = {name: {"total": 0, "upcoming": 0, "completed": 0} for name in modules}
    for entry in entries:
        counts = stats.get(str(entry.module))
        if counts is None:
            continue
        counts["total"] += 1
        if entry.start.date() >= today:
            counts["upcoming"] += 1
        if entry.status in COMPLETED_STATUSES:
            counts["completed"] += 1
    return stats


# Full names (or user names, for those without one) of gateway users by id string.
NameLookup = Callable[[Collection[str]], Awaitable[dict[str, str]]]


def user_names(database: Database) -> NameLookup:
    """The `NameLookup` of the gateway's users table (one query per call)."""

    def load(ids: set[uuid.UUID]) -> dict[str, str]:
        with database.read_session() as session:
            return {key: names.shown for key, names in names_by_id(session, ids).items()}

    async def lookup(values: Collection[str]) -> dict[str, str]:
        ids = user_ids(values)  # not one of ours: the entry keeps its title
        return await asyncio.to_thread(load, ids) if ids else {}

    return lookup


def _titled(entry: ReceivedEntry, title: str) -> ReceivedEntry:
    fields: dict[str, Any] = msgspec.json.decode(entry.raw)
    fields["title"] = title
    return msgspec.structs.replace(entry, raw=msgspec.Raw(msgspec.json.encode(fields)))


def _combined(statuses: Sequence[str]) -> str:
    """A source's status over the pieces of a window: the first that was not ok, else ok."""
    return next((status for status in statuses if status != OK), OK)


class FeedAggregator:
    def __init__(self, backends: BackendClients, cache: FeedCache, names: NameLookup) -> None:
        self.backends = backends
        self.cache = cache
        self.names = names
        self.settings = backends.settings

    @classmethod
    def for_app(cls, state: State) -> FeedAggregator:
        """The aggregator of the app whose ``app.state`` is `state`."""
        return cls(state.backends, state.feed_cache, user_names(state.database))

    async def _fetch(
        self, source: str, identity: Identity, window: TimeWindow, modules: list[str]
    ) -> SourceResult:
        started = time.perf_counter()
        outcome = ERROR
        try:
            if source not in self.backends.deployed:
                return SourceResult(ERROR)  # not deployed on this gateway
            params = {
                "start": window.start.isoformat(),
                "end": window.end.isoformat(),
                "modules": ",".join(modules),
            }
            timeout = self.settings.feed_timeout(source)
            async with asyncio.timeout(timeout):
                response = await self.backends.call(
                    source,
                    "GET",
                    FEED_PATH,
                    identity,
                    params=params,
                    timeout=timeout,
                )
            if response.status_code != 200:
                logger.warning(
                    "feed source %s answered %s",
                    source,
                    response.status_code,
                    extra={"source": source},
                )
                return SourceResult(ERROR)
            body = response.content
            part = parse_part(body)
            outcome = OK
            return SourceResult(OK, part.entries, body, part.truncated)
        except Exception as exc:  # slow, down, refused, malformed: degrade, never fail the feed
            # The service's own timeout is the cause of the unavailability it raises.
            if isinstance(exc, TimeoutError) or isinstance(exc.__cause__, TimeoutError):
                outcome = TIMEOUT
                logger.warning("feed source %s timed out", source, extra={"source": source})
                return SourceResult(TIMEOUT)
            logger.warning("feed source %s failed: %s", source, exc, extra={"source": source})
            return SourceResult(ERROR)
        finally:
            FEED_SOURCE_DURATION.labels(source, outcome).observe(time.perf_counter() - started)

    async def _parts(
        self,
        identity: Identity,
        window: TimeWindow,
        wanted: dict[str, list[str]],
        generations: Mapping[str, int] | None,
    ) -> dict[str, SourceResult]:
        """The parts of the sources asked (those with `wanted` modules), cached (at
        `generations`; None: uncached) or fetched."""
        asked = [source for source in SOURCES if wanted[source]]
        roles = [role.value for role in identity.roles]
        start, end = window.start.isoformat(), window.end.isoformat()
        keys: dict[str, str] = {}
        if generations is not None:
            for source in asked:
                keys[source] = part_key(
                    source,
                    generations[source],
                    backend_url=self.settings.backend_url(source),
                    start=start,
                    end=end,
                    modules=wanted[source],
                    roles=roles,
                )
        cached = await self.cache.get_many([keys[source] for source in asked if source in keys])
        results: dict[str, SourceResult] = {}
        for source, body in zip([s for s in asked if s in keys], cached, strict=True):
            part = _cached_part(body)
            if part is not None:
                results[source] = SourceResult(OK, part.entries, truncated=part.truncated)
                FEED_CACHE.labels("hit").inc()
            else:
                FEED_CACHE.labels("miss").inc()
        missing = [source for source in asked if source not in results]
        fetched = await asyncio.gather(
            *(self._fetch(source, identity, window, wanted[source]) for source in missing)
        )
        results.update(zip(missing, fetched, strict=True))
        await self.cache.put_many(
            {
                keys[source]: result.body
                for source, result in zip(missing, fetched, strict=True)
                if result.status == OK and source in keys
            }
        )
        return results

    async def _with_names(self, entries: list[ReceivedEntry]) -> list[ReceivedEntry]:
        """`entries` with each leave entry titled by whose leave it is."""
        people = {
            entry.user_id
            for entry in entries
            if entry.id.startswith(LEAVE_ID_PREFIX) and entry.user_id
        }
        if not people:
            return entries
        names = await self.names(people)
        return [
            _titled(entry, LEAVE_TITLE.format(name=names[entry.user_id]))
            if entry.id.startswith(LEAVE_ID_PREFIX) and entry.user_id in names
            else entry
            for entry in entries
        ]

    async def build(
        self,
        identity: Identity,
        window: TimeWindow,
        modules: list[str],
        *,
        max_days: int | None = None,
        generations: Mapping[str, int] | None = None,
    ) -> Feed:
        """The feed of `window` (asked for in pieces of at most `max_days` when given), from
        parts cached at `generations` (read now when not given: a caller keying something
        on them reads them first, so what it stores is never newer than what it read)."""
        wanted = {source: modules_of(source, modules) for source in SOURCES}
        asked = [source for source in SOURCES if wanted[source]]
        if generations is None:
            generations = await self.cache.generations(asked)
        pieces = [window] if max_days is None else split_window(window, max_days)
        parts = await asyncio.gather(
            *(self._parts(identity, piece, wanted, generations) for piece in pieces)
        )
        entries = merge([results[source].entries for results in parts for source in asked])
        limit = self.settings.max_feed_entries
        truncated = len(entries) > limit or any(
            results[source].truncated for results in parts for source in asked
        )
        del entries[limit:]
        entries = await self._with_names(entries)
        now = datetime.now(OFFICE_ZONE).replace(microsecond=0)
        return Feed(
            generated_at=now,
            modules=list(modules),
            sources={
                source: _combined([results[source].status for results in parts])
                if source in asked
                else NOT_REQUESTED
                for source in SOURCES
            },
            entries=entries,
            module_stats=module_stats(entries, modules, now.date()),
            truncated=truncated,
            entry_limit=limit,
        )


def _cached_part(body: bytes | str | None) -> Part | None:
    """A cached part; None when there is none or it is unreadable (refetched)."""
    if body is None:
        return None
    try:
        return parse_part(body)
    except ValueError:
        return None
