"""Comments on tasks: Markdown shown safely, edited by their author for a short while,
deleted by their author or a manager (leaving "deleted" in the stream), mentions announced,
and gone with their task."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from obcms_platform import registry
from obcms_platform.testing import Caller, assert_error, wrongly_refused
from obcms_platform.testing.comments import (
    comment,
    comments_of,
    comments_posted,
    delete_comment,
    edit_comment,
    post_comment,
)
from obcms_platform.testing.concurrent_writes import one_concurrent_change_wins
from obcms_platform.testing.service_fixtures import service_app, service_settings
from tasks_service.comments.models import Comment
from tasks_service.db import bus

from .helpers import TASKS, create


def _task(client: TestClient, caller: Caller, title: str = "Book the venue") -> str:
    return f"{TASKS}/{create(client, caller, title=title)['id']}"


def test_a_comment_is_posted_listed_newest_first_and_rendered_from_markdown(
    client, staff, other_staff
):
    task = _task(client, staff)
    first = comment(client, staff, task, "First **draft** is in `shared/`")
    response = post_comment(client, other_staff, task, "See https://example.org/plan")
    assert response.status_code == 201, response.text
    second = response.json()
    assert response.headers["ETag"] == '"1"'
    assert response.headers["Location"] == f"{task}/comments/{second['id']}"

    listed = comments_of(client, staff, task)
    assert [c["id"] for c in listed] == [second["id"], first["id"]]
    assert listed[1]["author_id"] == str(staff.user_id)
    assert listed[1]["record_type"] == "task"
    assert listed[1]["body"] == "First **draft** is in `shared/`"
    assert listed[1]["body_html"] == (
        "<p>First <strong>draft</strong> is in <code>shared/</code></p>\n"
    )
    assert listed[0]["body_html"] == (
        '<p>See <a href="https://example.org/plan" rel="noopener noreferrer nofollow">'
        "https://example.org/plan</a></p>\n"
    )
    assert listed[1]["edited_at"] is None
    assert listed[1]["editable_until"] is not None


class _Markup(HTMLParser):
    """The elements of some HTML: (tag, attributes) in document order."""

    def __init__(self, markup: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.feed(markup)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))


SAFE_TAGS = {"p", "strong", "em", "code", "pre", "a", "h3", "ol", "li", "blockquote"}


@pytest.mark.parametrize(
    ("body", "shown"),
    [
        ("<script>alert(1)</script>hi", "&lt;script&gt;alert(1)&lt;/script&gt;hi"),
        ("[click](javascript:alert(1))", "[click](javascript:alert(1))"),
        ('<b onclick="steal()">x</b>', '&lt;b onclick="steal()"&gt;x&lt;/b&gt;'),
        ("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;"),
        ("[rel](/go/task/1) [data](data:text/html,x)", "rel"),
        ("![pixel](https://tracker.example/p.png)", ""),
        ("# Title\n\n### Part", "Part"),
        ("> [mail](mailto:ana@example.org)", "mail"),
    ],
)
def test_markup_that_could_run_script_or_leak_is_not_rendered(client, staff, body, shown):
    task = _task(client, staff)
    rendered = comment(client, staff, task, body)["body_html"]
    assert shown in rendered
    elements = _Markup(rendered).elements
    assert {tag for tag, _ in elements} <= SAFE_TAGS, rendered
    for tag, attributes in elements:
        assert set(attributes) <= ({"href", "rel"} if tag == "a" else set()), rendered
        if tag == "a":
            assert attributes["rel"] == "noopener noreferrer nofollow"
            href = attributes.get("href")
            assert href is None or href.startswith(("https:", "http:", "mailto:")), rendered


def test_invalid_bodies_and_mentions_are_refused_naming_the_field(client, staff):
    task = _task(client, staff)
    cases = [
        ({"body": ""}, "body"),
        ({"body": "   \n "}, "body"),
        ({"body": "x" * 10_001}, "body"),
        ({"body": "nul \x00"}, "body"),
        ({}, "body"),
        ({"body": "ok", "mention_ids": ["not-a-uuid"]}, "mention_ids"),
        ({"body": "ok", "mention_ids": [str(uuid.uuid4()) for _ in range(21)]}, "mention_ids"),
        ({"body": "ok", "mention_ids": "someone"}, "mention_ids"),
        ({"body": "ok", "author_id": str(uuid.uuid4())}, "author_id"),
    ]

    def send(body: Any) -> Any:
        return client.post(f"{task}/comments", json=body, headers=staff.headers)

    assert wrongly_refused(cases, send) == []
    assert comments_of(client, staff, task) == []


def test_mentions_are_deduplicated_and_the_longest_body_is_taken(client, staff):
    task = _task(client, staff)
    ana = uuid.uuid4()
    posted = comment(client, staff, task, "x" * 10_000, [ana, ana])
    assert posted["mention_ids"] == [str(ana)]


def test_unknown_task_is_404_naming_it(client, staff):
    missing = uuid.uuid4()
    error = assert_error(post_comment(client, staff, f"{TASKS}/{missing}"), 404)
    assert error["message"] == f"task {missing} not found"
    assert_error(client.get(f"{TASKS}/{missing}/comments", headers=staff.headers), 404)


def test_a_comment_of_another_task_is_not_found_under_this_one(client, staff):
    one, other = _task(client, staff), _task(client, staff, "Other")
    posted = comment(client, staff, one)
    assert_error(edit_comment(client, staff, other, posted["id"], "moved?"), 404)
    assert_error(delete_comment(client, staff, other, posted["id"]), 404)


def test_the_author_edits_within_the_window_and_nobody_else_may(
    client, staff, other_staff, manager, admin
):
    task = _task(client, staff)
    posted = comment(client, staff, task, "Venue: hall A")
    for someone in (other_staff, manager, admin):
        error = assert_error(edit_comment(client, someone, task, posted["id"], "hall B"), 403)
        assert "Edit a comment" in error["message"]

    response = edit_comment(client, staff, task, posted["id"], "Venue: *hall B*", version=1)
    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == '"2"'
    edited = response.json()
    assert edited["body_html"] == "<p>Venue: <em>hall B</em></p>\n"
    assert edited["edited_at"] is not None
    assert comments_of(client, staff, task)[0]["body"] == "Venue: *hall B*"


def test_a_stale_if_match_is_412_and_concurrent_edits_one_wins(client, staff):
    task = _task(client, staff)
    posted = comment(client, staff, task, "v1")
    assert edit_comment(client, staff, task, posted["id"], "v2", version=1).status_code == 200
    assert_error(edit_comment(client, staff, task, posted["id"], "v3", version=1), 412)

    winner, losers = one_concurrent_change_wins(
        lambda change: edit_comment(client, staff, task, posted["id"], change["body"], version=2),
        [{"body": f"edit {n}"} for n in range(4)],
    )
    assert [r.status_code for r in losers] == [412] * 3, [r.text for r in losers]
    assert winner.headers["ETag"] == '"3"'
    assert comments_of(client, staff, task)[0]["body"] == winner.json()["body"]


@pytest.fixture
def no_edit_window(tasks_db_url: str, redis_url: str) -> Iterator[TestClient]:
    """A client of the service where a comment can no longer be edited once posted."""
    settings = service_settings(
        registry.TASKS, tasks_db_url, redis_url, comment_edit_window_seconds=0
    )
    with TestClient(service_app(registry.TASKS, settings)) as client:
        yield client


def test_an_edit_after_the_window_is_409(no_edit_window, staff):
    task = _task(no_edit_window, staff)
    posted = comment(no_edit_window, staff, task, "Venue: hall A")
    assert posted["editable_until"] == posted["created_at"]
    error = assert_error(edit_comment(no_edit_window, staff, task, posted["id"], "late"), 409)
    assert error["message"] == "comments can be edited for 0 minutes after posting"
    assert comments_of(no_edit_window, staff, task)[0]["body"] == "Venue: hall A"


def test_the_window_is_said_in_minutes(client, staff, session: Session):
    task = _task(client, staff)
    posted = comment(client, staff, task)
    # Posted 16 minutes ago: past the default 15.
    session.execute(
        Comment.__table__.update()
        .where(Comment.id == uuid.UUID(posted["id"]))
        .values(created_at=func.now() - func.make_interval(0, 0, 0, 0, 0, 16))
    )
    session.commit()
    error = assert_error(edit_comment(client, staff, task, posted["id"], "late"), 409)
    assert error["message"] == "comments can be edited for 15 minutes after posting"


def test_delete_by_author_or_manager_leaves_deleted_in_the_stream(
    client, staff, other_staff, manager
):
    task = _task(client, staff)
    mine = comment(client, staff, task, "mine", [other_staff.user_id])
    moderated = comment(client, staff, task, "rude")
    error = assert_error(delete_comment(client, other_staff, task, mine["id"]), 403)
    assert "Delete a comment" in error["message"]

    assert delete_comment(client, staff, task, mine["id"], version=1).status_code == 204
    assert delete_comment(client, manager, task, moderated["id"]).status_code == 204
    listed = {c["id"]: c for c in comments_of(client, other_staff, task)}
    assert len(listed) == 2
    for deleted, by in ((listed[mine["id"]], staff), (listed[moderated["id"]], manager)):
        assert deleted["body"] is None
        assert deleted["body_html"] is None
        assert deleted["deleted_by"] == str(by.user_id)
        assert deleted["deleted_at"] is not None
        assert deleted["mention_ids"] == []
        assert deleted["editable_until"] is None
        assert deleted["version"] == 2

    # Deleting again changes nothing, whatever version it names; editing is refused.
    assert delete_comment(client, staff, task, mine["id"], version=1).status_code == 204
    assert comments_of(client, staff, task)[1]["version"] == 2
    error = assert_error(edit_comment(client, staff, task, mine["id"], "back"), 409)
    assert error["message"] == "a deleted comment cannot be edited"


def test_a_stale_if_match_on_delete_is_412(client, staff):
    task = _task(client, staff)
    posted = comment(client, staff, task, "v1")
    assert edit_comment(client, staff, task, posted["id"], "v2").status_code == 200
    assert_error(delete_comment(client, staff, task, posted["id"], version=1), 412)
    assert comments_of(client, staff, task)[0]["body"] == "v2"


def test_posting_announces_every_mention_and_an_edit_only_the_new_ones(
    client, staff, session: Session
):
    task = _task(client, staff, "Book the venue")
    ana, bai, cal = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    posted = comment(client, staff, task, "@Ana @Bai please **check**", [ana, bai])
    edit_comment(client, staff, task, posted["id"], "@Ana @Bai please check", [ana, bai])
    edit_comment(client, staff, task, posted["id"], "@Bai @Cal please check", [bai, cal])

    announced = comments_posted(session, bus.outbox)
    assert [a.mention_ids for a in announced] == [[ana, bai], [cal]]
    first = announced[0]
    assert first.comment_id == uuid.UUID(posted["id"])
    assert (first.record_type, str(first.record_id)) == ("task", task.rsplit("/", 1)[1])
    assert first.record_title == "Book the venue"
    assert first.author_id == staff.user_id
    assert first.excerpt == "@Ana @Bai please check"


def test_deleting_a_task_deletes_its_comments(client, staff, session: Session):
    task, kept = _task(client, staff), _task(client, staff, "Kept")
    comment(client, staff, task)
    comment(client, staff, kept)
    assert client.delete(task, headers=staff.headers).status_code == 204
    remaining = session.scalars(select(Comment.record_id)).all()
    assert [str(record) for record in remaining] == [kept.rsplit("/", 1)[1]]
