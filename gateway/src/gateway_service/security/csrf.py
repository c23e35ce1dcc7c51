"""CSRF double-submit with asgi-csrf (Django-style names).

The signed ``csrftoken`` cookie must be echoed in the ``X-CSRFToken`` header or the
``csrftoken`` form field on every unsafe request made with a session cookie. Requests without
one (an anonymous login POST, such as the guide's curl smoke test) and
``Authorization: Bearer`` API calls are exempt: a cross-site forgery rides on the victim's
session cookie, and a bearer token is never sent by a browser on its own.
"""

from __future__ import annotations

from typing import Any

from asgi_csrf import asgi_csrf, cookies_from_scope
from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway_service.settings import GatewaySettings
from obcms_platform.app import API_PREFIX
from obcms_platform.errors import error_response

SESSION_COOKIE = GatewaySettings.session_cookie_name
ROUTE_HOLDER = "obcms.route"
API_PATHS = f"{API_PREFIX}/"

CSRF_MESSAGE = (
    "CSRF verification failed: send the csrftoken cookie's value in the X-CSRFToken header "
    "or the csrftoken form field"
)


async def _csrf_failed(scope: Scope, send: Send, message_id: Any) -> None:
    headers = dict(scope.get("headers") or [])
    accept = headers.get(b"accept", b"").decode("latin-1")
    if scope["path"].startswith("/api/") or "application/json" in accept:
        response: Response = error_response(403, "csrf_failed", CSRF_MESSAGE)
    else:
        response = HTMLResponse(
            f"<!doctype html><title>Forbidden</title><h1>403 Forbidden</h1><p>{CSRF_MESSAGE}."
            " Reload the page and try again.</p>",
            status_code=403,
        )

    async def no_body() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    await response(scope, no_body, send)


def _without_session(scope: Scope) -> bool:
    return SESSION_COOKIE not in cookies_from_scope(scope)


def csrf_protect(app: ASGIApp, settings: GatewaySettings) -> ASGIApp:
    """`app` behind asgi-csrf.

    asgi-csrf hands the app a copy of the scope; the route the router matched is copied back
    so that the request metrics outside still label by route template.
    """

    async def record_route(scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await app(scope, receive, send)
        finally:
            holder = scope.get(ROUTE_HOLDER)
            if holder is not None and "route" in scope:
                holder["route"] = scope["route"]

    protected: ASGIApp = asgi_csrf(
        record_route,
        signing_secret=settings.secret_key,
        cookie_secure=settings.secure_csrf_cookie,
        cookie_samesite="Lax",
        send_csrf_failed=_csrf_failed,
        skip_if_scope=_without_session,
    )

    async def csrf_app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await protected(scope, receive, send)
            return
        if scope["path"].startswith(API_PATHS) and _without_session(scope):
            # Exempt anyway, and no page of the JSON API renders a token: asgi-csrf would
            # only sign a fresh one for nothing.
            await app(scope, receive, send)
            return
        holder: dict[str, Any] = {}
        scope[ROUTE_HOLDER] = holder
        try:
            await protected(scope, receive, send)
        finally:
            if "route" in holder:
                scope["route"] = holder["route"]

    return csrf_app
