"""Consuming events: one effect per (consumer, event id), whatever the redeliveries; failures
leave nothing behind and end as dead letters."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from obcms_platform.bus import Event
from obcms_platform.bus.consumer import EventConsumer, Handler, Outcome


def _payload(event_type: str = "ppa.created") -> dict[str, Any]:
    event = Event.new(event_type, producer="portfolio", subject_id=uuid.uuid4(), data={})
    return event.model_dump(mode="json")


def _consumer(bus_db: Any, handlers: dict[str, Handler]) -> EventConsumer:
    return EventConsumer("tasks", bus_db.database, bus_db.tables, handlers)


def _record(bus_db: Any) -> Handler:
    def record(session: Session, event: Event) -> None:
        session.execute(insert(bus_db.effects).values(event_id=event.id, event_type=event.type))

    return record


def _count(bus_db: Any, table: Any) -> int:
    with bus_db.database.session() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def test_a_redelivered_event_takes_effect_once(bus_db) -> None:
    consumer = _consumer(bus_db, {"ppa.created": _record(bus_db)})
    payload = _payload()
    assert consumer.handle(payload) is Outcome.HANDLED
    assert consumer.handle(payload) is Outcome.DUPLICATE
    assert consumer.handle(_payload()) is Outcome.HANDLED
    assert _count(bus_db, bus_db.effects) == 2
    with bus_db.database.session() as session:
        inbox = session.execute(select(bus_db.tables.inbox)).all()
    assert {(row.consumer, row.event_type) for row in inbox} == {("tasks", "ppa.created")}
    assert str(payload["id"]) in {str(row.event_id) for row in inbox}


def test_the_same_event_for_another_consumer_is_its_own(bus_db) -> None:
    payload = _payload()
    assert _consumer(bus_db, {"ppa.created": lambda s, e: None}).handle(payload) is (
        Outcome.HANDLED
    )
    other = EventConsumer(
        "gateway", bus_db.database, bus_db.tables, {"ppa.created": _record(bus_db)}
    )
    assert other.handle(payload) is Outcome.HANDLED
    assert _count(bus_db, bus_db.tables.inbox) == 2


def test_a_failing_handler_leaves_no_trace_and_the_retry_applies(bus_db) -> None:
    attempts: list[uuid.UUID] = []
    record = _record(bus_db)

    def flaky(session: Session, event: Event) -> None:
        record(session, event)  # written, then undone with the failure
        attempts.append(event.id)
        if len(attempts) == 1:
            raise RuntimeError("the database said no")

    consumer = _consumer(bus_db, {"ppa.created": flaky})
    payload = _payload()
    with pytest.raises(RuntimeError, match="said no"):
        consumer.handle(payload)
    assert (_count(bus_db, bus_db.effects), _count(bus_db, bus_db.tables.inbox)) == (0, 0)
    assert consumer.handle(payload) is Outcome.HANDLED
    assert (_count(bus_db, bus_db.effects), _count(bus_db, bus_db.tables.inbox)) == (1, 1)


def test_an_event_without_handler_is_recorded_as_ignored(bus_db) -> None:
    consumer = _consumer(bus_db, {"ppa.created": _record(bus_db)})
    payload = _payload("ppa.renamed")
    assert consumer.handle(payload) is Outcome.IGNORED
    assert consumer.handle(payload) is Outcome.IGNORED
    with bus_db.database.session() as session:
        (row,) = session.execute(select(bus_db.tables.inbox)).all()
    assert (str(row.event_id), row.event_type) == (payload["id"], "ppa.renamed")
    assert _count(bus_db, bus_db.effects) == 0


def test_a_malformed_envelope_is_refused_before_anything_is_written(bus_db) -> None:
    consumer = _consumer(bus_db, {"ppa.created": _record(bus_db)})
    with pytest.raises(ValidationError):
        consumer.handle({**_payload(), "type": "PPA created"})
    assert _count(bus_db, bus_db.tables.inbox) == 0


def test_dead_letters_keep_the_event_and_count_the_attempts(bus_db) -> None:
    consumer = _consumer(bus_db, {})
    payload = _payload()
    consumer.dead_letter(payload, ValueError("no such PPA"), attempts=6)
    consumer.dead_letter(payload, ValueError("still no such PPA"), attempts=6)
    consumer.dead_letter(["not", "an", "object"], TypeError("what is this"), attempts=1)  # type: ignore[arg-type]
    with bus_db.database.session() as session:
        rows = session.execute(
            select(bus_db.tables.dead_letters).order_by(bus_db.tables.dead_letters.c.failed_at)
        ).all()
    parked = {row.event_type: row for row in rows}
    assert set(parked) == {"ppa.created", "unknown"}
    event = parked["ppa.created"]
    assert (str(event.event_id), event.consumer, event.attempts) == (payload["id"], "tasks", 12)
    assert event.error == "ValueError: still no such PPA"
    assert Event.model_validate(event.payload) == Event.model_validate(payload)
    assert parked["unknown"].payload == {"unparsable": "['not', 'an', 'object']"}
