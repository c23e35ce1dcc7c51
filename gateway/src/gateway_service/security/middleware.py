"""HTTPS, host and response-header hardening (Django's SecurityMiddleware counterpart).

Runs inside uvicorn's ProxyHeadersMiddleware, so behind the ingress ``scope["scheme"]`` is
the client's scheme from ``X-Forwarded-Proto`` (trusted proxies only). Probe and scrape
paths skip the host check and the HTTPS redirect: the kubelet and Prometheus call the pod
directly over plain HTTP.

Every answer but a static file gets ``Cache-Control: no-store`` unless its route (or the
service behind the JSON API) chose its own caching: pages, API data and bearer tokens are
one user's, and no browser or proxy cache may keep them for the next person.
"""

from __future__ import annotations

from starlette.datastructures import URL, Headers, MutableHeaders
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.responses import RedirectResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway_service.settings import GatewaySettings

PROBE_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
STATIC_PREFIX = "/static/"
NO_STORE = "no-store"


class SecurityMiddleware:
    def __init__(self, app: ASGIApp, settings: GatewaySettings) -> None:
        self.app = app
        self.settings = settings
        self.headers: dict[str, str] = {
            "X-Content-Type-Options": "nosniff",
            "X-Frame-Options": "DENY",
            "Referrer-Policy": "same-origin",
            "Cross-Origin-Opener-Policy": "same-origin",
            "Content-Security-Policy": settings.content_security_policy,
        }
        hsts = f"max-age={settings.hsts_seconds}"
        if settings.secure_hsts_include_subdomains:
            hsts += "; includeSubDomains"
        self.hsts = hsts if settings.hsts_seconds > 0 else None
        # /metrics on a port of its own (METRICS_PORT) is no probe path of this one.
        self.probe_paths = PROBE_PATHS - ({"/metrics"} if settings.metrics_port else set())
        hosts = settings.allowed_hosts or ["*"]
        self.host_checked = TrustedHostMiddleware(self._secured, allowed_hosts=hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] in self.probe_paths:
            await self._with_headers(scope, receive, send)
            return
        await self.host_checked(scope, receive, send)

    async def _secured(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.settings.ssl_redirect and scope.get("scheme") == "http":
            url = URL(scope=scope).replace(scheme="https")
            response = RedirectResponse(str(url), status_code=308)
            await response(scope, receive, send)
            return
        await self._with_headers(scope, receive, send)

    async def _with_headers(self, scope: Scope, receive: Receive, send: Send) -> None:
        secure = scope.get("scheme") == "https"
        static_file = scope["path"].startswith(STATIC_PREFIX)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                existing = Headers(raw=list(headers.raw))
                for key, value in self.headers.items():
                    if key not in existing:
                        headers.append(key, value)
                if secure and self.hsts and "strict-transport-security" not in existing:
                    headers.append("Strict-Transport-Security", self.hsts)
                if not static_file and "cache-control" not in existing:
                    headers.append("Cache-Control", NO_STORE)
            await send(message)

        await self.app(scope, receive, send_with_headers)
