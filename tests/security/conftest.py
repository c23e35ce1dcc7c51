"""Security suite fixtures: the three services, each on a fresh database of the session's
PostgreSQL (in-process clients, or served over HTTP as the gateway's backends), and a
gateway in front of them with signed-in staff, manager and admin users."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi import FastAPI
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).parent))  # security_helpers (importlib mode)
# The gateway suite's helpers: a uvicorn-served app, users, tokens.
sys.path.insert(0, str(Path(__file__).parents[2] / "gateway" / "tests"))

from gateway_helpers import (
    ADMIN_PASSWORD,
    USER_PASSWORD,
    create_user,
    served,
    token_for,
)
from security_helpers import SERVICES

from gateway_service.app import create_app as create_gateway_app
from gateway_service.settings import GatewaySettings
from obcms_platform import registry
from obcms_platform.settings import RunMode
from obcms_platform.testing import PostgresServer, ServiceDatabases
from obcms_platform.testing.service_fixtures import service_app, service_settings

MAINTENANCE_KEY = "gateway:maintenance"


def gateway_settings(
    postgres_server: PostgresServer, redis_url: str, backends: dict[str, str], state: Path
) -> GatewaySettings:
    return GatewaySettings(
        database_url=ServiceDatabases(postgres_server, registry.GATEWAY.package).fresh(),
        redis_url=redis_url,
        mode=RunMode.TEST,
        **{f"{name}_url": url for name, url in backends.items()},
        admin_password=ADMIN_PASSWORD,
        state_dir=state,
        # Cheap hashing: the suite signs in many times.
        argon2_time_cost=1,
        argon2_memory_cost_kib=1024,
        argon2_parallelism=1,
    )


@pytest.fixture(scope="session")
def make_service_app(postgres_server: PostgresServer, redis_url: str) -> Callable[..., FastAPI]:
    """A service app (by name) on a fresh database; keyword arguments override settings."""

    def make(name: str, **overrides: Any) -> FastAPI:
        service = SERVICES[name]
        url = ServiceDatabases(postgres_server, service.package).fresh()
        return service_app(service, service_settings(service, url, redis_url, **overrides))

    return make


@pytest.fixture(scope="module")
def service_clients(make_service_app: Callable[..., FastAPI]) -> Iterator[dict[str, TestClient]]:
    """In-process clients of the three services, shared by a test module."""
    with contextlib.ExitStack() as stack:
        yield {
            name: stack.enter_context(
                TestClient(make_service_app(name), raise_server_exceptions=False)
            )
            for name in SERVICES
        }


@pytest.fixture(scope="session")
def backends(make_service_app: Callable[..., FastAPI]) -> Iterator[dict[str, str]]:
    """The three services served over HTTP (the gateway's backends): name -> base URL."""
    with contextlib.ExitStack() as stack:
        yield {name: stack.enter_context(served(make_service_app(name))).url for name in SERVICES}


@dataclass
class GatewayUsers:
    """Bearer headers of an admin, a manager and a staff user of the gateway."""

    admin: dict[str, str]
    manager: dict[str, str]
    staff: dict[str, str]

    def headers(self, role: str) -> dict[str, str]:
        headers: dict[str, str] = getattr(self, role)
        return headers


@pytest.fixture(scope="session")
def make_gateway_settings(
    postgres_server: PostgresServer,
    redis_url: str,
    backends: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[..., GatewaySettings]:
    """Settings of a new gateway on a fresh database in front of the served services."""

    def make(**overrides: Any) -> GatewaySettings:
        state = tmp_path_factory.mktemp("gateway")
        settings = gateway_settings(postgres_server, redis_url, backends, state)
        return settings.model_copy(update=overrides)

    return make


@pytest.fixture(scope="session")
def make_gateway_client(
    make_gateway_settings: Callable[..., GatewaySettings],
) -> Callable[..., contextlib.AbstractContextManager[TestClient]]:
    """A context manager: an in-process gateway on a fresh database in front of the served
    services (its own app: a TestClient runs the app's event loop, which the app's Redis
    connections are bound to)."""

    @contextlib.contextmanager
    def make(**overrides: Any) -> Iterator[TestClient]:
        app = create_gateway_app(make_gateway_settings(**overrides))
        with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as client:
            yield client

    return make


@pytest.fixture(scope="module")
def gateway_client(
    make_gateway_client: Callable[..., contextlib.AbstractContextManager[TestClient]],
) -> Iterator[TestClient]:
    """An in-process gateway shared by a test module."""
    with make_gateway_client() as client:
        yield client


@pytest.fixture(scope="module")
def gateway_users(gateway_client: TestClient) -> GatewayUsers:
    admin = token_for(gateway_client, "admin", ADMIN_PASSWORD)
    tokens = {
        role: token_for(
            gateway_client, create_user(gateway_client, admin, role)["username"], USER_PASSWORD
        )
        for role in ("manager", "staff")
    }
    gateway_client.cookies.clear()
    return GatewayUsers(admin=admin, **tokens)


@pytest.fixture(autouse=True)
def _maintenance_off(redis_url: str) -> Iterator[None]:
    """No test leaves the gateways of the session's Redis in maintenance mode."""
    client = redis.Redis.from_url(redis_url)
    yield
    client.delete(MAINTENANCE_KEY)
    client.close()
