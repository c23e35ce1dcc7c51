"""Tasks service fixtures: a fresh migrated database per test, an app client, callers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from obcms_platform.db import Database
from obcms_platform.settings import RunMode
from obcms_platform.testing import PostgresServer, ServiceDatabases
from tasks_service.app import create_app
from tasks_service.settings import TasksSettings


@pytest.fixture(scope="session")
def tasks_databases(postgres_server: PostgresServer) -> ServiceDatabases:
    return ServiceDatabases(postgres_server, "tasks_service")


@pytest.fixture
def tasks_db_url(tasks_databases: ServiceDatabases) -> str:
    return tasks_databases.fresh()


@pytest.fixture
def settings(tasks_db_url: str, redis_url: str) -> TasksSettings:
    return TasksSettings(database_url=tasks_db_url, redis_url=redis_url, mode=RunMode.TEST)


@pytest.fixture
def client(settings: TasksSettings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def session(tasks_db_url: str) -> Iterator[Session]:
    database = Database(tasks_db_url, pool_size=2)
    with database.session() as db_session:
        yield db_session
    database.dispose()
