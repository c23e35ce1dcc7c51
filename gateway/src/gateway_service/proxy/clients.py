"""One pooled `httpx.AsyncClient` per backend service (keep-alive connections are reused)."""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from datetime import timedelta
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import IO

import httpx
from cachetools import TTLCache

from gateway_service.auth.identity import Identity
from gateway_service.settings import GatewaySettings
from obcms_platform.auth import sign_internal_token
from obcms_platform.errors import ServiceUnavailableError

# Failures that mean "the service is down or too slow", never the caller's fault.
UNAVAILABLE = (httpx.TransportError,)
# For a body the gateway reads itself (feed parts, page data): compressing it in the service
# and inflating it here only costs CPU on both sides of a local hop.
UNCOMPRESSED = {"Accept-Encoding": "identity"}
# A file part of a multipart body: (its name, its content, its declared type).
FilePart = tuple[str, IO[bytes], str]


async def _unbind_stream(response: httpx.Response) -> None:
    """httpx 0.28 binds each response's stream back to the response (for ``elapsed``): the
    cycle keeps the response and its body until a full garbage collection, megabytes after
    a year's feed (encode/httpx#3733). The stream keeps a weak reference instead."""
    stream = response.stream
    if vars(stream).get("_response") is response:
        vars(stream)["_response"] = weakref.proxy(response)


# An idle pooled connection is given up well before the service closes it
# (`obcms_platform.cli.SERVICE_KEEP_ALIVE_SECONDS`), so no request goes out on a
# connection the service is closing (it fails as "unreachable").
KEEPALIVE_EXPIRY_SECONDS = 30.0


class BackendClients:
    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings
        # One connection pool per service, shared by its client and by `forward`.
        self.transports: dict[str, httpx.AsyncHTTPTransport] = {
            name: httpx.AsyncHTTPTransport(
                limits=httpx.Limits(
                    max_connections=200,
                    max_keepalive_connections=50,
                    keepalive_expiry=KEEPALIVE_EXPIRY_SECONDS,
                ),
            )
            for name in settings.deployed_backends()
        }
        self.clients: dict[str, httpx.AsyncClient] = {
            name: httpx.AsyncClient(
                base_url=settings.backend_url(name),
                timeout=httpx.Timeout(
                    settings.backend_timeout(name),
                    connect=min(
                        settings.service_connect_timeout_seconds, settings.backend_timeout(name)
                    ),
                ),
                transport=transport,
                # Shared by every caller: a cookie a service's answer set would be sent with
                # the next caller's requests. Its jar keeps none.
                cookies=CookieJar(DefaultCookiePolicy(allowed_domains=[])),
                follow_redirects=False,
                trust_env=False,
                event_hooks={"response": [_unbind_stream]},
            )
            for name, transport in self.transports.items()
        }
        # A signed token (one per caller and service: its audience is that service alone)
        # is reused for half its life, so a service always gets one with at least half its
        # life left and sees the same token again (it remembers those it has verified).
        self._tokens: TTLCache[tuple[str, Identity], str] = TTLCache(
            maxsize=10_000, ttl=settings.internal_token_ttl_seconds / 2
        )

    def client(self, name: str) -> httpx.AsyncClient:
        try:
            return self.clients[name]
        except KeyError:
            raise ServiceUnavailableError(
                f"the {name} service is not configured on this gateway", field=None
            ) from None

    def internal_headers(self, service: str, identity: Identity) -> dict[str, str]:
        """The Authorization header of `identity`'s requests to `service` (and no other)."""
        token = self._tokens.get((service, identity))
        if token is None:
            token = sign_internal_token(
                self.settings.internal_token_private_key,
                identity.id,
                identity.roles,
                audience=service,
                issuer=self.settings.internal_token_issuer,
                ttl=timedelta(seconds=self.settings.internal_token_ttl_seconds),
            )
            self._tokens[service, identity] = token
        return {"Authorization": f"Bearer {token}"}

    async def forward(
        self,
        service: str,
        method: str,
        target: str,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
    ) -> httpx.Response:
        """Send a caller's request to `service` as it is (`target`: its path and query), its
        answer's body to be read (`aiter_raw`) and closed (`aclose`) by the caller; down -> 503
        naming the service.

        Straight to the service's connection pool: the client's own steps (merging its
        default headers, cookies and parameters, auth, redirects, the cookie jar filled from
        each answer) do nothing for a request forwarded as it came, yet cost about a tenth of
        the gateway's CPU per API request."""
        client = self.client(service)
        url = httpx.URL(target)
        request = httpx.Request(
            method,
            client.base_url.copy_with(
                raw_path=client.base_url.raw_path + url.raw_path.lstrip(b"/")
            ),
            headers=headers,
            content=body,
            extensions={"timeout": client.timeout.as_dict()},
        )
        try:
            return await self.transports[service].handle_async_request(request)
        except UNAVAILABLE as exc:
            raise unavailable(service, exc) from exc

    async def call(
        self,
        service: str,
        method: str,
        path: str,
        identity: Identity,
        *,
        params: httpx.QueryParams | None = None,
        json: object = None,
        files: Mapping[str, FilePart] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """One buffered request to a service as `identity` (pages); down -> 503 naming it.
        `files` makes it a multipart body (an attachment forwarded by its page)."""
        client = self.client(service)
        try:
            return await client.request(
                method,
                path,
                params=params,
                json=json,
                files=files,
                headers={
                    **(headers or {}),
                    **self.internal_headers(service, identity),
                    **UNCOMPRESSED,
                },
            )
        except UNAVAILABLE as exc:
            raise unavailable(service, exc) from exc

    async def open_stream(
        self,
        service: str,
        path: str,
        identity: Identity,
        *,
        params: httpx.QueryParams | None = None,
    ) -> httpx.Response:
        """A GET whose body is read later, chunk by chunk (a file download, an export): the
        caller closes the answer (`aclose`); down -> 503 naming the service."""
        client = self.client(service)
        # Identity encoding: the body goes on to the browser as it comes.
        headers = {**self.internal_headers(service, identity), **UNCOMPRESSED}
        request = client.build_request("GET", path, params=params, headers=headers)
        try:
            return await client.send(request, stream=True)
        except UNAVAILABLE as exc:
            raise unavailable(service, exc) from exc

    async def aclose(self) -> None:
        for client in self.clients.values():
            await client.aclose()  # closes its transport too


def unavailable(service: str, exc: Exception) -> ServiceUnavailableError:
    reason = "timed out" if isinstance(exc, httpx.TimeoutException) else "is unreachable"
    return ServiceUnavailableError(f"the {service} service {reason}; try again shortly", field=None)
