"""Reading, changing and listing records: one mechanism each for every service.

`get_or_404` is how a read loads its record. `locked` is how a write loads it: row-locked
(SELECT … FOR UPDATE) so that concurrent writers queue instead of racing, and, given the
version the caller read (If-Match), a 412 when the record changed since. `apply_changes` is
how a PATCH lands on it, and `model_of` how its event's payload (or an answer) copies it.
`field_conditions` turns a list's plain filters into conditions, and `text_match` is what a
list's `q` means everywhere.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable, Collection, Mapping
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Row, and_, func, or_, select, true
from sqlalchemy.orm import QueryableAttribute, Session

from obcms_platform.auth import Principal
from obcms_platform.errors import ConflictError, NotFoundError, PreconditionFailedError


class Versioned(Protocol):
    """A row with a `version` (SQLAlchemy's `version_id_col`)."""

    @property
    def version(self) -> int: ...


VersionedRow = TypeVar("VersionedRow", bound=Versioned)
Record = TypeVar("Record")
Found = TypeVar("Found")
Model = TypeVar("Model", bound=BaseModel)


def get_or_404(
    session: Session, model: type[Record], row_id: Any, *, what: str, for_update: bool = False
) -> Record:
    """The record `row_id` of `model` (`what` in messages); 404 when there is none.
    `for_update` row-locks it, for a write to a record without a version."""
    return _found(session.get(model, row_id, with_for_update=for_update), row_id, what)


def columns_or_404(
    session: Session,
    model: type[Any],
    row_id: uuid.UUID,
    *columns: QueryableAttribute[Any],
    what: str,
) -> Row[Any]:
    """Only `columns` of the record `row_id` of `model` (`what` in messages), for a check
    that needs no more of it; 404 when there is none."""
    return _found(session.execute(select(*columns).where(model.id == row_id)).first(), row_id, what)


def _found(row: Found | None, row_id: object, what: str) -> Found:
    if row is None:
        raise NotFoundError(what, row_id)
    return row


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
    row = get_or_404(session, model, row_id, what=what, for_update=True)
    check_version(row, row_id, expected_version, what=what)
    return row


def serialise(session: Session, key: uuid.UUID) -> None:
    """Hold a transaction-long lock named by `key` (a record's or a person's id): transactions
    about the same one take turns (a check then write no row lock can cover, e.g. "no other
    leave of this person overlaps"), others pass."""
    session.execute(
        select(func.pg_advisory_xact_lock(int.from_bytes(key.bytes[:8], "big", signed=True)))
    )


def check_version(
    row: Versioned, row_id: uuid.UUID, expected_version: int | None, *, what: str
) -> None:
    """412 unless `row` (the record `row_id`, `what` in messages) is at `expected_version`
    (If-Match; None: any version)."""
    if expected_version is not None and row.version != expected_version:
        raise PreconditionFailedError(
            f"{what} {row_id} is at version {row.version}, not {expected_version}; reload it"
        )


def new_record(
    model: Callable[..., Record],
    principal: Principal,
    *,
    record_id: uuid.UUID | None = None,
    **values: Any,
) -> Record:
    """A new record of `model` (an `Authored` one) holding `values`, with a fresh id (or
    `record_id`, an imported record's own) and `principal`, whose API write creates it, as
    its creator and last editor."""
    return model(
        **values,
        id=record_id or uuid.uuid4(),
        created_by=principal.user_id,
        updated_by=principal.user_id,
    )


def insert_row(session: Session, row: object) -> None:
    """Insert `row` now (flushed: its defaults are set, and a constraint refusing it answers
    here, not at the commit)."""
    session.add(row)
    session.flush()


def delete_row(session: Session, row: Versioned) -> int:
    """Delete `row` now (flushed: a constraint refusing it answers here, not at the commit)
    and return the version its deletion event carries: one past its last, so that no late
    update of it revives it. Its loaded fields stay readable, to announce it."""
    final_version = row.version + 1
    session.delete(row)
    session.flush()
    return final_version


def apply_changes(
    record: object, values: Mapping[str, Any], *, by: Principal | None = None
) -> None:
    """Set the fields a PATCH sent (`UpdateModel.changes()`) on `record`; `by`, the user
    whose API write this is, is recorded as its `updated_by`. The version moves on when the
    session flushes (SQLAlchemy's `version_id_col`)."""
    if by is not None:
        values = {**values, "updated_by": by.user_id}
    for name, value in values.items():
        setattr(record, name, value)


def ensure_status(current: enum.Enum, allowed: Collection[enum.Enum], *, refused: str) -> None:
    """A 409 naming `status` unless the record's `current` status is one of `allowed`;
    `refused` says what may not be done ("approve a booking")."""
    if current not in allowed:
        raise ConflictError(f"status: cannot {refused} that is {current.value}", field="status")


def decide(
    record: Any,
    to: enum.Enum,
    allowed: Collection[enum.Enum],
    *,
    refused: str,
    by: Principal | None,
    note: str | None,
) -> None:
    """Move `record`'s status to `to`: a 409 unless its status is one of `allowed`
    (`ensure_status`, `refused` saying what). `by`, who decided, is recorded as its
    `approved_by` (None: a move nobody decides, such as a cancellation); `note`, when given,
    is its `decision_note` (the requester's own words stay theirs)."""
    ensure_status(record.status, allowed, refused=refused)
    record.status = to
    if by is not None:
        record.approved_by = by.user_id
    if note:
        record.decision_note = note


def model_of(model: type[Model], source: object, **values: Any) -> Model:
    """A `model` (an event's payload, an answer) of `source`: each field its attribute of the
    same name, but those given in `values` (one `source` keeps under another name or not at
    all). A field `source` lacks raises AttributeError and a value naming no field TypeError:
    a slip, not a silently defaulted field."""
    unknown = values.keys() - model.model_fields.keys()
    if unknown:
        raise TypeError(f"{model.__name__} has no field {', '.join(sorted(unknown))}")
    read = {name: getattr(source, name) for name in model.model_fields.keys() - values.keys()}
    return model.model_validate({**read, **values})


def field_conditions(
    model: type[Any], filters: BaseModel, *names: str
) -> list[ColumnElement[bool]]:
    """One condition for each of the filters `names` that was given, on `model`'s column of
    the same name: a list is any of its values, true/false is that flag, anything else
    equality. Unset (None) and empty-list filters do not filter."""
    conditions: list[ColumnElement[bool]] = []
    for name in names:
        value = getattr(filters, name)
        if value is None or (isinstance(value, list) and not value):
            continue
        column = getattr(model, name)
        if isinstance(value, list):
            conditions.append(column.in_(value))
        elif isinstance(value, bool):
            conditions.append(column.is_(value))
        else:
            conditions.append(column == value)
    return conditions


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
