"""The outbox relay on a real Redis: each unpublished row reaches the queue of every consumer
bound to its routing key, and is marked published only then."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from sqlalchemy import select, update

from obcms_platform.bus import Outbox
from obcms_platform.bus import relay as relay_module
from obcms_platform.bus.relay import BacklogCollector, OutboxRelay, run_relays
from obcms_platform.bus.topology import SUBSCRIPTIONS, queue_name, subscribes
from obcms_platform.bus.worker import publisher_app
from obcms_platform.contracts import EventContract, EventPayload
from obcms_platform.db import Database
from obcms_platform.testing.timing import deadline


class Changed(EventPayload):
    title: str


CONTRACTS = [EventContract(name, Changed) for name in ("ppa.created", "task.completed")]


def _add(bus_db: Any, count: int = 1) -> list[str]:
    """`count` events of each of `CONTRACTS`, alternating, each written by a transaction of
    its own (rows of one transaction share its time)."""
    outbox = Outbox(bus_db.tables.outbox, producer="portfolio")
    ids = []
    for n in range(count):
        for contract in CONTRACTS:
            with bus_db.database.session() as session:
                event = outbox.add(session, contract, Changed(title=f"#{n}"), subject_id=None)
                session.commit()
            ids.append(str(event.id))
    return ids


def test_published_rows_reach_every_bound_queue_once(bus_db, queued, publisher) -> None:
    ids = _add(bus_db)
    relay = OutboxRelay("portfolio", bus_db.database, bus_db.tables, publisher)
    assert relay.publish_pending() == 2
    assert relay.publish_pending() == 0  # published rows are not sent again
    for consumer in SUBSCRIPTIONS:
        expected = [
            event_id
            for event_id, contract in zip(ids, CONTRACTS, strict=True)
            if subscribes(consumer, contract.name)
        ]
        assert queued(consumer) == expected, consumer
    # Both types have a consumer today; what the test relies on:
    assert queued("tasks") == [ids[0]]
    assert queued("portfolio") == [ids[1]]
    with bus_db.database.session() as session:
        rows = session.execute(select(bus_db.tables.outbox)).all()
    assert all(row.published_at is not None and row.attempts == 1 for row in rows)


def test_rows_go_out_in_batches_in_the_order_they_were_written(bus_db, queued, publisher) -> None:
    ids = _add(bus_db, count=3)
    relay = OutboxRelay("portfolio", bus_db.database, bus_db.tables, publisher, batch_size=4)
    assert [relay.publish_pending() for _ in range(3)] == [4, 2, 0]
    tasks = [event_id for n, event_id in enumerate(ids) if n % 2 == 0]
    assert queued("tasks") == tasks


def _binding_reads(client: Any) -> int:
    stats = client.info("commandstats").get("cmdstat_smembers", {})
    return int(stats.get("calls", 0))


def test_a_batch_reads_the_exchange_bindings_once(bus_db, queued, publisher, bus_redis) -> None:
    """kombu read the exchange's bindings (SMEMBERS) before every event it routed: one
    round trip of the two or three each relayed event cost. Kept by the channel instead."""
    ids = _add(bus_db, count=10)
    relay = OutboxRelay("portfolio", bus_db.database, bus_db.tables, publisher)
    before = _binding_reads(bus_redis)
    assert relay.publish_pending() == 20
    assert _binding_reads(bus_redis) - before == 1
    assert queued("tasks") == ids[0::2]
    assert queued("portfolio") == ids[1::2]


def _redis_replies(client: Any) -> int:
    """How many times Redis has written replies to its clients: once per round trip."""
    return int(client.info("stats")["total_writes_processed"])


def test_a_batch_goes_to_redis_in_one_round_trip(bus_db, queued, publisher, bus_redis) -> None:
    """Each copy of each event was a round trip of its own (an LPUSH per bound queue):
    a relayed event waited for the copies sent before its consumer's."""
    relay = OutboxRelay("portfolio", bus_db.database, bus_db.tables, publisher)
    _add(bus_db)
    assert relay.publish_pending() == 2  # connected, queues declared, bindings read
    # Two events, three copies each: a batch small enough for one read by Redis.
    ids = _add(bus_db)
    before = _redis_replies(bus_redis)
    assert relay.publish_pending() == 2
    # One round trip per copy was 6 (and the reply to the INFO that read `before`); the
    # batch's one may still reach Redis in two reads.
    assert _redis_replies(bus_redis) - before <= 3
    assert queued("tasks")[-1:] == ids[0::2]
    assert queued("portfolio")[-1:] == ids[1::2]


