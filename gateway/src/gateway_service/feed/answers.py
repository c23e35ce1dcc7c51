"""The feed's HTTP answers: validators, 304s, and finished answers served as they were sent.

A feed answer carries a weak ETag of its content and ``Cache-Control: private, no-cache``:
browsers revalidate every time and get 304 while nothing changed.

A complete answer (every source asked answered) is kept in Redis as it is sent: its headers
and its body per content-encoding (identity, and gzip, compressed once when stored, when the
GZip middleware would have compressed it: at least ``GZIP_MINIMUM_SIZE``), under a
key of the generations it was built from and the request's shape (`cache.answer_key`). A
warm load reads the generations (one round trip), then the stored headers, and either
answers 304 from the stored ETag (without reading the body, asking a backend or compressing)
or sends the stored bytes for the encoding the client takes. A gzip body goes out with its
``Content-Encoding``, which the gateway's GZip middleware passes through untouched. An answer
larger than ``FEED_ANSWER_MAX_BYTES`` is not stored (its parts still are).
"""

from __future__ import annotations

import asyncio
import gzip
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
from obcms_platform.compression import GZIP_MINIMUM_SIZE
from obcms_platform.feed import OFFICE_ZONE, TimeWindow

CACHE_CONTROL = "private, no-cache"
# An answer that is stored is compressed once and sent many times: at zlib's default level,
# whose body is a quarter smaller than the GZip middleware's (`obcms_platform.compression`).
STORED_GZIP_LEVEL = 6
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
    """What is stored beside the bodies: the validator, the 200's headers as sent and the
    encodings it is stored in."""

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


async def _stored(request: Request, cache: FeedCache, key: str) -> Response | None:
    """The stored answer under `key` for this request (304 or the bytes); None: not stored."""
    encoding = accepted_encoding(request)
    revalidating = "if-none-match" in request.headers
    stored = await cache.answer(key, encoding, with_body=not revalidating)
    if stored is None:
        return None
    meta = _META_DECODER.decode(stored.meta)
    if etag_matches(request, meta.etag):
        return _not_modified(meta)
    if encoding not in meta.encodings:
        encoding = IDENTITY
    body = stored.body if stored.body is not None else await cache.answer_body(key, encoding)
    return None if body is None else _sent(meta, body, encoding)


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
    bodies = {IDENTITY: rendered.body}
    if len(rendered.body) >= GZIP_MINIMUM_SIZE:
        bodies[GZIP] = await asyncio.to_thread(
            gzip.compress, rendered.body, compresslevel=STORED_GZIP_LEVEL, mtime=0
        )
    response = Response(rendered.body, media_type=rendered.media_type)
    response.headers.update(
        {"ETag": rendered.etag, "Cache-Control": CACHE_CONTROL, "Vary": "Cookie, Authorization"}
    )
    response.headers.update(rendered.headers)
    meta = _Meta(
        rendered.etag,
        {name: value for name, value in response.headers.items() if name != "content-length"},
        list(bodies),
    )
    await cache.put_answer(key, msgspec.json.encode(meta), bodies)
    if etag_matches(request, meta.etag):
        return _not_modified(meta)
    encoding = accepted_encoding(request)
    if encoding not in bodies:
        encoding = IDENTITY
    return _sent(meta, bodies[encoding], encoding)
