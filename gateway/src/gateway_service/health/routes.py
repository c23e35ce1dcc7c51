"""``GET /health/``: the deployment guide's health shape plus each backend's readiness.

``{"status": "healthy"|"unhealthy", "database": "ok"|"error", "cache": "ok"|"error",
"services": {"tasks": "ok"|"error", ...}}``; 200 when everything is ok, else 503. All checks
run concurrently, each with a short timeout.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from gateway_service.proxy.clients import BackendClients
from gateway_service.settings import GatewaySettings
from obcms_platform.db import Database

router = APIRouter(tags=["operations"])
logger = logging.getLogger(__name__)


class Health(BaseModel):
    status: str
    database: str
    cache: str
    services: dict[str, str]


async def _ok(check: Awaitable[object], timeout: float, what: str) -> str:
    try:
        await asyncio.wait_for(check, timeout=timeout)
    except Exception as exc:  # any failure is "error"
        logger.warning("health check %s failed: %s: %s", what, type(exc).__name__, exc)
        return "error"
    return "ok"


async def _database(database: Database) -> None:
    await asyncio.to_thread(database.ping)


async def _cache(request: Request) -> None:
    key = f"gateway:health:{secrets.token_hex(8)}"
    redis = request.app.state.redis
    await redis.set(key, "ok", ex=10)
    value = await redis.get(key)
    await redis.delete(key)
    if value not in (b"ok", "ok"):
        raise RuntimeError("cache read back a different value")


@router.get("/health/", response_model=Health, responses={503: {"model": Health}})
async def health(request: Request) -> JSONResponse:
    settings: GatewaySettings = request.app.state.settings
    backends: BackendClients = request.app.state.backends
    timeout = settings.health_check_timeout_seconds
    names = backends.deployed
    results = await asyncio.gather(
        _ok(_database(request.app.state.database), timeout, "database"),
        _ok(_cache(request), timeout, "cache"),
        *(_ok(backends.ready(name, timeout), timeout, name) for name in names),
    )
    database, cache, *services = results
    healthy = all(result == "ok" for result in results)
    body = Health(
        status="healthy" if healthy else "unhealthy",
        database=database,
        cache=cache,
        services=dict(zip(names, services, strict=True)),
    )
    return JSONResponse(body.model_dump(), status_code=200 if healthy else 503)
