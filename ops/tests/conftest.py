"""Fixtures of the obcmsctl tests: fresh migrated databases per service (real PostgreSQL)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # ops_helpers (pytest runs in importlib mode)

from obcms_platform.testing import PostgresServer, fresh_platform_databases


@pytest.fixture
def databases(postgres_server: PostgresServer) -> dict[str, str]:
    """A fresh migrated database per service: name -> SQLAlchemy URL."""
    return fresh_platform_databases(postgres_server)
