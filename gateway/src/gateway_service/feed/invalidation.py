"""Bump the feed cache generation when the gateway forwards a successful write.

Pure ASGI (no buffering): on an unsafe request whose response status is 2xx or 3xx (a page
form redirects after success), the owning source's generation is bumped *before* the
response starts, so the caller's next feed load already misses the old cache. Bus events
do the same for changes made elsewhere (another replica, a worker, a generated task).
A write to the gateway's own accounts may rename someone, whose leave entries the finished
answers title: it bumps ``people``.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway_service.feed.cache import PEOPLE, FeedCache
from gateway_service.feed.sources import SOURCES
from gateway_service.proxy.routes import service_for
from obcms_platform.app import API_PREFIX

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# Writes that never change the feed: identity, sessions, maintenance.
NO_FEED_PREFIXES = (
    "/accounts/",
    f"{API_PREFIX}/auth/",
    f"{API_PREFIX}/users",
    f"{API_PREFIX}/admin/",
)
# Writes that may change a user's name (the API's and the account pages').
NAME_PREFIXES = (f"{API_PREFIX}/users", "/accounts/me/", "/accounts/people/")


def generations_for_write(path: str) -> tuple[str, ...]:
    if path.startswith(NAME_PREFIXES):
        return (PEOPLE,)
    if path.startswith(NO_FEED_PREFIXES):
        return ()
    if path.startswith(f"{API_PREFIX}/"):
        service = service_for(path)
        return (service,) if service in SOURCES else ()
    return SOURCES  # a page form: it may write to any service


class WriteInvalidationMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        sources = generations_for_write(scope["path"])
        cache: FeedCache | None = getattr(scope["app"].state, "feed_cache", None)
        if not sources or cache is None:
            await self.app(scope, receive, send)
            return

        async def send_after_bump(message: Message) -> None:
            if message["type"] == "http.response.start" and 200 <= message["status"] < 400:
                await cache.bump(sources)
            await send(message)

        await self.app(scope, receive, send_after_bump)
