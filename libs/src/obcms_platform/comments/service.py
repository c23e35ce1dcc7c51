"""What a service does with the comments on its records. Functions take a session and never
commit; the route does.

A comment is posted on a record that exists (404 naming it otherwise), edited by its author
for a short while after posting (`comment_edit_window_seconds`; later, or once deleted, 409),
and deleted softly: its text goes, its place in the stream stays. Posting announces
``comment.posted`` with everyone it mentions; an edit announces only the people it adds.
Deleting a record deletes its comments in the same transaction, however the record goes.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection, delete, select
from sqlalchemy import event as orm_event
from sqlalchemy.orm import Mapper, Session

from obcms_platform import records
from obcms_platform.auth import Principal
from obcms_platform.bus import Outbox
from obcms_platform.comments.markdown import excerpt, to_html
from obcms_platform.comments.models import CommentColumns
from obcms_platform.comments.schemas import CommentCreate, CommentRead, CommentUpdate
from obcms_platform.contracts import COMMENT_POSTED, CommentPosted
from obcms_platform.errors import ConflictError, NotFoundError
from obcms_platform.links import Record
from obcms_platform.pagination import PageParams, paginate

CommentT = TypeVar("CommentT", bound=CommentColumns)
# A mapper's `after_delete` listener: (mapper, connection, the deleted record).
AfterDelete = Callable[[Mapper[Any], Connection, Any], None]


@dataclass(frozen=True)
class CommentedRecord:
    """A kind of record people comment on: its `record_type` (its links' too), its `model`
    (whose `title` names a record in announcements), its collection's path under the API
    (``ppas``) and what messages call it (``PPA``)."""

    record_type: Record
    model: type[Any]
    collection: str
    what: str


def edit_window_ends(comment: CommentColumns, window: timedelta) -> datetime | None:
    """When `comment` can no longer be edited (None: it is deleted)."""
    return None if comment.deleted_at is not None else comment.created_at + window


def comment_read(comment: CommentColumns, window: timedelta) -> CommentRead:
    """`comment` as the API answers it: a deleted one without its text."""
    deleted = comment.deleted_at is not None
    return CommentRead(
        id=comment.id,
        record_type=comment.record_type,
        record_id=comment.record_id,
        author_id=comment.author_id,
        body=None if deleted else comment.body,
        body_html=None if deleted else to_html(comment.body),
        mention_ids=list(comment.mention_ids),
        created_at=comment.created_at,
        edited_at=comment.edited_at,
        deleted_at=comment.deleted_at,
        deleted_by=comment.deleted_by,
        editable_until=edit_window_ends(comment, window),
        version=comment.version,
    )


class Comments(Generic[CommentT]):
    """One service's comments: its `model` (its `comments` table), the `outbox` announcing
    them, and the kinds of record they are on (`on`), whose deletion deletes their comments."""

    def __init__(
        self, model: type[CommentT], outbox: Outbox, on: Iterable[CommentedRecord]
    ) -> None:
        self.model = model
        self.outbox = outbox
        self.on = tuple(on)
        for record in self.on:
            orm_event.listen(record.model, "after_delete", self._forgetting(record))

    def _forgetting(
        self, record: CommentedRecord
    ) -> Callable[[Mapper[Any], Connection, Any], None]:
        table = self.model.__table__  # type: ignore[attr-defined]

        def forget(_: Mapper[Any], connection: Connection, deleted: Any) -> None:
            connection.execute(
                delete(table).where(
                    table.c.record_type == record.record_type.value,
                    table.c.record_id == deleted.id,
                )
            )

        return forget

    def list(
        self, session: Session, on: CommentedRecord, record_id: uuid.UUID, page: PageParams
    ) -> tuple[list[CommentT], int]:
        """The record's comments, newest first (404 when there is no such record)."""
        records.columns_or_404(session, on.model, record_id, on.model.id, what=on.what)
        statement = (
            select(self.model)
            .where(
                self.model.record_type == on.record_type.value,
                self.model.record_id == record_id,
            )
            .order_by(self.model.created_at.desc(), self.model.id)
        )
        return paginate(session, statement, page)

    def create(
        self,
        session: Session,
        on: CommentedRecord,
        record_id: uuid.UUID,
        data: CommentCreate,
        principal: Principal,
    ) -> CommentT:
        # Held until the commit: a deletion of the record waits, then deletes this comment
        # too (or, first, leaves nothing to comment on: 404).
        title = session.scalar(
            select(on.model.title).where(on.model.id == record_id).with_for_update(key_share=True)
        )
        if title is None:
            raise NotFoundError(on.what, record_id)
        # The mixin declares the columns; the model (a declarative class) takes them by name.
        new_comment: Callable[..., CommentT] = self.model
        comment = new_comment(
            id=uuid.uuid4(),
            record_type=on.record_type.value,
            record_id=record_id,
            author_id=principal.user_id,
            body=data.body,
            mention_ids=list(data.mention_ids),
        )
        records.insert_row(session, comment)
        self._announce(session, comment, title, data.mention_ids)
        return comment

    def edit(
        self,
        session: Session,
        on: CommentedRecord,
        record_id: uuid.UUID,
        comment_id: uuid.UUID,
        changes: CommentUpdate,
        *,
        expected_version: int | None,
        window: timedelta,
    ) -> CommentT:
        """Replace the comment's text and mentions; the people it did not mention before are
        told. Only within `window` of its posting, and never once deleted."""
        comment = self._locked(session, on, record_id, comment_id, expected_version)
        if comment.deleted_at is not None:
            raise ConflictError("a deleted comment cannot be edited")
        if datetime.now(UTC) > comment.created_at + window:
            minutes = round(window.total_seconds() / 60)
            raise ConflictError(f"comments can be edited for {minutes} minutes after posting")
        added = [person for person in changes.mention_ids if person not in comment.mention_ids]
        comment.body = changes.body
        comment.mention_ids = list(changes.mention_ids)
        comment.edited_at = datetime.now(UTC)
        session.flush()
        if added:
            title = session.scalar(select(on.model.title).where(on.model.id == record_id))
            self._announce(session, comment, title or "", added)
        return comment

    def delete(
        self,
        session: Session,
        on: CommentedRecord,
        record_id: uuid.UUID,
        comment_id: uuid.UUID,
        principal: Principal,
        *,
        expected_version: int | None,
    ) -> None:
        """Delete the comment's text, leaving "deleted" in its place. Deleting it again
        changes nothing (a retried request succeeds, whatever version it names)."""
        comment = self._locked(session, on, record_id, comment_id, None)
        if comment.deleted_at is not None:
            return
        records.check_version(comment, comment_id, expected_version, what="comment")
        comment.body = ""
        comment.mention_ids = []
        comment.deleted_at = datetime.now(UTC)
        comment.deleted_by = principal.user_id
        session.flush()

    def _locked(
        self,
        session: Session,
        on: CommentedRecord,
        record_id: uuid.UUID,
        comment_id: uuid.UUID,
        expected_version: int | None,
    ) -> CommentT:
        """The comment, row-locked, as `records.locked` finds it; 404 too when it is not on
        this record."""
        comment = records.locked(session, self.model, comment_id, expected_version, what="comment")
        if comment.record_type != on.record_type.value or comment.record_id != record_id:
            raise NotFoundError("comment", comment_id)
        return comment

    def _announce(
        self, session: Session, comment: CommentT, title: str, mention_ids: Iterable[uuid.UUID]
    ) -> None:
        posted = CommentPosted(
            comment_id=comment.id,
            record_type=comment.record_type,
            record_id=comment.record_id,
            record_title=title,
            author_id=comment.author_id,
            mention_ids=list(mention_ids),
            excerpt=excerpt(comment.body),
        )
        self.outbox.add(session, COMMENT_POSTED, posted, subject_id=comment.id)
