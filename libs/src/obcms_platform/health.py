"""Liveness and readiness: /healthz (no dependencies) and /readyz (database and Redis)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

ReadinessCheck = Callable[[Request], Awaitable[None]]

CHECK_TIMEOUT_SECONDS = 3.0


class Liveness(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    checks: dict[str, str]
    failed: list[str]


async def check_database(request: Request) -> None:
    await asyncio.to_thread(request.app.state.database.ping)


async def check_redis(request: Request) -> None:
    await request.app.state.redis.ping()


DEFAULT_CHECKS: dict[str, ReadinessCheck] = {"database": check_database, "redis": check_redis}


def health_router(checks: dict[str, ReadinessCheck] | None = None) -> APIRouter:
    readiness_checks = DEFAULT_CHECKS if checks is None else checks
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", response_model=Liveness)
    async def healthz() -> Liveness:
        return Liveness(status="ok")

    @router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}})
    async def readyz(request: Request) -> JSONResponse:
        async def run(name: str, check: ReadinessCheck) -> tuple[str, str]:
            try:
                await asyncio.wait_for(check(request), timeout=CHECK_TIMEOUT_SECONDS)
            except Exception as exc:  # any failure means "not ready"
                return name, f"error: {type(exc).__name__}: {exc}"[:300]
            return name, "ok"

        results = dict(await asyncio.gather(*(run(n, c) for n, c in readiness_checks.items())))
        failed = sorted(name for name, result in results.items() if result != "ok")
        body = Readiness(status="unavailable" if failed else "ok", checks=results, failed=failed)
        return JSONResponse(body.model_dump(), status_code=503 if failed else 200)

    return router
