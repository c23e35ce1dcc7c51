"""Helpers shared by the portfolio tests: API shortcuts, error checks, outbox rows."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text

from obcms_platform.db import Database
from obcms_platform.vocabulary import BudgetStage

PPAS = "/api/v1/ppas"
ASSESSMENTS = "/api/v1/assessments"
NEEDS = "/api/v1/needs"
CEILINGS = "/api/v1/budget-ceilings"
DASHBOARD = "/api/v1/portfolio/dashboard"
# A PPA's workflow stages, in their documented order (the enum declares them in it).
STAGES = [stage.value for stage in BudgetStage]


def create_ppa(client: TestClient, caller: Any, **fields: Any) -> dict[str, Any]:
    fields.setdefault("title", "A PPA")
    fields.setdefault("category", "oobc_ppa")
    response = client.post(PPAS, json=fields, headers=caller.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def get_ppa(client: TestClient, caller: Any, ppa_id: str) -> dict[str, Any]:
    response = client.get(f"{PPAS}/{ppa_id}", headers=caller.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def outbox_rows(database: Database, event_type: str | None = None) -> list[dict[str, Any]]:
    """The outbox envelopes (oldest first), optionally of one event type."""
    query = "SELECT payload FROM bus_outbox"
    params: dict[str, Any] = {}
    if event_type is not None:
        query += " WHERE event_type = :type"
        params["type"] = event_type
    with database.engine.connect() as connection:
        rows = connection.execute(text(query + " ORDER BY created_at, id"), params).scalars()
        return [dict(row) for row in rows]


def outbox_count(database: Database) -> int:
    with database.engine.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM bus_outbox")).scalar_one())