def test_an_unreachable_broker_leaves_the_row_unpublished_with_its_error(bus_db) -> None:
    (first, _) = _add(bus_db)
    # Nothing listens on port 1: the connection is refused at once.
    unreachable = publisher_app("redis://127.0.0.1:1/0")
    relay = OutboxRelay("portfolio", bus_db.database, bus_db.tables, unreachable)
    with pytest.raises(Exception, match=r"(?i)refused|connect"):
        relay.publish_pending()
    relay.reset_broker()
    with bus_db.database.session() as session:
        rows = {str(row.id): row for row in session.execute(select(bus_db.tables.outbox))}
    assert all(row.published_at is None for row in rows.values())
    assert rows[first].attempts == 1
    assert rows[first].last_error


def test_purge_drops_what_is_past_retention_only(bus_db, publisher) -> None:
    old, recent = _add(bus_db)
    relay = OutboxRelay("portfolio", bus_db.database, bus_db.tables, publisher)
    outbox = bus_db.tables.outbox
    with bus_db.database.engine.begin() as connection:
        connection.execute(
            update(outbox)
            .where(outbox.c.id == uuid.UUID(old))
            .values(published_at=outbox.c.created_at - relay.retention * 2)
        )
    relay.purge()
    with bus_db.database.session() as session:
        left = {str(event_id) for event_id in session.scalars(select(outbox.c.id))}
    assert left == {recent}


def _published(bus_db: Any, event_id: str) -> bool:
    outbox = bus_db.tables.outbox
    with bus_db.database.session() as session:
        published_at = session.scalar(
            select(outbox.c.published_at).where(outbox.c.id == uuid.UUID(event_id))
        )
    return published_at is not None


def _eventually(condition: Callable[[], bool], seconds: float) -> bool:
    until = time.monotonic() + deadline(seconds)
    while time.monotonic() < until:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def test_an_idle_relay_sleeps_until_an_insert_wakes_it(bus_db, publisher) -> None:
    relay = OutboxRelay("portfolio", bus_db.database, bus_db.tables, publisher)
    stop = threading.Event()
    # A safety poll far beyond the test: only the inserts' notifications can wake the relay.
    relaying = threading.Thread(
        target=run_relays,
        args=([relay],),
        kwargs={"poll_interval": 600, "stop": stop},
    )
    relaying.start()
    try:
        first, _ = _add(bus_db)
        assert _eventually(lambda: _published(bus_db, first), 10)
        with bus_db.database.session() as session:  # rolled back: notifies nobody
            Outbox(bus_db.tables.outbox, producer="portfolio").add(
                session, CONTRACTS[0], Changed(title="never"), subject_id=None
            )
            session.rollback()
        # The relay is asleep now: the next insert is published well within its poll.
        second, _ = _add(bus_db)
        assert _eventually(lambda: _published(bus_db, second), 10)
    finally:
        stop.set()
        relaying.join(10)
    assert not relaying.is_alive()  # stopping does not wait out the poll


def _thread_wakeups(thread: threading.Thread) -> int:
    """How often `thread` has gone to sleep and been woken so far."""
    status = Path(f"/proc/self/task/{thread.native_id}/status").read_text()
    (line,) = (line for line in status.splitlines() if line.startswith("voluntary_ctxt_switches:"))
    return int(line.split()[1])


def _quiet(thread: threading.Thread, seconds: float) -> bool:
    """Whether `thread` was not woken for `seconds`."""
    before = _thread_wakeups(thread)
    time.sleep(seconds)
    return _thread_wakeups(thread) == before


