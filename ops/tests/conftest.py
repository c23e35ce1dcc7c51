"""Fixtures of the obcmsctl tests: fresh migrated databases per service (real PostgreSQL)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # ops_helpers (pytest runs in importlib mode)

from obcms_platform.testing import PostgresServer, ServiceDatabases

PACKAGES = {
    "gateway": "gateway_service",
    "tasks": "tasks_service",
    "portfolio": "portfolio_service",
    "calendar": "calendar_service",
}


@pytest.fixture
def databases(postgres_server: PostgresServer) -> dict[str, str]:
    """A fresh migrated database per service: name -> SQLAlchemy URL."""
    return {
        name: ServiceDatabases(postgres_server, package).fresh()
        for name, package in PACKAGES.items()
    }
