"""Comments on PPAs, assessments and needs: the same thread on each, announced with the
record's title, and gone with their record (and only theirs)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from obcms_platform.testing import Caller, assert_error
from obcms_platform.testing.comments import (
    comment,
    comments_of,
    comments_posted,
    delete_comment,
    edit_comment,
    post_comment,
)
from portfolio_service.comments.models import Comment
from portfolio_service.db import bus

API = "/api/v1"
RECORDS: dict[str, tuple[str, dict[str, Any]]] = {
    "ppa": ("ppas", {"category": "obc_request"}),
    "assessment": (
        "assessments",
        {"primary_methodology": "survey", "assessment_level": "regional"},
    ),
    "need": ("needs", {}),
}


def _record(client: TestClient, caller: Caller, kind: str, title: str) -> str:
    collection, fields = RECORDS[kind]
    response = client.post(
        f"{API}/{collection}", json={"title": title, **fields}, headers=caller.headers
    )
    assert response.status_code == 201, response.text
    return f"{API}/{collection}/{response.json()['id']}"


@pytest.mark.parametrize("kind", RECORDS)
def test_a_thread_on_each_record_kind(client, staff, other_staff, manager, session, kind):
    record = _record(client, staff, kind, "Road to Barangay X")
    mentioned = uuid.uuid4()
    posted = comment(client, other_staff, record, "Budget *approved*?", [mentioned])
    assert posted["record_type"] == kind
    assert posted["body_html"] == "<p>Budget <em>approved</em>?</p>\n"
    assert_error(edit_comment(client, staff, record, posted["id"], "mine now"), 403)
    edited = edit_comment(client, other_staff, record, posted["id"], "Approved", version=1)
    assert edited.status_code == 200, edited.text
    assert delete_comment(client, manager, record, posted["id"], version=2).status_code == 204
    [listed] = comments_of(client, staff, record)
    assert (listed["body"], listed["deleted_by"]) == (None, str(manager.user_id))

    [announced] = comments_posted(session, bus.outbox)
    assert (announced.record_type, announced.record_title) == (kind, "Road to Barangay X")
    assert announced.mention_ids == [mentioned]


@pytest.mark.parametrize("kind", RECORDS)
def test_an_unknown_record_is_404_naming_its_kind(client, staff, kind):
    collection, _ = RECORDS[kind]
    missing = uuid.uuid4()
    error = assert_error(post_comment(client, staff, f"{API}/{collection}/{missing}"), 404)
    what = "PPA" if kind == "ppa" else kind
    assert error["message"] == f"{what} {missing} not found"


def test_a_comment_is_found_only_under_its_own_record(client, staff):
    ppa = _record(client, staff, "ppa", "Road")
    need = _record(client, staff, "need", "Water")
    posted = comment(client, staff, ppa)
    # The same id under a record of another kind (or another record) is no comment of it.
    assert_error(edit_comment(client, staff, need, posted["id"], "moved?"), 404)
    assert comments_of(client, staff, need) == []


@pytest.mark.parametrize("kind", RECORDS)
def test_deleting_a_record_deletes_its_comments_only(client, manager, session: Session, kind):
    records = {each: _record(client, manager, each, "Kept") for each in RECORDS}
    doomed = _record(client, manager, kind, "Doomed")
    for record in (*records.values(), doomed):
        comment(client, manager, record)
    assert client.delete(doomed, headers=manager.headers).status_code == 204
    remaining = session.execute(select(Comment.record_type, Comment.record_id)).all()
    assert sorted((t, f"{API}/{RECORDS[t][0]}/{i}") for t, i in remaining) == sorted(
        records.items()
    )
