"""Comments on calendar events: posted, edited, deleted, announced with the event's title,
and gone with their event."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from calendar_service.comments.models import Comment
from calendar_service.db import bus
from obcms_platform.testing import Caller, assert_error
from obcms_platform.testing.comments import (
    comment,
    comments_of,
    comments_posted,
    delete_comment,
    edit_comment,
    post_comment,
)

EVENTS = "/api/v1/events"


def _event(client: TestClient, caller: Caller, title: str = "Coordination meeting") -> str:
    body = {
        "title": title,
        "event_type": "meeting",
        "start": "2026-12-07T09:00",
        "end": "2026-12-07T10:00",
    }
    response = client.post(EVENTS, json=body, headers=caller.headers)
    assert response.status_code == 201, response.text
    return f"{EVENTS}/{response.json()['id']}"


def test_a_thread_on_an_event(client, staff, other_staff, session: Session):
    event = _event(client, staff)
    bai = uuid.uuid4()
    posted = comment(client, other_staff, event, "Agenda:\n\n1. budget\n2. venue", [bai])
    assert posted["body_html"] == "<p>Agenda:</p>\n<ol>\n<li>budget</li>\n<li>venue</li>\n</ol>\n"
    assert_error(edit_comment(client, staff, event, posted["id"], "mine"), 403)
    assert_error(delete_comment(client, staff, event, posted["id"]), 403)
    assert (
        edit_comment(client, other_staff, event, posted["id"], "Agenda: budget").status_code == 200
    )
    assert delete_comment(client, other_staff, event, posted["id"]).status_code == 204
    [listed] = comments_of(client, staff, event)
    assert listed["body"] is None
    assert listed["deleted_by"] == str(other_staff.user_id)

    [announced] = comments_posted(session, bus.outbox)
    assert (announced.record_type, announced.record_title) == ("event", "Coordination meeting")
    assert announced.mention_ids == [bai]
    assert announced.excerpt == "Agenda: budget venue"


def test_an_unknown_event_is_404(client, staff):
    missing = uuid.uuid4()
    error = assert_error(post_comment(client, staff, f"{EVENTS}/{missing}"), 404)
    assert error["message"] == f"event {missing} not found"


def test_deleting_an_event_deletes_its_comments(client, staff, session: Session):
    event, kept = _event(client, staff), _event(client, staff, "Kept")
    comment(client, staff, event)
    comment(client, staff, kept)
    assert client.delete(event, headers=staff.headers).status_code == 204
    assert session.scalar(select(func.count()).select_from(Comment)) == 1
    assert comments_of(client, staff, kept) != []
