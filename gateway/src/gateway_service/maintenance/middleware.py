"""Maintenance mode: 503 with a friendly page (or JSON error under /api/) and Retry-After.

Probes, metrics, the aggregated health, the maintenance switch itself and the token endpoint
(so an operator can obtain a token to switch maintenance off) stay available.
"""

from __future__ import annotations

import redis.asyncio as aioredis
from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway_service.maintenance.service import current_state
from gateway_service.settings import GatewaySettings
from gateway_service.web import templates
from obcms_platform.app import API_PREFIX
from obcms_platform.errors import error_response

MAINTENANCE_PATH = f"{API_PREFIX}/admin/maintenance"
EXEMPT_PATHS = frozenset(
    {"/healthz", "/readyz", "/metrics", "/health/", MAINTENANCE_PATH, f"{API_PREFIX}/auth/token"}
)
EXEMPT_PREFIXES = ("/static/",)


class MaintenanceMiddleware:
    def __init__(self, app: ASGIApp, redis: aioredis.Redis, settings: GatewaySettings) -> None:
        self.app = app
        self.redis = redis
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path in EXEMPT_PATHS or path.startswith(EXEMPT_PREFIXES):
            await self.app(scope, receive, send)
            return
        state = await current_state(self.redis, self.settings)
        if not state.enabled:
            await self.app(scope, receive, send)
            return
        headers = {"Retry-After": str(self.settings.maintenance_retry_after_seconds)}
        if path.startswith("/api/"):
            response: Response = error_response(
                503, "maintenance", f"Scheduled maintenance: {state.message}", headers=headers
            )
        else:
            page = templates.get_template("maintenance.html").render(message=state.message)
            response = HTMLResponse(page, status_code=503, headers=headers)
        await response(scope, receive, send)
