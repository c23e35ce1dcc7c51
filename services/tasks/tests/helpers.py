"""Requests the tasks tests make again and again."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from obcms_platform.testing import Caller

TASKS = "/api/v1/tasks"


def create(client: TestClient, caller: Caller, **fields: Any) -> dict[str, Any]:
    """A task created with `fields` (titled "A task" unless given)."""
    response = client.post(TASKS, json={"title": "A task", **fields}, headers=caller.headers)
    assert response.status_code == 201, response.text
    return response.json()


def get(client: TestClient, caller: Caller, task_id: str) -> dict[str, Any]:
    response = client.get(f"{TASKS}/{task_id}", headers=caller.headers)
    assert response.status_code == 200, response.text
    return response.json()
