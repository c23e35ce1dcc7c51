"""The redelivery sweeper: a published event that a consumer provably never received (not in
its queue, not held unacknowledged, not in its inbox, not parked as a dead letter) is sent
again to that consumer's queue alone, once."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from psycopg import sql
from sqlalchemy import event, func, insert, update

from obcms_platform.bus import Event
from obcms_platform.bus.sweeper import Redelivery, RedeliverySweeper, held_event_ids
from obcms_platform.bus.topology import SUBSCRIPTIONS, queue_name
from obcms_platform.db import Database


def _published(bus_db: Any, event_type: str, *, published: bool = True) -> uuid.UUID:
    """An outbox row of `event_type`, published a minute ago (or not yet)."""
    event = Event.new(event_type, producer="portfolio", subject_id=None, data={})
    outbox = bus_db.tables.outbox
    with bus_db.database.engine.begin() as connection:
        connection.execute(
            insert(outbox).values(
                id=event.id,
                event_type=event.type,
                payload=event.model_dump(mode="json"),
                published_at=func.now() - timedelta(minutes=1) if published else None,
            )
        )
    return event.id


def _unacked_entry(event_id: uuid.UUID) -> str:
    """A message as kombu's Redis transport keeps it in ``unacked`` while a worker holds it."""
    body = json.dumps([[{"id": str(event_id), "type": "ppa.created"}], {}, {}])
    message = {
        "body": base64.b64encode(body.encode()).decode(),
        "properties": {"body_encoding": "base64"},
    }
    return json.dumps([message, "", "tasks.events"])


def _parked_in_tasks(tables, event_id):
    """The insert of a dead letter: the ppa.created `event_id` the tasks consumer gave up on."""
    return insert(tables.dead_letters).values(
        id=uuid.uuid4(),
        consumer="tasks",
        event_id=event_id,
        event_type="ppa.created",
        payload={},
        error="ValueError",
        attempts=6,
    )


def _sweeper(bus_db, publisher, bus_redis_url) -> RedeliverySweeper:
    """The tasks consumer's sweeper of the portfolio's outbox, for events older than 30 s."""
    return RedeliverySweeper(
        sources={"portfolio": bus_db.database},
        consumers={"tasks": bus_db.database},
        tables=bus_db.tables,
        app=publisher,
        redis_url=bus_redis_url,
        after=timedelta(seconds=30),
    )


def test_only_the_lost_event_is_sent_again_and_only_to_its_consumer(
    bus_db, bus_redis, bus_redis_url, publisher, queued
) -> None:
    handled = _published(bus_db, "ppa.created")
    lost = _published(bus_db, "ppa.created")
    parked = _published(bus_db, "ppa.created")
    held = _published(bus_db, "ppa.created")
    _published(bus_db, "ppa.created", published=False)  # still the relay's to send
    _published(bus_db, "milestone.created")  # no queue of the consumer is bound to it
    tables = bus_db.tables
    with bus_db.database.engine.begin() as connection:
        connection.execute(
            insert(tables.inbox).values(
                consumer="tasks", event_id=handled, event_type="ppa.created"
            )
        )
        connection.execute(_parked_in_tasks(tables, parked))
    bus_redis.hset("unacked", "tag-1", _unacked_entry(held))
    sweeper = _sweeper(bus_db, publisher, bus_redis_url)
    assert sweeper.sweep() == [Redelivery("tasks", "portfolio", lost, "ppa.created")]
    assert queued("tasks") == [str(lost)]
    others = [consumer for consumer in SUBSCRIPTIONS if consumer != "tasks"]
    assert all(bus_redis.llen(queue_name(consumer)) == 0 for consumer in others)

    # Waiting in its queue now: not lost, not sent twice.
    assert sweeper.sweep() == []
    assert queued("tasks") == [str(lost)]


def test_a_dead_letter_replayed_long_ago_without_inbox_row_is_lost_again(
    bus_db, bus_redis, bus_redis_url, publisher
) -> None:
    replayed = _published(bus_db, "ppa.created")
    dead = bus_db.tables.dead_letters
    with bus_db.database.engine.begin() as connection:
        connection.execute(_parked_in_tasks(bus_db.tables, replayed))
    sweeper = _sweeper(bus_db, publisher, bus_redis_url)
    assert sweeper.sweep() == []  # parked: it waits for an operator
    with bus_db.database.engine.begin() as connection:
        connection.execute(update(dead).values(replayed_at=func.now() - timedelta(minutes=5)))
    assert [sent.event_id for sent in sweeper.sweep()] == [replayed]


def test_held_event_ids_reads_our_messages_and_skips_anything_else() -> None:
    ours = uuid.uuid4()
    plain = json.dumps([{"body": json.dumps([[{"id": str(ours)}], {}, {}])}, "", "q"])
    assert held_event_ids([_unacked_entry(ours), plain.encode(), b"junk", "[]"]) == {ours}


def test_one_relay_replica_takes_the_sweep_lock(bus_redis_url, publisher, bus_db) -> None:
    def sweeper() -> RedeliverySweeper:
        return RedeliverySweeper({}, {}, bus_db.tables, publisher, bus_redis_url)

    assert sweeper().try_lock(30) is True
    assert sweeper().try_lock(30) is False


def _taken_by_tasks(bus_db: Any, *event_ids: uuid.UUID) -> None:
    with bus_db.database.engine.begin() as connection:
        for event_id in event_ids:
            connection.execute(
                insert(bus_db.tables.inbox).values(
                    consumer="tasks", event_id=event_id, event_type="ppa.created"
                )
            )


