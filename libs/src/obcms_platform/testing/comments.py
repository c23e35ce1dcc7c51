"""Requests every service's comment tests make, and the announcements they read back."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from obcms_platform.bus import Event
from obcms_platform.contracts import COMMENT_POSTED, CommentPosted
from obcms_platform.testing.auth import Caller


def post_comment(
    client: TestClient,
    caller: Caller,
    record: str,
    body: str = "Looks good",
    mentions: list[uuid.UUID] | None = None,
) -> httpx.Response:
    """POST a comment on `record` (``/api/v1/tasks/<id>``)."""
    data = {"body": body, "mention_ids": [str(person) for person in mentions or []]}
    response: httpx.Response = client.post(f"{record}/comments", json=data, headers=caller.headers)
    return response


def comment(
    client: TestClient,
    caller: Caller,
    record: str,
    body: str = "Looks good",
    mentions: list[uuid.UUID] | None = None,
) -> dict[str, Any]:
    """A comment posted on `record` (it must succeed)."""
    response = post_comment(client, caller, record, body, mentions)
    assert response.status_code == 201, response.text
    posted: dict[str, Any] = response.json()
    return posted


def comments_of(client: TestClient, caller: Caller, record: str) -> list[dict[str, Any]]:
    """The record's comments as listed, newest first."""
    response = client.get(f"{record}/comments", headers=caller.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def edit_comment(
    client: TestClient,
    caller: Caller,
    record: str,
    comment_id: str,
    body: str,
    mentions: list[uuid.UUID] | None = None,
    *,
    version: int | None = None,
) -> httpx.Response:
    headers = {**caller.headers, **({"If-Match": f'"{version}"'} if version else {})}
    data = {"body": body, "mention_ids": [str(person) for person in mentions or []]}
    response: httpx.Response = client.patch(
        f"{record}/comments/{comment_id}", json=data, headers=headers
    )
    return response


def delete_comment(
    client: TestClient, caller: Caller, record: str, comment_id: str, *, version: int | None = None
) -> httpx.Response:
    headers = {**caller.headers, **({"If-Match": f'"{version}"'} if version else {})}
    response: httpx.Response = client.delete(f"{record}/comments/{comment_id}", headers=headers)
    return response


def comments_posted(session: Session, outbox: Table) -> list[CommentPosted]:
    """The `comment.posted` announcements in a service's outbox, oldest first."""
    rows = session.execute(
        select(outbox.c.payload)
        .where(outbox.c.event_type == COMMENT_POSTED.name)
        .order_by(outbox.c.created_at)
    ).scalars()
    return [CommentPosted.of(Event.model_validate(row)) for row in rows]
