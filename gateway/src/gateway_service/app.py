"""The gateway FastAPI app: identity, CSRF, security headers, maintenance, the JSON API
facade, aggregated health and the server-rendered pages.

Built on the services' app factory (error format, /healthz, /readyz, /metrics, access log,
tracing) extended with the gateway's parts; its middleware stack, outermost first:
request telemetry -> gzip -> body size limit -> proxy headers (trusted proxies) -> security
(hosts, HTTPS redirect, headers, no-store) -> maintenance -> CSRF -> feed cache invalidation
on writes -> routes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from gateway_service import pdf
from gateway_service.auth.identity import IdentityCache, LoginRequiredError
from gateway_service.auth.routes import LOGIN_PATH
from gateway_service.auth.routes import router as auth_router
from gateway_service.auth.store import Credentials
from gateway_service.auth.throttle import LoginThrottle
from gateway_service.feed.cache import FeedCache
from gateway_service.feed.invalidation import WriteInvalidationMiddleware
from gateway_service.feed.routes import router as feed_router
from gateway_service.feed.subscriptions import router as subscriptions_router
from gateway_service.health.routes import router as gateway_health_router
from gateway_service.maintenance.middleware import MaintenanceMiddleware
from gateway_service.maintenance.routes import router as maintenance_router
from gateway_service.pages.collaboration import UPLOAD_PATH, accepts_files
from gateway_service.pages.imports import WORKBOOK_PATH, takes_workbook
from gateway_service.pages.notifications import missing_record
from gateway_service.pages.routes import router as pages_router
from gateway_service.proxy.api_docs import router as api_docs_router
from gateway_service.proxy.clients import BackendClients
from gateway_service.proxy.people import PersonFields
from gateway_service.proxy.routes import router as proxy_router
from gateway_service.security.checks import deploy_problems
from gateway_service.security.csrf import csrf_protect
from gateway_service.security.middleware import SecurityMiddleware
from gateway_service.settings import GatewaySettings, get_settings
from gateway_service.static_files import MOUNT as VERSIONED_STATIC
from gateway_service.static_files import VersionedStaticFiles, favicon
from gateway_service.users.bootstrap import bootstrap_admin
from gateway_service.users.passwords import HashingPool
from gateway_service.users.routes import router as users_router
from gateway_service.web import render, wants_json
from obcms_platform.app import create_service_app
from obcms_platform.errors import (
    AppError,
    app_error_response,
    error_response,
    http_error_response,
)
from obcms_platform.settings import InsecureSettingsError, RunMode

logger = logging.getLogger(__name__)


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/") or wants_json(request)


async def _app_error(request: Request, exc: Exception) -> Response:
    """API callers get the error format; people get a page (or the login form)."""
    assert isinstance(exc, AppError)
    if _is_api(request):
        return app_error_response(exc)
    if isinstance(exc, LoginRequiredError):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"{LOGIN_PATH}?next={quote(target)}", status_code=303)
    headers = {"Retry-After": "5"} if exc.status_code == 503 else None
    titles = {403: "Forbidden", 404: "Not found", 503: "Service unavailable"}
    context = {
        "status": exc.status_code,
        "title": titles.get(exc.status_code, "Request failed"),
        "message": exc.message,
    }
    if exc.status_code == 404 and (elsewhere := missing_record(request.url.path)):
        # Most often a link in a message to a record deleted since: say so in words.
        context.update(
            title=f"This {elsewhere.thing} is not here any more",
            message="It may have been deleted or withdrawn, or the link is incomplete.",
            back=(elsewhere.page, f"Open {elsewhere.page_name}"),
        )
    return render(
        request,
        "error.html",
        context,
        status_code=exc.status_code,
        headers=headers,
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    """Unknown pages and wrong methods: a page for people, the error format for the API."""
    assert isinstance(exc, StarletteHTTPException)
    if _is_api(request):
        return http_error_response(exc)
    return render(
        request,
        "error.html",
        {
            "status": exc.status_code,
            "title": "Page not found" if exc.status_code == 404 else "Request failed",
            "message": str(exc.detail),
        },
        status_code=exc.status_code,
        headers=getattr(exc, "headers", None),
    )


async def _redis_down(request: Request, exc: Exception) -> Response:
    logger.warning("redis unavailable: %s", exc)
    return error_response(
        503,
        "service_unavailable",
        "session store unavailable; try again shortly",
        headers={"Retry-After": "5"},
    )


@asynccontextmanager
async def _backends_and_admin(app: FastAPI) -> AsyncIterator[None]:
    settings: GatewaySettings = app.state.settings
    app.state.backends = BackendClients(settings)
    app.state.person_fields = PersonFields(app.state.backends)
    try:
        await asyncio.to_thread(bootstrap_admin, app.state.database, settings)
    except SQLAlchemyError as exc:
        # Not ready yet (database down or not migrated): /readyz tells; the next start
        # bootstraps.
        logger.error("admin bootstrap failed: %s", exc)
    warming = asyncio.create_task(pdf.warm_up(app)) if settings.pdf_warm_up else None
    yield
    if warming is not None:
        warming.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await warming
    await app.state.backends.aclose()
    app.state.password_hashing.shutdown()


def _add_gateway_parts(app: FastAPI, settings: GatewaySettings) -> None:
    """Sessions, identities, throttling and hashing; the page-or-JSON error handlers; static
    files; and the gateway's middleware (inside the platform's), outermost first."""
    redis_client = app.state.redis
    app.state.credentials = Credentials.for_settings(redis_client, settings)
    app.state.sessions = app.state.credentials.sessions
    app.state.feed_cache = FeedCache(redis_client, settings.feed_cache_ttl_seconds)
    app.state.tokens = app.state.credentials.tokens
    app.state.identities = IdentityCache(settings.identity_cache_seconds)
    app.state.login_throttle = LoginThrottle(
        settings.redis_url,
        account_max_failures=settings.login_max_failures,
        address_max_failures=settings.login_address_max_failures,
        window_seconds=settings.login_failure_window_seconds,
    )
    app.state.password_hashing = HashingPool(
        settings.password_hashing_threads, settings.password_hashing_queue
    )
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RedisError, _redis_down)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_route("/favicon.ico", favicon, include_in_schema=False)
    app.mount(VERSIONED_STATIC, VersionedStaticFiles(), name="static-versioned")
    app.mount("/static", StaticFiles(packages=[("gateway_service", "static")]), name="static")
    # Added innermost first: each add_middleware wraps the ones before it.
    app.add_middleware(WriteInvalidationMiddleware)
    app.add_middleware(
        csrf_protect,
        settings=settings,
        login_path=LOGIN_PATH,
        accepts_files=lambda path: accepts_files(path) or takes_workbook(path),
    )
    app.add_middleware(MaintenanceMiddleware, redis=redis_client, settings=settings)
    app.add_middleware(SecurityMiddleware, settings=settings)
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or get_settings()
    if settings.mode is RunMode.PRODUCTION and (problems := deploy_problems(settings)):
        raise InsecureSettingsError("refusing to start in production mode: " + "; ".join(problems))
    settings.configure_password_hashing()
    return create_service_app(
        settings,
        title="OBCMS gateway",
        routers=[
            gateway_health_router,
            auth_router,
            users_router,
            maintenance_router,
            feed_router,
            subscriptions_router,
            # After the gateway's own /api routes (its catch-all must not shadow them), before
            # the pages (none under /api): an API request is then matched without trying the
            # pages' 160 routes first, about 0.8 ms of the gateway's CPU per request.
            api_docs_router,
            proxy_router,
            pages_router,
        ],
        openapi_url="/openapi.json" if settings.serves_api_docs else None,
        interactive_docs=False,  # Swagger UI and ReDoc load scripts from a CDN: the CSP refuses it
        extend=lambda app: _add_gateway_parts(app, settings),
        lifespan=_backends_and_admin,
        # An attachment's upload form, and the import page's workbook.
        upload_pages=re.compile(f"(?:{UPLOAD_PATH.pattern})|(?:{WORKBOOK_PATH.pattern})"),
    )
