"""Calendar service fixtures: a fresh migrated database per test, an app client, callers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from calendar_service.app import create_app
from calendar_service.settings import CalendarSettings
from obcms_platform.db import Database
from obcms_platform.settings import RunMode
from obcms_platform.testing import PostgresServer, ServiceDatabases


@pytest.fixture(scope="session")
def calendar_databases(postgres_server: PostgresServer) -> ServiceDatabases:
    return ServiceDatabases(postgres_server, "calendar_service")


@pytest.fixture
def calendar_db_url(calendar_databases: ServiceDatabases) -> str:
    return calendar_databases.fresh()


@pytest.fixture
def settings(calendar_db_url: str, redis_url: str) -> CalendarSettings:
    return CalendarSettings(database_url=calendar_db_url, redis_url=redis_url, mode=RunMode.TEST)


@pytest.fixture
def client(settings: CalendarSettings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def session(calendar_db_url: str) -> Iterator[Session]:
    database = Database(calendar_db_url, pool_size=2)
    with database.session() as db_session:
        yield db_session
    database.dispose()


@pytest.fixture(scope="module")
def shared_client(calendar_databases: ServiceDatabases, redis_url: str) -> Iterator[TestClient]:
    """One app and database for a module's tests that change nothing (refused input only)."""
    settings = CalendarSettings(
        database_url=calendar_databases.fresh(), redis_url=redis_url, mode=RunMode.TEST
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client
