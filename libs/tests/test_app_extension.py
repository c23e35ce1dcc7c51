"""An app that needs more than a service (the gateway) extends the shared factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import Response

from obcms_platform.app import create_service_app
from obcms_platform.devstack.embedded import free_port
from obcms_platform.settings import RunMode

from .conftest import ExampleSettings

extra_router = APIRouter()


@extra_router.get("/hello")
def hello() -> dict[str, str]:
    return {"hello": "world"}


class Stamp(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        response.headers["x-stamp"] = "extension"
        return response


def _extended_app(redis_url: str, lifecycle: list[str]) -> FastAPI:
    dead_database = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/none"
    settings = ExampleSettings(database_url=dead_database, redis_url=redis_url, mode=RunMode.TEST)

    def extend(app: FastAPI) -> None:
        app.state.greeting = "hi"
        app.add_middleware(Stamp)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        lifecycle.append(f"start with database {app.state.database is not None}")
        yield
        lifecycle.append("stop")

    return create_service_app(
        settings,
        title="extended",
        routers=[extra_router],
        openapi_url=None,
        interactive_docs=False,
        extend=extend,
        lifespan=lifespan,
    )


def test_an_extension_adds_state_middleware_and_a_lifespan_to_the_platform_app(redis_url):
    lifecycle: list[str] = []
    with TestClient(_extended_app(redis_url, lifecycle)) as client:
        assert lifecycle == ["start with database True"]
        response = client.get("/hello")
        assert response.json() == {"hello": "world"}
        assert response.headers["x-stamp"] == "extension"
        assert client.app.state.greeting == "hi"  # type: ignore[attr-defined]
        # The platform's parts are still there, its middleware around the extension's.
        liveness = client.get("/healthz")
        assert liveness.status_code == 200
        assert liveness.headers["x-stamp"] == "extension"
        assert client.get("/metrics").status_code == 200
    assert lifecycle == ["start with database True", "stop"]


def test_an_app_may_serve_no_api_documents(redis_url):
    with TestClient(_extended_app(redis_url, [])) as client:
        assert client.get("/openapi.json").status_code == 404
        assert client.get("/docs").status_code == 404
        assert client.get("/redoc").status_code == 404
