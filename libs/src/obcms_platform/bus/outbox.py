"""Writing events: into the outbox, in the caller's transaction."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from obcms_platform.bus.envelope import Event


class Outbox:
    """A service's outbox: `add` stages an event; it is sent only if the transaction commits."""

    def __init__(self, table: Table, producer: str) -> None:
        self.table = table
        self.producer = producer

    def add(
        self,
        session: Session,
        event_type: str,
        *,
        subject_id: uuid.UUID | None,
        data: dict[str, Any],
        version: int = 1,
    ) -> Event:
        event = Event.new(
            event_type, producer=self.producer, subject_id=subject_id, data=data, version=version
        )
        session.execute(
            insert(self.table).values(
                id=event.id, event_type=event.type, payload=event.model_dump(mode="json")
            )
        )
        return event
