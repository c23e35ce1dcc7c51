"""Writing events: the outbox row is part of the producer's transaction."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.engine.interfaces import CacheStats

from obcms_platform.bus import Event, Outbox
from obcms_platform.contracts import EventContract, EventPayload
from obcms_platform.testing.service_probes import recorded_statements


class Noted(EventPayload):
    title: str


class Other(EventPayload):
    title: str


NOTED = EventContract("ppa.created", Noted)


def test_an_added_event_is_written_with_its_envelope_when_the_transaction_commits(
    bus_db,
) -> None:
    outbox = Outbox(bus_db.tables.outbox, producer="portfolio")
    subject = uuid.uuid4()
    with bus_db.database.session() as session:
        event = outbox.add(session, NOTED, Noted(title="Roads"), subject_id=subject)
        session.commit()
    with bus_db.database.session() as session:
        row = session.execute(select(bus_db.tables.outbox)).one()
    assert (row.id, row.event_type, row.published_at, row.attempts) == (
        event.id,
        "ppa.created",
        None,
        0,
    )
    stored = Event.model_validate(row.payload)
    assert stored == event
    assert (stored.producer, stored.subject_id, stored.data) == (
        "portfolio",
        subject,
        {"title": "Roads"},
    )
    assert Noted.of(stored) == Noted(title="Roads")


def test_a_rolled_back_change_sends_nothing(bus_db) -> None:
    outbox = Outbox(bus_db.tables.outbox, producer="portfolio")
    with bus_db.database.session() as session:
        outbox.add(session, NOTED, Noted(title="Roads"), subject_id=uuid.uuid4())
        session.rollback()
    with bus_db.database.session() as session:
        assert session.scalar(select(func.count()).select_from(bus_db.tables.outbox)) == 0


def test_a_payload_of_another_model_is_refused(bus_db) -> None:
    outbox = Outbox(bus_db.tables.outbox, producer="portfolio")
    with (
        bus_db.database.session() as session,
        pytest.raises(TypeError, match=r"ppa\.created carries Noted"),
    ):
        outbox.add(session, NOTED, Other(title="Roads"), subject_id=None)  # type: ignore[arg-type]


def test_many_events_are_staged_in_one_statement_each_with_its_subject(bus_db) -> None:
    outbox = Outbox(bus_db.tables.outbox, producer="tasks")
    subjects = [uuid.uuid4() for _ in range(10)]
    with bus_db.database.session() as session:
        with recorded_statements(bus_db.database.engine) as recorded:
            events = outbox.add_all(
                session, NOTED, [(Noted(title=f"Task {n}"), s) for n, s in enumerate(subjects)]
            )
        session.commit()
    # One round trip: the rows and the relay's wake-up notification together.
    assert len(recorded) == 1, recorded
    assert "INSERT INTO bus_outbox" in recorded[0][0]
    assert "pg_notify" in recorded[0][0]
    with bus_db.database.session() as session:
        stored = {
            Event.model_validate(payload).subject_id: Event.model_validate(payload)
            for payload in session.scalars(select(bus_db.tables.outbox.c.payload))
        }
    assert stored == {event.subject_id: event for event in events}
    assert [stored[s].data["title"] for s in subjects] == [f"Task {n}" for n in range(10)]
    with bus_db.database.session() as session:
        assert outbox.add_all(session, NOTED, []) == []


def test_staging_any_number_of_events_reuses_one_compiled_statement(bus_db) -> None:
    """Every write of every service stages events: their statement is compiled once, not
    at each write (as rows spelt into VALUES were)."""
    outbox = Outbox(bus_db.tables.outbox, producer="tasks")
    hits: list[object] = []

    def note(_conn, _cursor, _statement, _parameters, context, _executemany) -> None:
        if "bus_outbox" in _statement:
            hits.append(context.cache_hit)

    event.listen(bus_db.database.engine, "before_cursor_execute", note)
    try:
        with bus_db.database.session() as session:
            for count in (1, 1, 3, 10):
                outbox.add_all(session, NOTED, [(Noted(title='it\'s "quoted"'), None)] * count)
            session.commit()
    finally:
        event.remove(bus_db.database.engine, "before_cursor_execute", note)
    first, *later = hits
    assert first in (CacheStats.CACHE_MISS, CacheStats.CACHE_HIT)
    assert later == [CacheStats.CACHE_HIT] * 3
    with bus_db.database.session() as session:
        titles = session.scalars(select(bus_db.tables.outbox.c.payload["data"]["title"].astext))
        assert list(titles) == ['it\'s "quoted"'] * 15
