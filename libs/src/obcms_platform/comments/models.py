"""The columns of a service's `comments` table: ``class Comment(CommentColumns, Base)``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Index, String, Text, Uuid, func, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from obcms_platform.columns import Identified, Versioned

# The order a record's comments are listed in, and how they are found.
RECORD_INDEX = "ix_comments__record_type_record_id_created_at"


class CommentColumns(Identified, Versioned):
    """Mixin: one comment on one record (`record_type` ``ppa``, `record_id`).

    `body` is the author's Markdown, empty once deleted; `mention_ids` the people it names
    (told of it, `comment.posted`). A deleted comment stays in its record's stream, as
    deleted by `deleted_by` at `deleted_at`.
    """

    record_type: Mapped[str] = mapped_column(String(20))
    record_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    author_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    body: Mapped[str] = mapped_column(Text)
    mention_ids: Mapped[list[uuid.UUID]] = mapped_column(
        ARRAY(Uuid), default=list, server_default=text("'{}'")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    edited_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deleted_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:  # noqa: N805 (a declared_attr takes the class)
        return (Index(RECORD_INDEX, "record_type", "record_id", "created_at"),)
