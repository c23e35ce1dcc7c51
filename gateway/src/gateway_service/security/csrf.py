"""CSRF double-submit with asgi-csrf (Django-style names).

The signed ``csrftoken`` cookie must be echoed in the ``X-CSRFToken`` header or the
``csrftoken`` form field on every unsafe request made with a session cookie, and on the login
form POST of a browser (login CSRF: a forged form would sign the victim in as the attacker).
Exempt: ``Authorization: Bearer <token>`` API calls (a browser never sends one on its own;
a blank or malformed bearer header does not count) and requests without a session cookie
outside the login form. A login POST that carries nothing a browser sends (no cookie,
``Origin``, ``Referer`` or ``Sec-Fetch-Site``), such as the guide's curl smoke test, is
exempt too: every browser marks a cross-site form POST with ``Origin``, so such a request
cannot be forged through a victim's browser.

The token is rotated at login (`rotate_csrf_token`): one planted before sign-in is useless.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from asgi_csrf import (
    DEFAULT_COOKIE_NAME,
    DEFAULT_SIGNING_NAMESPACE,
    asgi_csrf,
    cookies_from_scope,
    make_secret,
)
from itsdangerous.url_safe import URLSafeSerializer
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway_service.auth.identity import bearer_token
from gateway_service.security.forms import readable_forms, uploads_restored
from gateway_service.settings import GatewaySettings
from obcms_platform.app import API_PREFIX
from obcms_platform.errors import error_response

SESSION_COOKIE = GatewaySettings.session_cookie_name
ROUTE_HOLDER = "obcms.route"
API_PATHS = f"{API_PREFIX}/"
# Headers only a browser adds on its own (a script such as curl sends none of them).
BROWSER_HEADERS = frozenset({b"cookie", b"origin", b"referer", b"sec-fetch-site"})

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


def _from_a_browser(scope: Scope) -> bool:
    return any(name in BROWSER_HEADERS for name, _ in scope.get("headers") or [])


def _drop_unusable_bearer(scope: Scope) -> None:
    """Remove an ``Authorization`` header that holds no usable bearer token.

    asgi-csrf skips its check for any header starting ``Bearer ``, while the identity then
    falls back to the session cookie: a blank token (``Bearer \\xa0``) made a cookie request
    exempt. Without the header the request is what it is: cookie-authenticated, CSRF check
    included.
    """
    headers = scope.get("headers") or []
    if (
        any(name == b"authorization" for name, _ in headers)
        and bearer_token(Request(scope)) is None
    ):
        scope["headers"] = [(name, value) for name, value in headers if name != b"authorization"]


def rotate_csrf_token(response: Response, settings: GatewaySettings) -> None:
    """Give the browser a new signed ``csrftoken`` cookie (asgi-csrf's format and attributes)."""
    token = URLSafeSerializer(settings.secret_key).dumps(make_secret(16), DEFAULT_SIGNING_NAMESPACE)
    response.set_cookie(
        DEFAULT_COOKIE_NAME,
        token,
        path="/",
        secure=settings.secure_csrf_cookie,
        samesite="lax",
    )


def csrf_protect(
    app: ASGIApp,
    settings: GatewaySettings,
    login_path: str,
    accepts_files: Callable[[str], bool] = lambda path: False,
) -> ASGIApp:
    """`app` behind asgi-csrf; `accepts_files(path)`: the page route at `path` takes a file
    (see `readable_forms`).

    asgi-csrf hands the app a copy of the scope; the route the router matched is copied back
    so that the request metrics outside still label by route template.
    """
    routes = uploads_restored(app)

    async def record_route(scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await routes(scope, receive, send)
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
        # The login form is checked even without any cookie (a browser's first visit).
        always_protect={login_path},
        skip_if_scope=lambda scope: scope["path"] != login_path and _without_session(scope),
    )

    # asgi-csrf fails on form bodies it cannot read: it is given only readable ones.
    protected = readable_forms(protected, accepts_files)

    def exempt(scope: Scope) -> bool:
        if scope["path"] == login_path:
            return scope["method"] == "POST" and not _from_a_browser(scope)
        # No page of the JSON API renders a token: asgi-csrf would only sign one for nothing.
        return scope["path"].startswith(API_PATHS) and _without_session(scope)

    async def csrf_app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # lifespan: nothing to check
            await app(scope, receive, send)
            return
        _drop_unusable_bearer(scope)
        if exempt(scope):
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
