"""Consuming events: the inbox makes a redelivery a no-op; failures end as dead letters."""

from __future__ import annotations

import logging
import time
import traceback
import uuid
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any

from opentelemetry import trace
from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from obcms_platform.bus.envelope import Event
from obcms_platform.bus.metrics import EVENTS_CONSUMED, HANDLE_DURATION
from obcms_platform.bus.tables import BusTables
from obcms_platform.db import Database

logger = logging.getLogger(__name__)
tracer = trace.get_tracer("obcms.bus")

Handler = Callable[[Session, Event], None]


class Outcome(StrEnum):
    HANDLED = "handled"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"
    RETRIED = "retried"
    DEAD_LETTERED = "dead_lettered"


class EventConsumer:
    """Runs one service's handlers with exactly-once effect per (consumer, event id)."""

    def __init__(
        self,
        name: str,
        database: Database,
        tables: BusTables,
        handlers: Mapping[str, Handler],
    ) -> None:
        self.name = name
        self.database = database
        self.tables = tables
        self.handlers = handlers

    def handle(self, payload: Mapping[str, Any]) -> Outcome:
        """Apply the event once; raises what the handler raised (the caller retries)."""
        event = Event.model_validate(payload)
        handler = self.handlers.get(event.type)
        if handler is None:
            # Recorded too: the redelivery sweeper (`sweeper`) takes an event this consumer
            # is subscribed to but has no inbox row for as lost, and would resend it forever.
            with self.database.session() as session:
                session.execute(
                    insert(self.tables.inbox)
                    .values(consumer=self.name, event_id=event.id, event_type=event.type)
                    .on_conflict_do_nothing()
                )
                session.commit()
            return self._count(event.type, Outcome.IGNORED)
        started = time.perf_counter()
        with (
            tracer.start_as_current_span(
                f"handle {event.type}",
                context=event.trace_context(),
                kind=trace.SpanKind.CONSUMER,
                attributes={"messaging.message.id": str(event.id), "obcms.consumer": self.name},
            ),
            self.database.session() as session,
        ):
            claimed = session.scalar(
                insert(self.tables.inbox)
                .values(consumer=self.name, event_id=event.id, event_type=event.type)
                .on_conflict_do_nothing()
                .returning(self.tables.inbox.c.event_id)
            )
            if claimed is None:
                session.rollback()
                return self._count(event.type, Outcome.DUPLICATE)
            handler(session, event)
            session.commit()
        HANDLE_DURATION.labels(self.name, event.type).observe(time.perf_counter() - started)
        return self._count(event.type, Outcome.HANDLED)

    def record_retry(self, event_type: str) -> None:
        self._count(event_type, Outcome.RETRIED)

    def dead_letter(self, payload: Mapping[str, Any], error: BaseException, attempts: int) -> None:
        """Park the event with its error; replaying it later sends it to this consumer again."""
        if not isinstance(payload, Mapping):  # not even an object: keep it for inspection
            payload = {"unparsable": repr(payload)[:10_000]}
        event_id = payload.get("id")
        event_type = str(payload.get("type", "unknown"))[:100]
        try:
            parsed_id = uuid.UUID(str(event_id))
        except ValueError:
            parsed_id = uuid.uuid4()
        message = "".join(traceback.format_exception_only(type(error), error)).strip()
        values = {
            "id": uuid.uuid4(),
            "consumer": self.name,
            "event_id": parsed_id,
            "event_type": event_type,
            "payload": dict(payload),
            "error": message[:4000],
            "attempts": attempts,
        }
        statement = insert(self.tables.dead_letters).values(values)
        with self.database.session() as session:
            session.execute(
                statement.on_conflict_do_update(
                    index_elements=["consumer", "event_id"],
                    set_={
                        "error": statement.excluded.error,
                        "attempts": self.tables.dead_letters.c.attempts
                        + statement.excluded.attempts,
                        "failed_at": func.now(),
                        "replayed_at": None,
                    },
                )
            )
            session.commit()
        logger.error(
            "event dead-lettered",
            extra={"consumer": self.name, "event_id": str(parsed_id), "event_type": event_type},
        )
        self._count(event_type, Outcome.DEAD_LETTERED)

    def _count(self, event_type: str, outcome: Outcome) -> Outcome:
        EVENTS_CONSUMED.labels(self.name, event_type, outcome.value).inc()
        return outcome
