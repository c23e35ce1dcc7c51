"""A minimal service built with the platform's app factory, for testing the mechanisms."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, ClassVar

import pytest
from fastapi import APIRouter, Depends, Query
from fastapi.testclient import TestClient
from pydantic import Field
from sqlalchemy import text

from obcms_platform.app import create_service_app
from obcms_platform.auth import CurrentPrincipal, Principal, Role, require_role
from obcms_platform.db import DbSession
from obcms_platform.errors import ConflictError
from obcms_platform.pagination import Pagination
from obcms_platform.schemas import RequestModel
from obcms_platform.settings import RunMode, ServiceSettings
from obcms_platform.testing import PostgresServer


class ExampleSettings(ServiceSettings):
    env_prefix: ClassVar[str] = "OBCMS_EXAMPLE_"
    service_name: ClassVar[str] = "example"


class Widget(RequestModel):
    name: Annotated[str, Field(min_length=1)]
    size: Annotated[int, Field(ge=1, le=10)]
    parts: list[Annotated[str, Field(max_length=3)]] = []


example_router = APIRouter(prefix="/api/v1/widgets")


@example_router.get("/whoami")
def whoami(principal: CurrentPrincipal) -> dict[str, object]:
    return {"user_id": str(principal.user_id), "roles": sorted(principal.roles)}


@example_router.post("/admin-only")
def admin_only(_: Annotated[Principal, Depends(require_role(Role.ADMIN))]) -> dict[str, str]:
    return {"ok": "yes"}


@example_router.post("")
def create_widget(widget: Widget, _: CurrentPrincipal) -> Widget:
    return widget


@example_router.get("/page")
def page(page: Pagination, _: CurrentPrincipal) -> dict[str, int]:
    return {"limit": page.limit, "offset": page.offset}


@example_router.get("/query")
def query(session: DbSession, _: CurrentPrincipal, n: Annotated[int, Query()] = 1) -> int:
    return int(session.scalar(text("SELECT :n").bindparams(n=n)) or 0)


@example_router.post("/conflict")
def conflict(_: CurrentPrincipal) -> None:
    raise ConflictError("name: already taken", field="name")


@example_router.get("/boom")
def boom(_: CurrentPrincipal) -> None:
    raise RuntimeError("secret internals")


def build_client(database_url: str, redis_url: str) -> TestClient:
    settings = ExampleSettings(database_url=database_url, redis_url=redis_url, mode=RunMode.TEST)
    app = create_service_app(settings, title="example", routers=[example_router])
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture
def example_client(postgres_server: PostgresServer, redis_url: str) -> Iterator[TestClient]:
    with build_client(postgres_server.url("postgres"), redis_url) as client:
        yield client