def test_an_idle_relay_does_not_wake_between_inserts(bus_db, publisher) -> None:
    relay = OutboxRelay("portfolio", bus_db.database, bus_db.tables, publisher)
    stop = threading.Event()
    relaying = threading.Thread(
        target=run_relays, args=([relay],), kwargs={"poll_interval": 600, "stop": stop}
    )
    relaying.start()
    try:
        first, _ = _add(bus_db)
        assert _eventually(lambda: _published(bus_db, first), 10)
        (source,) = (thread for thread in threading.enumerate() if thread.name == "relay-portfolio")
        # Measured once the relay is done with that event (its reading the outbox again and
        # committing take a few round trips after the row shows as published).
        assert _eventually(lambda: _quiet(source, 0.5), 10), "the relay never went quiet"
        before, started = _thread_wakeups(source), time.monotonic()
        time.sleep(2)  # what is measured: the relay while nothing is written
        per_second = (_thread_wakeups(source) - before) / (time.monotonic() - started)
        # Waiting in psycopg's `notifies(timeout=...)` woke it ten times a second.
        assert per_second < 1, per_second
        second, _ = _add(bus_db)
        assert _eventually(lambda: _published(bus_db, second), 10)
    finally:
        stop.set()
        relaying.join(10)
    assert not relaying.is_alive()


def _scrape(registry: CollectorRegistry, name: str, **labels: str) -> float | None:
    return registry.get_sample_value(name, labels)


def test_the_backlog_gauges_are_read_when_scraped(
    bus_db, publisher, bus_redis_url, monkeypatch
) -> None:
    # No relay loop runs: only the scrape itself can see the inserts and the publishing.
    monkeypatch.setattr(relay_module, "SCRAPE_CACHE_SECONDS", 0.0)
    relay = OutboxRelay("portfolio", bus_db.database, bus_db.tables, publisher)
    registry = CollectorRegistry()
    registry.register(BacklogCollector([relay], bus_redis_url))
    assert _scrape(registry, "obcms_bus_outbox_backlog", service="portfolio") == 0
    assert _scrape(registry, "obcms_bus_outbox_oldest_age_seconds", service="portfolio") == 0
    _add(bus_db)
    assert _scrape(registry, "obcms_bus_outbox_backlog", service="portfolio") == 2
    age = _scrape(registry, "obcms_bus_outbox_oldest_age_seconds", service="portfolio")
    assert age is not None
    assert age > 0
    assert relay.publish_pending() == 2
    assert _scrape(registry, "obcms_bus_outbox_backlog", service="portfolio") == 0
    assert _scrape(registry, "obcms_bus_outbox_oldest_age_seconds", service="portfolio") == 0
    assert _scrape(registry, "obcms_bus_dead_letters", service="portfolio") == 0
    # Each event type has one consumer (see the first test): one message in each queue.
    for consumer in ("tasks", "portfolio"):
        assert _scrape(registry, "obcms_bus_queue_length", queue=queue_name(consumer)) == 1


def test_a_burst_of_scrapes_counts_once(bus_db, publisher, bus_redis_url) -> None:
    relay = OutboxRelay("portfolio", bus_db.database, bus_db.tables, publisher)
    registry = CollectorRegistry()
    registry.register(BacklogCollector([relay], bus_redis_url))
    assert _scrape(registry, "obcms_bus_outbox_backlog", service="portfolio") == 0
    _add(bus_db)
    # Within SCRAPE_CACHE_SECONDS the first scrape's counts answer again...
    assert _scrape(registry, "obcms_bus_outbox_backlog", service="portfolio") == 0
    # ... and after it the next scrape counts afresh.
    assert _eventually(
        lambda: _scrape(registry, "obcms_bus_outbox_backlog", service="portfolio") == 2,
        10 * relay_module.SCRAPE_CACHE_SECONDS,
    )


def test_a_source_or_redis_that_cannot_be_read_is_left_out_of_the_scrape(bus_db, publisher) -> None:
    readable = OutboxRelay("portfolio", bus_db.database, bus_db.tables, publisher)
    # Nothing listens on port 1: the database of this source is down.
    down = Database("postgresql+psycopg://relay@127.0.0.1:1/tasks", pool_size=1)
    unreadable = OutboxRelay("tasks", down, bus_db.tables, publisher)
    registry = CollectorRegistry()
    registry.register(BacklogCollector([readable, unreadable], "redis://127.0.0.1:1/0"))
    try:
        assert _scrape(registry, "obcms_bus_outbox_backlog", service="portfolio") == 0
        assert _scrape(registry, "obcms_bus_outbox_backlog", service="tasks") is None
        assert _scrape(registry, "obcms_bus_queue_length", queue=queue_name("tasks")) is None
    finally:
        down.dispose()
