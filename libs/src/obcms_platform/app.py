"""The service app factory: one place wires every mechanism into a FastAPI app."""

from __future__ import annotations

import gc
import logging
import re
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager, nullcontext

import redis.asyncio as aioredis
from fastapi import APIRouter, FastAPI

from obcms_platform.auth import InternalTokenVerifier
from obcms_platform.compression import AnswerGZipMiddleware
from obcms_platform.db import Database
from obcms_platform.errors import install_error_handlers
from obcms_platform.health import health_router
from obcms_platform.heap import QuietTrimMiddleware, freeze_startup_heap
from obcms_platform.limits import BodySizeLimitMiddleware, UploadLimit
from obcms_platform.logging import configure_logging
from obcms_platform.metrics import (
    RequestTelemetryMiddleware,
    instrument_engine,
    metrics_router,
    metrics_server,
)
from obcms_platform.settings import ServiceSettings
from obcms_platform.telemetry import instrument_app

logger = logging.getLogger(__name__)

# Every public service route lives under this prefix; the gateway proxies it unchanged.
API_PREFIX = "/api/v1"

AppLifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


@contextmanager
def frozen_startup_heap() -> Iterator[None]:
    """While the app runs, what starting allocated is out of the garbage collector's reach
    (`freeze_startup_heap`: no p99 spike from a full collection). Unfrozen at shutdown, so a
    test process that starts many apps can still collect the ones it dropped.

    A process whose heap is frozen already is left as it is, and is not unfrozen: the test
    session freezes its imports once (the root conftest), where the full collection before
    each in-process app's freeze walked the whole test process, most of a test's setup.
    """
    if gc.get_freeze_count():
        yield
        return
    freeze_startup_heap()
    try:
        yield
    finally:
        gc.unfreeze()


def create_service_app(
    settings: ServiceSettings,
    *,
    title: str,
    routers: Sequence[APIRouter],
    version: str = "0.1.0",
    openapi_url: str | None = "/openapi.json",
    interactive_docs: bool = True,
    extend: Callable[[FastAPI], None] | None = None,
    lifespan: AppLifespan | None = None,
    upload_pages: re.Pattern[str] | None = None,
) -> FastAPI:
    """Build a service: its routers, plus health, metrics, errors and tracing.

    Metrics are served at /metrics, or with ``settings.metrics_port`` on that port only.

    Routers carry their full path prefix (``API_PREFIX`` + resource): FastAPI reports the
    route template of a request without include-time prefixes, and metrics label by it.

    An app that is more than a service (the gateway) adds its parts without the services
    paying for them: `extend` runs once the state (settings, database, redis), the error
    handlers and the routers are in place, and may add state, handlers, mounts and
    middleware (which runs inside the platform's telemetry, gzip and body size limit);
    `lifespan` runs inside the platform's, while the database and Redis are open.
    `interactive_docs=False` drops /docs and /redoc; `openapi_url=None` the schema too.
    `upload_pages` matches the app's page routes taking an attachment's file (the gateway's
    forms): their bodies may be as large as an upload to the API.
    """
    service = settings.service_name
    configure_logging(service, settings.log_level)
    database = Database(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        statement_timeout_ms=settings.db_statement_timeout_ms,
        application_name=service,
    )
    instrument_engine(database.engine, service)
    redis_client = aioredis.from_url(
        settings.redis_url, socket_connect_timeout=2, socket_timeout=2, health_check_interval=30
    )

    @asynccontextmanager
    async def platform_lifespan(app: FastAPI) -> AsyncIterator[None]:
        logger.info("starting %s", service, extra={"settings": settings.for_logging()})
        async with lifespan(app) if lifespan else nullcontext():
            with metrics_server(settings.metrics_port), frozen_startup_heap():
                yield
        await redis_client.aclose()
        database.dispose()

    app = FastAPI(
        title=title,
        version=version,
        lifespan=platform_lifespan,
        openapi_url=openapi_url,
        docs_url="/docs" if interactive_docs else None,
        redoc_url="/redoc" if interactive_docs else None,
    )
    app.state.settings = settings
    app.state.database = database
    app.state.redis = redis_client
    app.state.token_verifier = InternalTokenVerifier(
        settings.internal_token_public_key,
        audience=service,
        issuer=settings.internal_token_issuer,
    )
    install_error_handlers(app)
    app.include_router(health_router())
    if not settings.metrics_port:
        app.include_router(metrics_router)
    for router in routers:
        app.include_router(router)
    if extend:
        extend(app)
    app.add_middleware(
        BodySizeLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        upload=UploadLimit.uploads(API_PREFIX, settings.attachment_max_bytes, pages=upload_pages),
    )
    app.add_middleware(AnswerGZipMiddleware)
    app.add_middleware(RequestTelemetryMiddleware, service=service)
    app.add_middleware(QuietTrimMiddleware)
    instrument_app(app, database.engine, service)
    return app
