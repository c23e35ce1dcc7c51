"""One connection pool per backend service (keep-alive connections are reused), and the
gateway's requests to the services sent through it."""

from __future__ import annotations

from collections.abc import KeysView, Mapping
from datetime import timedelta
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


# An idle pooled connection is given up well before the service closes it
# (`obcms_platform.cli.SERVICE_KEEP_ALIVE_SECONDS`), so no request goes out on a
# connection the service is closing (it fails as "unreachable").
KEEPALIVE_EXPIRY_SECONDS = 30.0


class BackendClients:
    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings
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
        self.base_urls = {name: httpx.URL(settings.backend_url(name)) for name in self.transports}
        self.timeouts = {
            name: httpx.Timeout(
                settings.backend_timeout(name),
                connect=min(
                    settings.service_connect_timeout_seconds, settings.backend_timeout(name)
                ),
            )
            for name in self.transports
        }
        # A signed token (one per caller and service: its audience is that service alone)
        # is reused for half its life, so a service always gets one with at least half its
        # life left and sees the same token again (it remembers those it has verified).
        self._tokens: TTLCache[tuple[str, Identity], str] = TTLCache(
            maxsize=10_000, ttl=settings.internal_token_ttl_seconds / 2
        )

    @property
    def deployed(self) -> KeysView[str]:
        """The services this gateway sends requests to."""
        return self.transports.keys()

    def _base_url(self, name: str) -> httpx.URL:
        try:
            return self.base_urls[name]
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

    def _request(
        self,
        service: str,
        method: str,
        target: str,
        headers: list[tuple[bytes, bytes]] | Mapping[str, str],
        *,
        params: httpx.QueryParams | Mapping[str, str] | None = None,
        content: bytes | None = None,
        json: object = None,
        files: Mapping[str, FilePart] | None = None,
        timeout: httpx.Timeout | None = None,
    ) -> httpx.Request:
        """A request to `service` for `target` (a path, with its query when `params` is
        None), with `service`'s base URL and its timeouts (or `timeout`)."""
        base_url = self._base_url(service)
        url = httpx.URL(target)
        return httpx.Request(
            method,
            base_url.copy_with(raw_path=base_url.raw_path + url.raw_path.lstrip(b"/")),
            params=params,
            headers=headers,
            content=content,
            json=json,
            files=files,
            extensions={"timeout": (timeout or self.timeouts[service]).as_dict()},
        )

    async def _send(self, service: str, request: httpx.Request, *, stream: bool) -> httpx.Response:
        """`request` sent straight to `service`'s connection pool; its answer read whole
        unless `stream` (then the caller reads it and closes it); down -> 503 naming it.

        Not through an `httpx.AsyncClient`: a client's own steps (merging its default
        headers, cookies and parameters, auth, redirects, the cookie jar filled from each
        answer) do nothing for the gateway's requests, yet cost about a tenth of the
        gateway's CPU per API request. Read through a client, a cold year feed's parts (2 MB)
        also came to memory mapped afresh every time: 1,150 page faults per answer, none
        this way (gateway CPU per cold year feed 29.8 -> 27.3 ms, median of 16 A/B runs)."""
        try:
            response = await self.transports[service].handle_async_request(request)
        except UNAVAILABLE as exc:
            raise unavailable(service, exc) from exc
        response.request = request
        if not stream:
            try:
                await response.aread()
            except UNAVAILABLE as exc:
                raise unavailable(service, exc) from exc
            finally:
                await response.aclose()
        return response

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
        naming the service."""
        request = self._request(service, method, target, headers, content=body)
        return await self._send(service, request, stream=True)

    async def call(
        self,
        service: str,
        method: str,
        path: str,
        identity: Identity,
        *,
        params: httpx.QueryParams | Mapping[str, str] | None = None,
        json: object = None,
        files: Mapping[str, FilePart] | None = None,
        headers: dict[str, str] | None = None,
        timeout: httpx.Timeout | None = None,
    ) -> httpx.Response:
        """One request to a service as `identity`, its answer uncompressed and read whole
        (pages, feed parts) within `timeout` (default: the service's); down -> 503 naming it.
        `files` makes it a multipart body (an attachment forwarded by its page)."""
        request = self._request(
            service,
            method,
            path,
            {**(headers or {}), **self.internal_headers(service, identity), **UNCOMPRESSED},
            params=params,
            json=json,
            files=files,
            timeout=timeout,
        )
        return await self._send(service, request, stream=False)

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
        # Identity encoding: the body goes on to the browser as it comes.
        headers = {**self.internal_headers(service, identity), **UNCOMPRESSED}
        request = self._request(service, "GET", path, headers, params=params)
        return await self._send(service, request, stream=True)

    async def ready(self, service: str, timeout: float) -> None:
        """Raises unless `service` answers its readiness probe with a success within
        `timeout` seconds."""
        request = self._request(service, "GET", "/readyz", {}, timeout=httpx.Timeout(timeout))
        (await self._send(service, request, stream=False)).raise_for_status()

    async def aclose(self) -> None:
        for transport in self.transports.values():
            await transport.aclose()


def unavailable(service: str, exc: Exception) -> ServiceUnavailableError:
    reason = "timed out" if isinstance(exc, httpx.TimeoutException) else "is unreachable"
    return ServiceUnavailableError(f"the {service} service {reason}; try again shortly", field=None)
