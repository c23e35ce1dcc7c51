"""Reading records for writing, and the `q` text filter: one mechanism each for every service.

`locked` is how a write loads its record: row-locked (SELECT … FOR UPDATE) so that concurrent
writers queue instead of racing, and, given the version the caller read (If-Match), a 412 when
the record changed since. `text_match` is what a list's `q` means everywhere.
"""

from __future__ import annotations

import uuid
from typing import Any, Protocol, TypeVar

from sqlalchemy import ColumnElement, and_, or_, true
from sqlalchemy.orm import QueryableAttribute, Session

from obcms_platform.errors import NotFoundError, PreconditionFailedError


class Versioned(Protocol):
    """A row with a `version` (SQLAlchemy's `version_id_col`)."""

    @property
    def version(self) -> int: ...


VersionedRow = TypeVar("VersionedRow", bound=Versioned)


def locked(
    session: Session,
    model: type[VersionedRow],
    row_id: uuid.UUID,
    expected_version: int | None = None,
    *,
    what: str,
) -> VersionedRow:
    """The record `row_id` of `model` (`what` in messages), row-locked for writing: 404 when
    there is none; with `expected_version` (If-Match), 412 when it is at another version."""
    row = session.get(model, row_id, with_for_update=True)
    if row is None:
        raise NotFoundError(what, row_id)
    if expected_version is not None and row.version != expected_version:
        raise PreconditionFailedError(
            f"{what} {row_id} is at version {row.version}, not {expected_version}; reload it"
        )
    return row


def _escape_like(value: str) -> str:
    # LIKE wildcards typed by the user are searched for literally.
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def text_match(
    q: str, *columns: ColumnElement[Any] | QueryableAttribute[Any]
) -> ColumnElement[bool]:
    """Every whitespace-separated word of `q`, in any order, occurs in at least one of
    `columns` (case-insensitive); a blank `q` matches everything."""
    words = [
        or_(*(column.ilike(f"%{_escape_like(word)}%", escape="\\") for column in columns))
        for word in q.split()
    ]
    return and_(true(), *words)
