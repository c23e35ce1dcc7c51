"""Change history: who changed which field of which record, from what to what, when and why.

Written in the transaction of the change, like the outbox: a service declares its history
table (`history_table`) and the records it keeps the history of (`RecordHistory.keep`), and
every flush of one of those records adds its entries, whichever code path changed it; a
change the ORM does not see (a set-based UPDATE or INSERT) adds its own with
`RecordHistory.add`. Who:
the user of the API write (`Writes` marks the session with `acting_as`), else nobody (an
automatic change). Why: what the code doing the change says with `because` ("generated from
PPA …", a bulk edit's label), else nothing.

The table is append-only: its migration (`migration_ops.create_history_table`) adds a trigger
that refuses every UPDATE and DELETE, so not even a bug of the service can rewrite the past.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic_core import to_jsonable_python
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
    event,
    func,
    insert,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session, UOWTransaction
from sqlalchemy.orm.attributes import instance_state

from obcms_platform.pagination import Page, PageParams

ACTOR = "obcms.history.actor"
CAUSE = "obcms.history.cause"
# Kept by the Versioned and Authored mixins and the timestamps: every change moves them, and
# who and when are the entry's own columns.
BOOKKEEPING = frozenset({"id", "version", "created_at", "updated_at", "created_by", "updated_by"})


class Action:
    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"


def history_table(metadata: MetaData) -> Table:
    """The service's `record_history` table, in its own metadata (its migration creates it)."""
    return Table(
        "record_history",
        metadata,
        # The order of the changes, also within one transaction (whose rows share `at`).
        Column("seq", BigInteger, Identity(always=True), primary_key=True),
        Column("record_type", String(50), nullable=False),
        Column("record_id", Uuid, nullable=False),
        # The record's version after the change (its ETag then); null for unversioned records.
        Column("record_version", Integer),
        Column("action", String(20), nullable=False),
        Column("actor_id", Uuid),
        Column("cause", Text),
        Column("changes", JSONB, nullable=False),
        Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Index("ix_record_history__record", "record_type", "record_id", "at"),
        Index("ix_record_history__at", "at"),
    )


def acting_as(session: Session, user_id: uuid.UUID | None) -> None:
    """The changes `session` flushes from now on are `user_id`'s (None: automatic)."""
    session.info[ACTOR] = user_id


@contextlib.contextmanager
def because(session: Session, cause: str | None) -> Iterator[None]:
    """The changes `session` flushes inside the block are made for `cause` (None: for no
    stated reason)."""
    previous = session.info.get(CAUSE)
    session.info[CAUSE] = cause
    try:
        yield
    finally:
        session.info[CAUSE] = previous


class FieldChange(BaseModel):
    """One field of one change: `old` and `new` as JSON; long text keeps only the new text; a
    `redacted` field (a password) says only that it changed."""

    field: str
    old: Any = None
    new: Any = None
    redacted: bool = False


class HistoryEntry(BaseModel):
    """One change of a record, as the API answers it."""

    model_config = ConfigDict(from_attributes=True)

    at: datetime
    action: str
    actor_id: uuid.UUID | None
    cause: str | None
    record_version: int | None
    changes: list[FieldChange]


@dataclass(frozen=True)
class KeptRecord:
    """A model whose history is kept: its `record_type` (``task``), its fields whose values
    only some may read (`private`, masked by `RecordHistory.entries`), those whose change is
    recorded without any value (`redacted`: a password's hash, whose reset auditors must see)
    and those never written to the history at all (`unrecorded`: other secrets, and what
    changes without anyone changing the record)."""

    record_type: str
    private: frozenset[str] = frozenset()
    unrecorded: frozenset[str] = frozenset()
    redacted: frozenset[str] = frozenset()


@dataclass(frozen=True)
class RecordChange:
    """A change the ORM did not flush: the record, its version after it, and each changed
    field's (old, new) value."""

    record_id: uuid.UUID
    record_version: int | None
    fields: dict[str, tuple[Any, Any]]


