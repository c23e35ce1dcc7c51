"""Portfolio service fixtures: a fresh migrated database per test, an app client, callers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from obcms_platform.db import Database
from obcms_platform.settings import RunMode
from obcms_platform.testing import PostgresServer, ServiceDatabases
from portfolio_service.app import create_app
from portfolio_service.db import load_models
from portfolio_service.settings import PortfolioSettings


@pytest.fixture(scope="session")
def portfolio_databases(postgres_server: PostgresServer) -> ServiceDatabases:
    return ServiceDatabases(postgres_server, "portfolio_service")


@pytest.fixture
def portfolio_db_url(portfolio_databases: ServiceDatabases) -> str:
    return portfolio_databases.fresh()


@pytest.fixture
def settings(portfolio_db_url: str, redis_url: str) -> PortfolioSettings:
    return PortfolioSettings(database_url=portfolio_db_url, redis_url=redis_url, mode=RunMode.TEST)


@pytest.fixture
def client(settings: PortfolioSettings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def database(portfolio_db_url: str) -> Iterator[Database]:
    load_models()
    db = Database(portfolio_db_url, pool_size=2)
    yield db
    db.dispose()


@pytest.fixture
def session(database: Database) -> Iterator[Session]:
    with database.session() as db_session:
        yield db_session
