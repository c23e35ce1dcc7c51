"""The service app factory: one place wires every mechanism into a FastAPI app."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager

import redis.asyncio as aioredis
from fastapi import APIRouter, FastAPI
from fastapi.middleware.gzip import GZipMiddleware

from obcms_platform.auth import InternalTokenVerifier
from obcms_platform.db import Database
from obcms_platform.errors import install_error_handlers
from obcms_platform.health import health_router
from obcms_platform.limits import BodySizeLimitMiddleware
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
# gzip level of responses: zlib's default. Starlette's 9 spends about three times the CPU
# on a month's calendar feed (114 kB) for 3% fewer bytes (bench/REPORT.md).
GZIP_LEVEL = 6


@contextmanager
def frozen_startup_heap() -> Iterator[None]:
    """While the app runs, what starting allocated (modules, schemas, routes) is out of the
    garbage collector's reach.

    A full collection then scans only what requests left behind: without this it walks every
    object of the process and pauses the worker for tens of milliseconds (about 90 ms in the
    tasks service on the 2-core bench machine), a p99 spike each time. Unfrozen at shutdown,
    so a test process that starts many apps can still collect the ones it dropped.
    """
    gc.collect()
    gc.freeze()
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
) -> FastAPI:
    """Build a service: its routers, plus health, metrics, errors and tracing.

    Metrics are served at /metrics, or with ``settings.metrics_port`` on that port only.

    Routers carry their full path prefix (``API_PREFIX`` + resource): FastAPI reports the
    route template of a request without include-time prefixes, and metrics label by it.
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
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        logger.info("starting %s", service, extra={"settings": settings.for_logging()})
        with metrics_server(settings.metrics_port), frozen_startup_heap():
            yield
        await redis_client.aclose()
        database.dispose()

    app = FastAPI(title=title, version=version, lifespan=lifespan)
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
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=GZIP_LEVEL)
    app.add_middleware(RequestTelemetryMiddleware, service=service)
    instrument_app(app, database.engine, service)
    return app