@dataclass
class RecordHistory:
    """A service's history: its table and the models it keeps the history of."""

    table: Table
    kept: dict[type[Any], KeptRecord] = field(default_factory=dict)

    def keep(
        self,
        model: type[Any],
        record_type: str,
        *,
        private: Iterable[str] = (),
        unrecorded: Iterable[str] = (),
        redacted: Iterable[str] = (),
    ) -> None:
        """Keep the history of `model`'s records (``task``), from the next flush on."""
        if not self.kept:
            event.listen(Session, "after_flush", self._after_flush)
        self.kept[model] = KeptRecord(
            record_type, frozenset(private), frozenset(unrecorded), frozenset(redacted)
        )

    def add(
        self,
        session: Session,
        model: type[Any],
        changes: Iterable[RecordChange],
        action: str = Action.UPDATED,
    ) -> None:
        """Add the entries of changes of `model`'s records that no flush made (a set-based
        statement's), in the session's transaction, by its actor, for its cause."""
        kept = self.kept[model]
        self._insert(
            session,
            [
                self._row(
                    session,
                    kept,
                    change.record_id,
                    change.record_version,
                    action,
                    [
                        _field_change(name, old, new, long_text=False)
                        for name, (old, new) in change.fields.items()
                        if name not in kept.unrecorded
                    ],
                )
                for change in changes
            ],
        )

    def _after_flush(self, session: Session, _: UOWTransaction) -> None:
        # After the flush the versions are the new ones, and until the flush ends each
        # attribute's history still holds its value before.
        self._insert(
            session,
            [
                *self._entries(session, session.new, Action.CREATED),
                *self._entries(session, session.dirty, Action.UPDATED),
                *self._entries(session, session.deleted, Action.DELETED),
            ],
        )

    def _insert(self, session: Session, rows: list[dict[str, Any]]) -> None:
        if rows:
            session.connection().execute(insert(self.table), rows)

    @staticmethod
    def _row(
        session: Session,
        kept: KeptRecord,
        record_id: uuid.UUID,
        record_version: int | None,
        action: str,
        changes: list[dict[str, Any]],
    ) -> dict[str, Any]:
        return {
            "record_type": kept.record_type,
            "record_id": record_id,
            "record_version": record_version,
            "action": action,
            "actor_id": session.info.get(ACTOR),
            "cause": session.info.get(CAUSE),
            "changes": changes,
        }

    def _entries(
        self, session: Session, records: Iterable[object], action: str
    ) -> Iterable[dict[str, Any]]:
        for record in records:
            kept = self.kept.get(type(record))
            if kept is None:
                continue
            changes = _changes(record, action, kept)
            if action == Action.UPDATED and not changes:
                continue
            yield self._row(
                session,
                kept,
                getattr(record, "id"),  # noqa: B009 - any kept record
                getattr(record, "version", None),
                action,
                changes,
            )

    def change_that_set(
        self, session: Session, record_type: str, record_id: uuid.UUID, name: str, value: Any
    ) -> list[dict[str, Any]]:
        """The field changes of the record's latest entry that set its field `name` to `value`
        (JSON, as stored); none when no entry did."""
        table = self.table
        changes: list[dict[str, Any]] | None = session.scalar(
            select(table.c.changes)
            .where(
                table.c.record_type == record_type,
                table.c.record_id == record_id,
                table.c.changes.contains([{"field": name, "new": to_jsonable_python(value)}]),
            )
            .order_by(table.c.seq.desc())
            .limit(1)
        )
        return changes or []

    def entries(
        self,
        session: Session,
        record_type: str,
        record_id: uuid.UUID,
        params: PageParams,
        *,
        may_read_private: bool,
    ) -> Page[HistoryEntry]:
        """The record's history, newest first; its private fields' values masked (None) unless
        `may_read_private`."""
        table = self.table
        of_record = (table.c.record_type == record_type, table.c.record_id == record_id)
        total = session.scalar(select(func.count()).select_from(table).where(*of_record)) or 0
        rows = session.execute(
            select(table)
            .where(*of_record)
            .order_by(table.c.seq.desc())
            .limit(params.limit)
            .offset(params.offset)
        ).all()
        private = next(
            (kept.private for kept in self.kept.values() if kept.record_type == record_type),
            frozenset(),
        )
        items = [
            HistoryEntry(
                at=row.at,
                action=row.action,
                actor_id=row.actor_id,
                cause=row.cause,
                record_version=row.record_version,
                changes=[
                    FieldChange(field=change["field"])
                    if change["field"] in private and not may_read_private
                    else FieldChange.model_validate(change)
                    for change in row.changes
                ],
            )
            for row in rows
        ]
        return Page[HistoryEntry].of(items, total, params)


def _changes(record: object, action: str, kept: KeptRecord) -> list[dict[str, Any]]:
    """The kept fields `action` changed on `record`: (field, old, new) as JSON. Columns the
    database computes from others (`Computed`) are left out: their sources are recorded; and
    so are attributes read from other tables (a `column_property` of a subquery)."""
    if action == Action.DELETED:
        return []
    state = instance_state(record)
    changes = []
    for column in state.mapper.column_attrs:
        name = column.key
        stored = column.columns[0]
        if (
            name in BOOKKEEPING
            or name in kept.unrecorded
            or not isinstance(stored, Column)
            or stored.computed is not None
        ):
            continue
        attribute = state.attrs[name]
        long_text = isinstance(column.columns[0].type, Text)
        if action == Action.CREATED:
            old, new = None, attribute.value
            if new in (None, "", []):
                continue
        else:
            history = attribute.history
            if not history.has_changes():
                continue
            old = history.deleted[0] if history.deleted else None
            new = history.added[0] if history.added else None
            if old == new:
                continue
        if name in kept.redacted:
            changes.append({"field": name, "old": None, "new": None, "redacted": True})
        else:
            changes.append(_field_change(name, old, new, long_text=long_text))
    return changes


def _field_change(name: str, old: Any, new: Any, *, long_text: bool) -> dict[str, Any]:
    """One field's change as stored: JSON values; of long text, only the new text."""
    return {
        "field": name,
        "old": None if long_text else to_jsonable_python(old),
        "new": to_jsonable_python(new),
    }
