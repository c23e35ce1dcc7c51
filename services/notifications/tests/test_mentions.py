"""A mention in a comment notifies the person mentioned: once per comment, never its author,
and an edit only the people it adds."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from notifications_service.kinds import KINDS, Channel, Kind
from notifications_service.settings import NotificationsSettings
from obcms_platform.contracts import COMMENT_POSTED, CommentPosted
from obcms_platform.vocabulary import NotificationKind

from .people import Person, event, handle, inbox, outgoing


def _posted(
    comment_id: uuid.UUID,
    author: Person,
    mentioned: list[Person],
    *,
    record_type: str = "ppa",
    record_id: uuid.UUID | None = None,
) -> CommentPosted:
    return CommentPosted(
        comment_id=comment_id,
        record_type=record_type,
        record_id=record_id or uuid.uuid4(),
        record_title="Road to Barangay X",
        author_id=author.user_id,
        mention_ids=[person.user_id for person in mentioned],
        excerpt="Can you check the budget lines?",
    )


def test_the_mentioned_person_is_notified_once_with_the_record_and_the_comment(
    session: Session, settings: NotificationsSettings
) -> None:
    ana = Person(full_name="Ana Reyes", username="ana.reyes", email="ana@example.org")
    bai = Person(full_name="Bai Lumna", username="bai.lumna", email="bai@example.org")
    handle(session, settings, ana.announced(), bai.announced())
    comment_id, ppa_id = uuid.uuid4(), uuid.uuid4()
    posted = event(
        COMMENT_POSTED, _posted(comment_id, ana, [bai, ana], record_id=ppa_id), comment_id
    )
    handle(session, settings, posted)
    # A replay of the same announcement (another event id) notifies nobody again.
    handle(session, settings, posted.model_copy(update={"id": uuid.uuid4()}))

    [notification] = inbox(session, bai)
    assert notification.kind == Kind.MENTIONED
    assert notification.title == "Ana Reyes mentioned you on PPA \u201cRoad to Barangay X\u201d"
    assert notification.link == f"/go/ppa/{ppa_id}#comment-{comment_id}"  # at the comment
    assert notification.body == "Can you check the budget lines?"
    [email] = outgoing(session, bai)
    assert "mentioned you" in email.subject
    # Mentioning oneself tells nobody.
    assert inbox(session, ana) == []


def test_an_edit_adding_a_mention_notifies_only_the_new_person(
    session: Session, settings: NotificationsSettings
) -> None:
    ana, bai = Person(full_name="Ana Reyes"), Person(full_name="Bai Lumna")
    cal = Person(full_name="Cal Datu")
    handle(session, settings, ana.announced(), bai.announced(), cal.announced())
    comment_id, task_id = uuid.uuid4(), uuid.uuid4()
    handle(
        session,
        settings,
        event(
            COMMENT_POSTED,
            _posted(comment_id, ana, [bai], record_type="task", record_id=task_id),
            comment_id,
        ),
        # The edit announces the people it adds; Bai, mentioned again, is not among them.
        event(
            COMMENT_POSTED,
            _posted(comment_id, ana, [cal], record_type="task", record_id=task_id),
            comment_id,
        ),
    )
    assert [n.title for n in inbox(session, bai)] == [
        "Ana Reyes mentioned you on task \u201cRoad to Barangay X\u201d"
    ]
    [for_cal] = inbox(session, cal)
    assert for_cal.link == f"/go/task/{task_id}#comment-{comment_id}"


def test_a_mention_on_each_kind_of_record_names_it(
    session: Session, settings: NotificationsSettings
) -> None:
    ana, bai = Person(full_name="Ana Reyes"), Person(full_name="Bai Lumna")
    handle(session, settings, ana.announced(), bai.announced())
    for record_type in ("task", "ppa", "assessment", "need", "event"):
        comment_id = uuid.uuid4()
        posted = _posted(comment_id, ana, [bai], record_type=record_type)
        handle(session, settings, event(COMMENT_POSTED, posted, comment_id))
    assert [n.title.split(" \u201c")[0] for n in inbox(session, bai)] == [
        f"Ana Reyes mentioned you on {what}"
        for what in ("task", "PPA", "assessment", "need", "event")
    ]


def test_mentions_are_a_kind_people_choose_a_channel_for() -> None:
    assert KINDS[Kind.MENTIONED].default is Channel.BOTH
    assert KINDS[Kind.MENTIONED].label == "Someone mentions me in a comment"
    assert set(KINDS) == set(NotificationKind)
