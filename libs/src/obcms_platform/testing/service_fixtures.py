"""A service of the registry as its tests build it, and the fixtures every service's own
suite needs, built once for any service.

A service's ``tests/conftest.py`` takes them in by name::

    globals().update(service_fixtures(registry.TASKS))
"""

from __future__ import annotations

import importlib
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from obcms_platform.db import Database
from obcms_platform.registry import Deployable
from obcms_platform.settings import RunMode, ServiceSettings
from obcms_platform.testing.databases import PostgresServer, ServiceDatabases


def service_settings(
    service: Deployable, database_url: str, redis_url: str, **overrides: Any
) -> Any:
    """Test-mode settings of `service` (its settings class, as the registry names it); its
    attachments in a new temporary folder unless `overrides` name one (never the state
    folder of `make run`)."""
    overrides.setdefault("attachments_dir", Path(tempfile.mkdtemp(prefix="obcms-attachments-")))
    return service.settings_type()(
        database_url=database_url, redis_url=redis_url, mode=RunMode.TEST, **overrides
    )


def service_app(service: Deployable, settings: ServiceSettings) -> FastAPI:
    """`service`'s app (``<package>.app:create_app``) with `settings`."""
    app: FastAPI = importlib.import_module(f"{service.package}.app").create_app(settings)
    return app


def service_fixtures(
    service: Deployable, *, load_models: Callable[[], object] | None = None
) -> dict[str, Any]:
    """Fixtures by name: ``<name>_databases`` (the session's migrated template and fresh
    copies), ``<name>_db_url`` (a fresh database per test), ``settings``, ``client`` (an
    in-process app on that database), ``database`` and ``session`` (on it; `load_models`
    first when the service maps its models lazily) and ``shared_client`` (one app and
    database for a module's tests that change nothing)."""
    databases_name = f"{service.name}_databases"
    db_url_name = f"{service.name}_db_url"

    @pytest.fixture(scope="session", name=databases_name)
    def databases(postgres_server: PostgresServer) -> ServiceDatabases:
        return ServiceDatabases(postgres_server, service.package)

    @pytest.fixture(name=db_url_name)
    def db_url(request: pytest.FixtureRequest) -> Iterator[str]:
        # Dropped after the test: a session makes thousands of copies, and the server's
        # folder (on /dev/shm when it has room) keeps only the ones in use.
        service_databases: ServiceDatabases = request.getfixturevalue(databases_name)
        url = service_databases.fresh()
        yield url
        service_databases.server.drop_database_at(url)

    @pytest.fixture
    def settings(request: pytest.FixtureRequest, redis_url: str) -> Any:
        return service_settings(service, request.getfixturevalue(db_url_name), redis_url)

    @pytest.fixture
    def client(settings: ServiceSettings) -> Iterator[TestClient]:
        with TestClient(service_app(service, settings), raise_server_exceptions=False) as client:
            yield client

    @pytest.fixture
    def database(request: pytest.FixtureRequest) -> Iterator[Database]:
        if load_models is not None:
            load_models()
        db = Database(request.getfixturevalue(db_url_name), pool_size=2)
        yield db
        db.dispose()

    @pytest.fixture
    def session(database: Database) -> Iterator[Session]:
        with database.session() as db_session:
            yield db_session

    @pytest.fixture(scope="module")
    def shared_client(request: pytest.FixtureRequest, redis_url: str) -> Iterator[TestClient]:
        service_databases: ServiceDatabases = request.getfixturevalue(databases_name)
        app = service_app(service, service_settings(service, service_databases.fresh(), redis_url))
        with TestClient(app, raise_server_exceptions=False) as client:
            yield client

    return {
        databases_name: databases,
        db_url_name: db_url,
        "settings": settings,
        "client": client,
        "database": database,
        "session": session,
        "shared_client": shared_client,
    }
