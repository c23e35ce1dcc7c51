"""Writing events: into the outbox, in the caller's transaction."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    Connection,
    Select,
    String,
    Table,
    Uuid,
    bindparam,
    func,
    insert,
    literal_column,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Session

from obcms_platform.bus.envelope import Event
from obcms_platform.contracts import EventContract, Payload

# Every outbox insert notifies this channel (PostgreSQL delivers it at commit, and not at all
# on rollback); the relay LISTENs on it instead of polling (`relay.OutboxListener`).
OUTBOX_CHANNEL = "obcms_outbox"


def notify_relay(session: Session | Connection) -> None:
    """Wake the relay at commit: rows were made unpublished other than by `Outbox.add_all`,
    or the relay is stopping."""
    session.execute(select(func.pg_notify(OUTBOX_CHANNEL, "")))


class Outbox:
    """A service's outbox: `add` stages an event; it is sent only if the transaction commits."""

    def __init__(self, table: Table, producer: str) -> None:
        self.table = table
        self.producer = producer
        self._insert = _staging_statement(table)

    def add(
        self,
        session: Session,
        contract: EventContract[Payload],
        payload: Payload,
        *,
        subject_id: uuid.UUID | None,
        version: int = 1,
    ) -> Event:
        """Stage an event of `contract`'s type carrying `payload` (its declared model)."""
        (event,) = self.add_all(session, contract, [(payload, subject_id)], version=version)
        return event

    def add_all(
        self,
        session: Session,
        contract: EventContract[Payload],
        staged: Iterable[tuple[Payload, uuid.UUID | None]],
        *,
        version: int = 1,
    ) -> list[Event]:
        """Stage one event of `contract`'s type per (payload, subject id), in one statement:
        a change of many records (ten generated tasks) costs one round trip, not ten."""
        events = []
        for payload, subject_id in staged:
            if not isinstance(payload, contract.payload):
                raise TypeError(f"{contract.name} carries {contract.payload.__name__}")
            events.append(
                Event.new(
                    contract.name,
                    producer=self.producer,
                    subject_id=subject_id,
                    data=payload.data(),
                    version=version,
                )
            )
        if events:
            session.execute(
                self._insert,
                {
                    "ids": [event.id for event in events],
                    "types": [event.type for event in events],
                    "payloads": [event.model_dump(mode="json") for event in events],
                },
            )
        return events


def _staging_statement(table: Table) -> Select[Any]:
    """The insert of a batch of events into `table` (their ids, types and payloads given as
    three arrays, ``ids``, ``types`` and ``payloads``) and the relay's notification, in one
    round trip: a data-modifying CTE always runs to completion, whatever the outer query
    reads of it. One statement for any number of events, compiled once (rows written into
    ``VALUES`` made a statement SQLAlchemy cannot cache, compiled again at every write)."""
    rows = (
        func.unnest(
            bindparam("ids", type_=ARRAY(Uuid)),
            bindparam("types", type_=ARRAY(String)),
            bindparam("payloads", type_=ARRAY(JSONB)),
        )
        .table_valued("id", "event_type", "payload")
        .render_derived()
    )
    inserted = (
        insert(table)
        .from_select(
            ["id", "event_type", "payload"],
            select(rows.c.id, rows.c.event_type, rows.c.payload),
        )
        .returning(literal_column("1"))
        .cte("inserted")
    )
    return select(func.pg_notify(OUTBOX_CHANNEL, "")).select_from(inserted).limit(1)
