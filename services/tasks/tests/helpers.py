"""Requests the tasks tests make again and again."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from obcms_platform.testing import Caller

TASKS = "/api/v1/tasks"
TEAMS = "/api/v1/teams"


def create(client: TestClient, caller: Caller, **fields: Any) -> dict[str, Any]:
    """A task created with `fields` (titled "A task" unless given)."""
    response = client.post(TASKS, json={"title": "A task", **fields}, headers=caller.headers)
    assert response.status_code == 201, response.text
    return response.json()


def get(client: TestClient, caller: Caller, task_id: str) -> dict[str, Any]:
    response = client.get(f"{TASKS}/{task_id}", headers=caller.headers)
    assert response.status_code == 200, response.text
    return response.json()


def create_team(
    client: TestClient, manager: Caller, name: str = "Field Operations", **fields: Any
) -> dict[str, Any]:
    """A team created with `fields` (members, slug, ...)."""
    response = client.post(TEAMS, json={"name": name, **fields}, headers=manager.headers)
    assert response.status_code == 201, response.text
    return response.json()
