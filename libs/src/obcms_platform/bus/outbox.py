"""Writing events: into the outbox, in the caller's transaction."""

from __future__ import annotations

import uuid

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from obcms_platform.bus.envelope import Event
from obcms_platform.contracts import EventContract, Payload


class Outbox:
    """A service's outbox: `add` stages an event; it is sent only if the transaction commits."""

    def __init__(self, table: Table, producer: str) -> None:
        self.table = table
        self.producer = producer

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
        if not isinstance(payload, contract.payload):
            raise TypeError(f"{contract.name} carries {contract.payload.__name__}")
        event = Event.new(
            contract.name,
            producer=self.producer,
            subject_id=subject_id,
            data=payload.data(),
            version=version,
        )
        session.execute(
            insert(self.table).values(
                id=event.id, event_type=event.type, payload=event.model_dump(mode="json")
            )
        )
        return event
