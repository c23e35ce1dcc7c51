"""Requests the calendar's tests make again and again."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi.testclient import TestClient

from obcms_platform.testing.auth import Caller

EVENTS = "/api/v1/events"


def create_event(client: TestClient, caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    """The event created from `body` (which must be a 201)."""
    response = client.post(EVENTS, json=body, headers=caller.headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def change_occurrence(
    client: TestClient, caller: Caller, event_id: str, day: str, **changes: Any
) -> httpx.Response:
    """Move or change one occurrence of a series (`day`: its original date, YYYYMMDD)."""
    return client.put(
        f"{EVENTS}/{event_id}/occurrences/{day}", json=changes, headers=caller.headers
    )
