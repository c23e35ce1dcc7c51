"""Tombstones: the records a consumer knows were deleted elsewhere.

The inbox makes a redelivered event a no-op; a tombstone does the same for the events of a
record handled after its deletion: a ``ppa.updated`` retried, taken by another worker thread
at the same time, or delivered after the ``ppa.deleted``. Once a consumer has handled the
deletion of a record, no event of the record's family changes anything there any more, and
a deletion handled before the record's creation still wins.

A service whose handlers keep (or act on) what another service deletes opts in: the table
in its metadata (``tombstones = Tombstones(tombstone_table(Base.metadata))``; its migration
`bus.migration_ops.create_tombstone_table`) and its handlers wrapped by
`Tombstones.guarding`, given the deletion events that bury a record.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, DateTime, MetaData, String, Table, Uuid, exists, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from obcms_platform.bus.consumer import Handler
from obcms_platform.bus.envelope import Event
from obcms_platform.contracts import EventContract
from obcms_platform.records import serialise


def tombstone_table(metadata: MetaData) -> Table:
    """The service's `deleted_subjects` table, in its own metadata."""
    return Table(
        "deleted_subjects",
        metadata,
        # The deleted record's event family (``ppa``, ``leave``): its events are the ones
        # ignored.
        Column("subject_kind", String(32), primary_key=True),
        Column("subject_id", Uuid, primary_key=True),
        Column("deleted_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


@dataclass(frozen=True)
class Tombstones:
    """A consumer's tombstones: its `tombstone_table`."""

    table: Table

    def guarding(
        self, handlers: Mapping[str, Handler], deletions: Iterable[EventContract[Any]]
    ) -> dict[str, Handler]:
        """`handlers`, each of an event of the family of one of `deletions` guarded: it runs
        under the record's lock (`records.serialise`: the record's events are handled one
        at a time) and only while the record has no tombstone; a deletion's handler leaves
        one. Other handlers are left as they are."""
        burying = {contract.family: contract.name for contract in deletions}
        guarded: dict[str, Handler] = {}
        for event_type, handler in handlers.items():
            family = event_type.partition(".")[0]
            if family in burying:
                handler = self._guard(handler, family, buries=burying[family] == event_type)
            guarded[event_type] = handler
        return guarded

    def buried(self, session: Session, family: str, subject_id: uuid.UUID) -> bool:
        """Whether the deletion of the record `subject_id` of `family` was handled here."""
        table = self.table
        return bool(
            session.scalar(
                select(
                    exists().where(table.c.subject_kind == family, table.c.subject_id == subject_id)
                )
            )
        )

    def _guard(self, handler: Handler, family: str, *, buries: bool) -> Handler:
        def guarded(session: Session, event: Event) -> None:
            if event.subject_id is None:  # a release that named no record: its handler decides
                handler(session, event)
                return
            # Taken before reading the tombstone: a deletion handled at the same time is
            # committed, and seen, by the time the lock is ours.
            serialise(session, event.subject_id)
            if self.buried(session, family, event.subject_id):
                return
            if buries:
                session.execute(
                    insert(self.table).values(subject_kind=family, subject_id=event.subject_id)
                )
            handler(session, event)

        guarded.__name__ = getattr(handler, "__name__", guarded.__name__)
        guarded.__doc__ = handler.__doc__
        return guarded
