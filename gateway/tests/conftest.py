"""Gateway fixtures: real PostgreSQL and Redis, the real tasks, portfolio and calendar services
served by uvicorn on free ports, and gateways built on them (in-process or served over HTTP).
The calendar service is served only to the tests that ask for `calendar_backend` (the feed,
the calendar pages)."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from fastapi.testclient import TestClient
from playwright.sync_api import Browser

sys.path.insert(0, str(Path(__file__).parent))  # gateway_helpers (pytest runs in importlib mode)

from gateway_helpers import (
    ADMIN_PASSWORD,
    USER_PASSWORD,
    ServedApp,
    create_user,
    served,
    token_for,
)

from gateway_service.app import create_app
from gateway_service.settings import GatewaySettings
from obcms_platform.registry import CALENDAR, GATEWAY, NOTIFICATIONS, PORTFOLIO, TASKS
from obcms_platform.settings import RunMode
from obcms_platform.testing import PostgresServer, ServiceDatabases
from obcms_platform.testing.browser import chromium
from obcms_platform.testing.service_fixtures import service_app, service_settings


@pytest.fixture(scope="session")
def gateway_databases(postgres_server: PostgresServer) -> ServiceDatabases:
    return ServiceDatabases(postgres_server, GATEWAY.package)


@pytest.fixture(scope="session")
def tasks_database(postgres_server: PostgresServer) -> str:
    """The database URL of the session's tasks service."""
    return ServiceDatabases(postgres_server, TASKS.package).fresh()


@pytest.fixture(scope="session")
def portfolio_database(postgres_server: PostgresServer) -> str:
    """The database URL of the session's portfolio service."""
    return ServiceDatabases(postgres_server, PORTFOLIO.package).fresh()


@pytest.fixture(scope="session")
def service_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The storage folder of the session's tasks and portfolio services (each keeps its files
    under its own name): where a test's export job writes."""
    return tmp_path_factory.mktemp("service-files")


@pytest.fixture(scope="session")
def tasks_backend(tasks_database: str, redis_url: str, service_files: Path) -> Iterator[str]:
    settings = service_settings(TASKS, tasks_database, redis_url, attachments_dir=service_files)
    with served(service_app(TASKS, settings)) as server:
        yield server.url


@pytest.fixture(scope="session")
def portfolio_backend(
    portfolio_database: str, redis_url: str, service_files: Path
) -> Iterator[str]:
    settings = service_settings(
        PORTFOLIO, portfolio_database, redis_url, attachments_dir=service_files
    )
    with served(service_app(PORTFOLIO, settings)) as server:
        yield server.url


@pytest.fixture(scope="session")
def calendar_database(postgres_server: PostgresServer) -> str:
    """The database URL of the session's calendar service."""
    return ServiceDatabases(postgres_server, CALENDAR.package).fresh()


@pytest.fixture(scope="session")
def calendar_backend(calendar_database: str, redis_url: str) -> Iterator[str]:
    settings = service_settings(CALENDAR, calendar_database, redis_url)
    with served(service_app(CALENDAR, settings)) as server:
        yield server.url


@pytest.fixture(scope="session")
def notifications_database(postgres_server: PostgresServer) -> str:
    """The database URL of the session's notifications service (tests fill inboxes here)."""
    return ServiceDatabases(postgres_server, NOTIFICATIONS.package).fresh()


@pytest.fixture(scope="session")
def notifications_backend(notifications_database: str, redis_url: str) -> Iterator[str]:
    settings = service_settings(NOTIFICATIONS, notifications_database, redis_url)
    with served(service_app(NOTIFICATIONS, settings)) as server:
        yield server.url


@pytest.fixture(scope="session")
def make_settings(
    gateway_databases: ServiceDatabases,
    redis_url: str,
    tasks_backend: str,
    portfolio_backend: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[..., GatewaySettings]:
    """Settings of a new gateway on a fresh database (keyword arguments override)."""

    def make(**overrides: Any) -> GatewaySettings:
        values: dict[str, Any] = {
            "database_url": gateway_databases.fresh(),
            "redis_url": redis_url,
            "mode": RunMode.TEST,
            "tasks_url": tasks_backend,
            "portfolio_url": portfolio_backend,
            "calendar_url": "",  # the calendar service is not part of these tests
            "notifications_url": "",  # nor the notifications service
            "admin_password": ADMIN_PASSWORD,
            "state_dir": (state := tmp_path_factory.mktemp("state")),
            "dev_mailbox_dir": state / "mail",
            # Cheap hashing keeps the many logins of the suite fast.
            "argon2_time_cost": 1,
            "argon2_memory_cost_kib": 1024,
            "argon2_parallelism": 1,
            # A PDF worker started with every gateway of the suite would cost seconds of CPU
            # each; the test of the warm-up turns it on.
            "pdf_warm_up": False,
        }
        values.update(overrides)
        return GatewaySettings(**values)

    return make


@pytest.fixture(autouse=True)
def _maintenance_off(redis_url: str) -> Iterator[None]:
    """Every test starts and ends with no stored maintenance state."""
    client = redis.Redis.from_url(redis_url)
    client.delete("gateway:maintenance")
    yield
    client.delete("gateway:maintenance")
    client.close()


@pytest.fixture(scope="module")
def gateway(
    request: pytest.FixtureRequest, make_settings: Callable[..., GatewaySettings]
) -> Iterator[ServedApp]:
    """A gateway served over real HTTP, shared by a test module. It fronts the tasks and
    portfolio services; a module that sets ``FRONTS_CALENDAR = True`` gets the calendar
    service too, ``FRONTS_NOTIFICATIONS = True`` the notifications service."""
    overrides = {}
    if getattr(request.module, "FRONTS_CALENDAR", False):
        overrides["calendar_url"] = request.getfixturevalue("calendar_backend")
    if getattr(request.module, "FRONTS_NOTIFICATIONS", False):
        overrides["notifications_url"] = request.getfixturevalue("notifications_backend")
    with served(create_app(make_settings(**overrides))) as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, shared by a test module's pages."""
    with chromium() as launched:
        yield launched


@pytest.fixture
def make_client(gateway: ServedApp) -> Iterator[Callable[[], httpx.Client]]:
    """Factory of HTTP clients (own cookie jars) against the module's gateway."""
    opened: list[httpx.Client] = []

    def make() -> httpx.Client:
        client = httpx.Client(base_url=gateway.url, follow_redirects=False, timeout=30)
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.close()


@pytest.fixture
def in_process(
    make_settings: Callable[..., GatewaySettings],
) -> Iterator[Callable[..., TestClient]]:
    """Factory of in-process gateways (TestClient) with settings overrides."""
    stack = contextlib.ExitStack()

    def make(base_url: str = "http://testserver", **overrides: Any) -> TestClient:
        app = create_app(make_settings(**overrides))
        return stack.enter_context(
            TestClient(
                app, base_url=base_url, raise_server_exceptions=False, follow_redirects=False
            )
        )

    with stack:
        yield make


@pytest.fixture
def admin_headers(make_client: Callable[[], httpx.Client]) -> dict[str, str]:
    return token_for(make_client(), "admin", ADMIN_PASSWORD)


@pytest.fixture
def staff(make_client: Callable[[], httpx.Client], admin_headers: dict[str, str]) -> dict[str, Any]:
    user = create_user(make_client(), admin_headers, "staff")
    return {**user, "headers": token_for(make_client(), user["username"], USER_PASSWORD)}
