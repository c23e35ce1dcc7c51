"""The feed's HTTP answers: validators, 304s, and finished answers served as they were sent.

A feed answer carries a weak ETag of its content and ``Cache-Control: private, no-cache``:
browsers revalidate every time and get 304 while nothing changed.

A complete answer (every source asked answered) is kept in Redis as it is sent: its headers
and its body, gzip-compressed once (`obcms_platform.compression.stored_gzip`) when the GZip
middleware would have compressed it (at least ``GZIP_MINIMUM_SIZE``), else as it is, under a
key of the generations it was built from and the request's shape (`cache.answer_key`). A
warm load reads the generations (one round trip), then the stored headers and body (one
more), and either answers 304 from the stored ETag (without reading the body, asking a
backend or compressing) or sends the stored bytes. A gzip body goes out with its
``Content-Encoding``, which the gateway's GZip middleware passes through untouched; the rare
client that does not take gzip gets it decompressed. (Only one body is stored: the plain
body is 7 times the compressed one, and every byte stored is written to Redis's append-only
file.) An answer larger than ``FEED_ANSWER_MAX_BYTES`` is not stored (its parts still are).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from gateway_service.auth.identity import Identity
from gateway_service.feed.cache import PEOPLE, FeedCache, answer_key
from gateway_service.feed.metrics import FEED_ANSWER_CACHE, FEED_CACHE
from gateway_service.feed.service import Feed, FeedAggregator
from gateway_service.feed.sources import SOURCES, modules_of
from gateway_service.settings import GatewaySettings
from obcms_platform.compression import (
    GZIP_MINIMUM_SIZE,
    THREAD_MINIMUM_SIZE,
    gunzip,
    stored_gzip,
)
from obcms_platform.feed import OFFICE_ZONE, TimeWindow

CACHE_CONTROL = "private, no-cache"
IDENTITY, GZIP = "identity", "gzip"
# The headers of a 200 that a 304 does not repeat (it has no body).
_BODY_HEADERS = frozenset({"content-type", "content-length", "content-encoding"})


def etag_matches(request: Request, etag: str) -> bool:
    header = request.headers.get("if-none-match")
    if not header:
        return False
    wanted = etag.removeprefix("W/")
    tags = [tag.strip() for tag in header.split(",")]
    return any(tag == "*" or tag.removeprefix("W/") == wanted for tag in tags)


def conditional(request: Request, etag: str, body: bytes, media_type: str) -> Response:
    """`body` with its validator, or 304 when the client's ``If-None-Match`` names it."""
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL, "Vary": "Cookie, Authorization"}
    if etag_matches(request, etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


def accepted_encoding(request: Request) -> str:
    """gzip when the client takes it, by the same test as the GZip middleware's."""
    return GZIP if GZIP in request.headers.get("accept-encoding", "") else IDENTITY


@dataclass(frozen=True)
class Rendered:
    """A feed rendered for the client: its body, validator and the headers it goes with
    (``X-Feed-*``, ``Content-Disposition``)."""

    body: bytes
    etag: str
    media_type: str
    headers: dict[str, str]

    def response(self, request: Request) -> Response:
        response = conditional(request, self.etag, self.body, self.media_type)
        response.headers.update(self.headers)
        return response


class _Meta(msgspec.Struct):
    """What is stored beside the body: the validator, the 200's headers as sent and the
    encoding the body is stored in (a list: gateways of an older release, which read it
    during a rolling upgrade, stored one body per encoding)."""

    etag: str
    headers: dict[str, str]
    encodings: list[str]


_META_DECODER = msgspec.json.Decoder(_Meta)


def _not_modified(meta: _Meta) -> Response:
    headers = {name: value for name, value in meta.headers.items() if name not in _BODY_HEADERS}
    return Response(status_code=304, headers=headers)


def _sent(meta: _Meta, body: bytes, encoding: str) -> Response:
    response = Response(body, headers=meta.headers)
    if encoding == GZIP:
        # Set here, the GZip middleware leaves the answer alone (and adds no Vary itself).
        response.headers["Content-Encoding"] = GZIP
        response.headers.add_vary_header("Accept-Encoding")
    return response


async def _off_the_loop_when_large(transform: Callable[[bytes], bytes], body: bytes) -> bytes:
    """`transform(body)`, in a worker thread when `body` is large (as the GZip middleware
    does: below `THREAD_MINIMUM_SIZE` the thread hop costs more than it saves)."""
    if len(body) >= THREAD_MINIMUM_SIZE:
        return await asyncio.to_thread(transform, body)
    return transform(body)


async def _stored(request: Request, cache: FeedCache, key: str) -> Response | None:
    """The stored answer under `key` for this request (304 or the bytes); None: not stored."""
    takes_gzip = accepted_encoding(request) == GZIP
    revalidating = "if-none-match" in request.headers
    stored = await cache.answer(key, [GZIP, IDENTITY], with_body=not revalidating)
    if stored is None:
        return None
    meta = _META_DECODER.decode(stored.meta)
    if etag_matches(request, meta.etag):
        return _not_modified(meta)
    if stored.body is None:  # revalidated with another ETag: the body is wanted after all
        stored = await cache.answer(key, [GZIP, IDENTITY], with_body=True)
    body, encoding = (stored.body, stored.encoding) if stored is not None else (None, None)
    if body is None:
        return None
    if encoding == GZIP and not takes_gzip:
        return _sent(meta, await _off_the_loop_when_large(gunzip, body), IDENTITY)
    return _sent(meta, body, encoding or IDENTITY)


def _shape(
    settings: GatewaySettings,
    identity: Identity,
    window: TimeWindow,
    modules: Sequence[str],
    asked: Sequence[str],
    variant: Sequence[str],
) -> list[str]:
    """What an answer depends on besides its sources' data: the window and modules; the
    roles (as the parts' keys); the backends and the entry cap (gateways with other
    settings may share Redis); today in office time (``module_stats``' ``upcoming``); and
    the format's own (`variant`: ICS names the host in each UID)."""
    return [
        window.start.isoformat(),
        window.end.isoformat(),
        ",".join(modules),
        ",".join(sorted(role.value for role in identity.roles)),
        *(settings.backend_url(source) for source in asked),
        str(settings.max_feed_entries),
        datetime.now(OFFICE_ZONE).date().isoformat(),
        *variant,
    ]


async def feed_answer(
    request: Request,
    identity: Identity,
    window: TimeWindow,
    modules: list[str],
    *,
    variant: Sequence[str],
    render: Callable[[Feed], Rendered],
) -> Response:
    """The feed of `window` and `modules` rendered by `render` (its format named in
    `variant`), from the stored answer when there is one, else built (and stored when
    complete)."""
    aggregator = FeedAggregator.for_app(request.app.state)
    settings: GatewaySettings = request.app.state.settings
    cache = aggregator.cache
    asked = [source for source in SOURCES if modules_of(source, modules)]
    generations = await cache.generations([*asked, PEOPLE])
    key = None
    if generations is not None:
        key = answer_key(generations, _shape(settings, identity, window, modules, asked, variant))
        answer = await _stored(request, cache, key)
        if answer is not None:
            FEED_ANSWER_CACHE.labels("hit").inc()
            FEED_CACHE.labels("hit").inc(len(asked))  # every part came from the cache
            return answer
        FEED_ANSWER_CACHE.labels("miss").inc()
    feed = await aggregator.build(identity, window, modules, generations=generations)
    rendered = render(feed)
    if key is None or not feed.complete or len(rendered.body) > settings.feed_answer_max_bytes:
        # Sent once: the GZip middleware compresses it as it does every answer.
        return rendered.response(request)
    stored_encoding = GZIP if len(rendered.body) >= GZIP_MINIMUM_SIZE else IDENTITY
    stored_body = (
        await _off_the_loop_when_large(stored_gzip, rendered.body)
        if stored_encoding == GZIP
        else rendered.body
    )
    response = Response(rendered.body, media_type=rendered.media_type)
    response.headers.update(
        {"ETag": rendered.etag, "Cache-Control": CACHE_CONTROL, "Vary": "Cookie, Authorization"}
    )
    response.headers.update(rendered.headers)
    meta = _Meta(
        rendered.etag,
        {name: value for name, value in response.headers.items() if name != "content-length"},
        [stored_encoding],
    )
    await cache.put_answer(key, msgspec.json.encode(meta), {stored_encoding: stored_body})
    if etag_matches(request, meta.etag):
        return _not_modified(meta)
    if stored_encoding == GZIP and accepted_encoding(request) == GZIP:
        return _sent(meta, stored_body, GZIP)
    return _sent(meta, rendered.body, IDENTITY)
