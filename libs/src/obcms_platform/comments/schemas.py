"""What a comment's writes take and what its reads answer."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field

from obcms_platform.schemas import RequestModel, TextWithoutNul, deduplicated

MAX_BODY_LENGTH = 10_000
MAX_MENTIONS = 20

CommentBody = Annotated[TextWithoutNul, Field(min_length=1, max_length=MAX_BODY_LENGTH)]
MentionIds = Annotated[
    list[uuid.UUID], Field(max_length=MAX_MENTIONS), AfterValidator(deduplicated)
]


class CommentCreate(RequestModel):
    """A comment: its Markdown (trimmed, 1 to 10,000 characters) and the people it mentions
    (at most 20; a person named twice counts once)."""

    body: CommentBody
    mention_ids: MentionIds = []


class CommentUpdate(CommentCreate):
    """An edit replaces the comment's text and its mentions (those not sent are dropped)."""


class CommentRead(BaseModel):
    """A comment as the API answers it. A deleted one keeps its place in the stream but no
    text: `body` and `body_html` are null, `deleted_at` and `deleted_by` say when and by
    whom. `body_html` is the Markdown as sanitised HTML, for a page to show as it is;
    `editable_until` is when its author can no longer edit it (null once deleted)."""

    id: uuid.UUID
    record_type: str
    record_id: uuid.UUID
    author_id: uuid.UUID
    body: str | None
    body_html: str | None
    mention_ids: list[uuid.UUID]
    created_at: datetime
    edited_at: datetime | None
    deleted_at: datetime | None
    deleted_by: uuid.UUID | None
    editable_until: datetime | None
    version: int
