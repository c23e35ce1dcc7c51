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


@pytest.fixture(autouse=True)
def attachments_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test's services store files in a folder of its own: backup and restore never
    read or replace the attachments of a `make run` in the working folder."""
    for variable in ("ATTACHMENTS_STORAGE", "S3_BUCKET", "S3_ENDPOINT_URL"):
        monkeypatch.delenv(f"OBCMS_{variable}", raising=False)
    folder = tmp_path / "attachments"
    monkeypatch.setenv("OBCMS_ATTACHMENTS_DIR", str(folder))
    return folder