def _inbox_reads(bus_db: Any) -> Callable[[], int]:
    """How many statements have read an inbox since this was called."""
    reads = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "bus_inbox" in statement:
            reads.append(statement)

    event.listen(bus_db.database.engine, "before_cursor_execute", count)
    return lambda: len(reads)


def test_a_sweep_reads_only_what_came_after_the_events_every_consumer_took(
    bus_db, bus_redis, bus_redis_url, publisher
) -> None:
    first = _published(bus_db, "ppa.created")
    recent = _published(bus_db, "ppa.created")
    last = _published(bus_db, "ppa.created")
    _taken_by_tasks(bus_db, first, last)
    outbox = bus_db.tables.outbox
    with bus_db.database.engine.begin() as connection:  # published a moment ago: not due
        connection.execute(
            update(outbox).where(outbox.c.id == recent).values(published_at=func.now())
        )
    sweeper = _sweeper(bus_db, publisher, bus_redis_url)
    assert sweeper.sweep() == []
    # Due now and never taken: found although an event after it was taken.
    with bus_db.database.engine.begin() as connection:
        connection.execute(
            update(outbox)
            .where(outbox.c.id == recent)
            .values(published_at=func.now() - timedelta(minutes=1))
        )
    assert [sent.event_id for sent in sweeper.sweep()] == [recent]
    bus_redis.delete(queue_name("tasks"))  # the tasks worker takes the copy sent again
    _taken_by_tasks(bus_db, recent)
    assert sweeper.sweep() == []  # reads all three, each taken: the mark passes them
    inbox_reads = _inbox_reads(bus_db)
    assert sweeper.sweep() == []
    assert inbox_reads() == 0  # nothing after the mark: no inbox is asked
    lost = _published(bus_db, "ppa.created")
    assert [sent.event_id for sent in sweeper.sweep()] == [lost]
    assert inbox_reads() == 1  # for the new event alone


def test_a_restarted_relay_sweeps_on_from_the_mark_its_predecessor_left(
    bus_db, bus_redis_url, publisher
) -> None:
    taken = [_published(bus_db, "ppa.created") for _ in range(3)]
    _taken_by_tasks(bus_db, *taken)
    assert _sweeper(bus_db, publisher, bus_redis_url).sweep() == []  # the mark passes all three

    # A new relay process, reaching the same database at another address (a new pod IP, a
    # PostgreSQL moved to another port).
    same_database = Database(
        bus_db.database.engine.url.set(host="localhost").render_as_string(hide_password=False),
        pool_size=1,
    )
    restarted = RedeliverySweeper(
        sources={"portfolio": same_database},
        consumers={"tasks": bus_db.database},
        tables=bus_db.tables,
        app=publisher,
        redis_url=bus_redis_url,
        after=timedelta(seconds=30),
    )
    inbox_reads = _inbox_reads(bus_db)
    assert restarted.sweep() == []
    assert inbox_reads() == 0  # the three are behind the mark: no inbox is asked again
    lost = _published(bus_db, "ppa.created")
    assert [sent.event_id for sent in restarted.sweep()] == [lost]
    assert inbox_reads() == 1
    same_database.dispose()


def test_a_mark_made_for_other_consumers_is_not_used(bus_db, bus_redis_url, publisher) -> None:
    taken = _published(bus_db, "ppa.created")
    _taken_by_tasks(bus_db, taken)
    assert _sweeper(bus_db, publisher, bus_redis_url).sweep() == []  # marked for "tasks"

    # The gateway subscribes to events the tasks consumer does not: the tasks consumer's
    # mark says nothing about what the gateway took.
    for_both = RedeliverySweeper(
        sources={"portfolio": bus_db.database},
        consumers={"tasks": bus_db.database, "gateway": bus_db.database},
        tables=bus_db.tables,
        app=publisher,
        redis_url=bus_redis_url,
        after=timedelta(seconds=30),
    )
    inbox_reads = _inbox_reads(bus_db)
    for_both.sweep()
    assert inbox_reads() >= 1  # read from the start of the lookback, not from the mark


def test_a_mark_of_another_database_with_the_same_source_name_is_not_used(
    bus_db, bus_redis_url, publisher, postgres_server
) -> None:
    taken = _published(bus_db, "ppa.created")
    _taken_by_tasks(bus_db, taken)
    assert _sweeper(bus_db, publisher, bus_redis_url).sweep() == []  # marked past `taken`

    # Another installation's portfolio outbox on the same Redis (or this one restored
    # elsewhere): its events before that mark are swept all the same.
    name = f"bus_{uuid.uuid4().hex[:12]}"
    postgres_server.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    other = Database(postgres_server.url(name), pool_size=1)
    try:
        bus_db.tables.outbox.metadata.create_all(other.engine)
        event = Event.new("ppa.created", producer="portfolio", subject_id=None, data={})
        with other.engine.begin() as connection:
            connection.execute(
                insert(bus_db.tables.outbox).values(
                    id=event.id,
                    event_type=event.type,
                    payload=event.model_dump(mode="json"),
                    created_at=func.now() - timedelta(minutes=2),
                    published_at=func.now() - timedelta(minutes=1),
                )
            )
        elsewhere = RedeliverySweeper(
            sources={"portfolio": other},
            consumers={"tasks": other},
            tables=bus_db.tables,
            app=publisher,
            redis_url=bus_redis_url,
            after=timedelta(seconds=30),
        )
        assert [sent.event_id for sent in elsewhere.sweep()] == [event.id]
    finally:
        other.dispose()
        postgres_server.drop_database(name)
