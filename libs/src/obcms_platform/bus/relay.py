"""The outbox relay: publishes each service's unpublished outbox rows, in order.

Rows are claimed with ``FOR UPDATE SKIP LOCKED``, so several relay replicas share the work
without sending a row twice at the same time; a row is marked published only after the
broker accepted it. A crash between the two re-sends the row later, which consumers absorb
through their inbox. The relay also runs the redelivery sweeper (`sweeper`), which sends
again the published events a consumer provably never received.

An idle relay sleeps: each outbox insert notifies ``OUTBOX_CHANNEL`` and the relay waits on
that (LISTEN), reading the outbox when woken and, as a safety net (a lost listening
connection, a pooler that drops LISTEN), every ``poll_interval`` seconds. Its gauges (the
backlog, the oldest unpublished event, the dead letters, the queue lengths) are read when
Prometheus scrapes them (`BacklogCollector`), so between scrapes nothing is counted.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from select import POLLIN, poll
from typing import Any

import psycopg
import redis
from celery import Celery
from kombu.entity import Queue
from prometheus_client.core import Metric
from prometheus_client.registry import Collector
from sqlalchemy import delete, func, select, update

from obcms_platform.bus.metrics import (
    DEAD_LETTERS,
    EVENTS_PUBLISHED,
    OUTBOX_BACKLOG,
    OUTBOX_OLDEST_AGE,
    PUBLISH_FAILURES,
    QUEUE_LENGTH,
)
from obcms_platform.bus.outbox import OUTBOX_CHANNEL, notify_relay
from obcms_platform.bus.sweeper import RedeliverySweeper
from obcms_platform.bus.tables import BusTables
from obcms_platform.bus.topology import EXCHANGE, SUBSCRIPTIONS, all_queues, queue_name
from obcms_platform.bus.worker import HANDLE_TASK
from obcms_platform.db import Database

logger = logging.getLogger(__name__)

# First pause before listening again after the listening connection failed.
RELISTEN_FIRST_SECONDS = 0.5
# How long one scrape's counts answer the next scrapes: a burst of scrapes (several
# Prometheus servers, a probe) costs the database one count.
SCRAPE_CACHE_SECONDS = 1.0


@dataclass(frozen=True)
class OutboxState:
    """What is waiting in one service's outbox, read at one moment."""

    backlog: int  # events not yet published
    oldest_age: float  # seconds since the oldest of them was written (0 when none)
    dead_letters: int  # dead-lettered events not yet replayed


@dataclass
class OutboxRelay:
    """Relays one service database's outbox."""

    service: str
    database: Database
    tables: BusTables
    app: Celery
    batch_size: int = 200
    retention: timedelta = timedelta(days=14)
    _last_error: str | None = field(default=None, init=False)
    # Declared before each publish (kombu skips what this connection already declared).
    _queues: list[Queue] = field(default_factory=all_queues, init=False)
    _connection: Any = field(default=None, init=False)
    _producer: Any = field(default=None, init=False)

    def producer(self) -> Any:
        """This relay's own broker connection and producer, opened on first use.

        Not Celery's shared pool: once a connection failed the pool cannot be reset
        reliably (closed for good, or an emptied pool that blocks the next acquire forever).
        """
        if self._producer is None:
            self._connection = self.app.connection_for_write()
            self._producer = self._connection.Producer()
        return self._producer

    def reset_broker(self) -> None:
        """Drop the broker connection: the next batch connects (and declares) afresh."""
        connection, self._connection, self._producer = self._connection, None, None
        if connection is not None:
            try:
                connection.close()
            except Exception:  # already broken; nothing to keep
                logger.debug("closing a failed broker connection", exc_info=True)

    def publish_pending(self) -> int:
        """Publish one batch; returns how many rows were sent. Raises if the broker fails."""
        outbox = self.tables.outbox
        with self.database.engine.begin() as connection:
            rows = connection.execute(
                select(outbox.c.id, outbox.c.event_type, outbox.c.payload)
                .where(outbox.c.published_at.is_(None))
                .order_by(outbox.c.created_at, outbox.c.id)
                .limit(self.batch_size)
                .with_for_update(skip_locked=True)
            ).all()
            if not rows:
                return 0
            sent = []
            failure: Exception | None = None
            try:
                producer = self.producer()
                # The batch's messages go to Redis in one round trip when the block ends
                # (kombu pipelines them), each bound queue's copy with them.
                with producer.batch():
                    for row in rows:
                        try:
                            self.app.send_task(
                                HANDLE_TASK,
                                args=[row.payload],
                                task_id=str(row.id),
                                exchange=EXCHANGE,
                                routing_key=row.event_type,
                                declare=self._queues,
                                producer=producer,
                                retry=False,
                                # Shown by monitoring tools instead of the arguments: Celery
                                # would otherwise format every payload with saferepr.
                                argsrepr=row.event_type,
                                kwargsrepr="{}",
                            )
                        except Exception as exc:  # the broker refused or is unreachable
                            failure = exc
                            break
                        sent.append(row)
            except Exception as exc:  # connecting, or sending the batch: none is marked
                sent, failure = [], exc
            if sent:
                connection.execute(
                    update(outbox)
                    .where(outbox.c.id.in_([row.id for row in sent]))
                    .values(published_at=func.now(), attempts=outbox.c.attempts + 1)
                )
            if failure is not None:
                connection.execute(
                    update(outbox)
                    .where(outbox.c.id == rows[len(sent)].id)
                    .values(attempts=outbox.c.attempts + 1, last_error=str(failure)[:2000])
                )
        for row in sent:
            EVENTS_PUBLISHED.labels(self.service, row.event_type).inc()
        if failure is not None:
            PUBLISH_FAILURES.labels(self.service).inc()
            raise failure
        return len(sent)

    def measure(self) -> OutboxState:
        outbox, dead = self.tables.outbox, self.tables.dead_letters
        with self.database.engine.connect() as connection:
            backlog, oldest = connection.execute(
                select(
                    func.count(),
                    func.coalesce(
                        func.extract("epoch", func.now() - func.min(outbox.c.created_at)), 0
                    ),
                ).where(outbox.c.published_at.is_(None))
            ).one()
            dead_count = connection.scalar(select(func.count()).where(dead.c.replayed_at.is_(None)))
        return OutboxState(int(backlog), float(oldest), int(dead_count or 0))

    def purge(self) -> None:
        """Drop published outbox rows and inbox records older than the retention period."""
        cutoff = func.now() - self.retention
        with self.database.engine.begin() as connection:
            connection.execute(
                delete(self.tables.outbox).where(
                    self.tables.outbox.c.published_at.is_not(None),
                    self.tables.outbox.c.published_at < cutoff,
                )
            )
            connection.execute(
                delete(self.tables.inbox).where(self.tables.inbox.c.handled_at < cutoff)
            )


class OutboxListener:
    """One connection LISTENing on a database's outbox channel. Opened (again) by `listen`,
    given up on any error: the relay then falls back on its safety poll until it reconnects."""

    def __init__(self, database: Database) -> None:
        self.conninfo = database.engine.url.set(drivername="postgresql").render_as_string(
            hide_password=False
        )
        self.connection: psycopg.Connection[Any] | None = None
        # Seconds until the next attempt to listen again, doubled on each failure.
        self.retry = RELISTEN_FIRST_SECONDS

    def listen(self) -> bool:
        """Listen if not listening yet; whether listening. Called before the outbox is read,
        so an insert committed between the read and the wait still wakes the wait."""
        if self.connection is not None:
            return True
        try:
            self.connection = psycopg.connect(
                self.conninfo, autocommit=True, application_name="obcms-relay-listener"
            )
            self.connection.execute(f"LISTEN {OUTBOX_CHANNEL}")
        except psycopg.Error as exc:
            logger.warning("outbox notifications unavailable (polling instead): %s", exc)
            self.close()
            return False
        self.retry = RELISTEN_FIRST_SECONDS
        return True

    def wait(self, timeout: float, stop: threading.Event) -> None:
        """Return when an insert was notified, `stop` is set, or after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while not stop.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            if self.connection is None:
                # Not listening (a restarted database, a pooler without LISTEN): try again
                # ever less often; once listening, the outbox is read at once.
                stop.wait(min(remaining, self.retry))
                self.retry = min(self.retry * 2, timeout)
                if not stop.is_set() and self.listen():
                    return
                continue
            try:
                # Stopping wakes this wait too: `run_relays` then notifies every source.
                # The socket is waited on here, not in psycopg's `notifies(timeout=...)`,
                # which wakes ten times a second to look for a KeyboardInterrupt.
                if not self._readable(remaining):
                    continue
                # Whatever arrived so far, at once: one read serves every insert notified.
                if list(self.connection.notifies(timeout=0)):
                    return
            except psycopg.Error as exc:
                logger.warning("outbox notifications lost (polling until reconnected): %s", exc)
                self.close()
                return

    def _readable(self, timeout: float) -> bool:
        """Whether the listening connection has something to read within `timeout` seconds."""
        assert self.connection is not None
        poller = poll()
        poller.register(self.connection.fileno(), POLLIN)
        return bool(poller.poll(timeout * 1000))

    def close(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None:
            try:
                connection.close()
            except psycopg.Error:  # already broken
                logger.debug("closing a failed listening connection", exc_info=True)


class BacklogCollector(Collector):
    """The relay's gauges, read at scrape time: each relay's outbox state and the length of
    every consumer queue. A source or Redis that cannot be read is left out of that scrape
    (and logged) rather than shown with an old value."""

    def __init__(self, relays: list[OutboxRelay], redis_url: str) -> None:
        self.relays = relays
        self.redis = redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
        self._lock = threading.Lock()
        self._read_at = float("-inf")
        self._metrics: list[Metric] = []

    def describe(self) -> Iterator[Metric]:
        """The families without samples: registering reads nothing."""
        for gauge in (OUTBOX_BACKLOG, OUTBOX_OLDEST_AGE, DEAD_LETTERS, QUEUE_LENGTH):
            yield gauge.family()

    def collect(self) -> Iterator[Metric]:
        with self._lock:  # the metrics server answers scrapes in threads
            if time.monotonic() - self._read_at >= SCRAPE_CACHE_SECONDS:
                self._metrics = self._read()
                self._read_at = time.monotonic()
            yield from self._metrics

    def _read(self) -> list[Metric]:
        backlog, oldest_age = OUTBOX_BACKLOG.family(), OUTBOX_OLDEST_AGE.family()
        dead_letters, queue_length = DEAD_LETTERS.family(), QUEUE_LENGTH.family()
        for relay in self.relays:
            try:
                state = relay.measure()
            except Exception as exc:  # its database is down: the other sources still count
                logger.warning("relay %s: measuring failed: %s", relay.service, exc)
                continue
            backlog.add_metric([relay.service], state.backlog)
            oldest_age.add_metric([relay.service], state.oldest_age)
            dead_letters.add_metric([relay.service], state.dead_letters)
        try:
            for consumer in SUBSCRIPTIONS:
                name = queue_name(consumer)
                queue_length.add_metric([name], int(self.redis.llen(name)))
        except redis.RedisError as exc:
            logger.warning("queue lengths unavailable: %s", exc)
            queue_length = QUEUE_LENGTH.family()
        return [backlog, oldest_age, dead_letters, queue_length]


# What stops a relay process (`bus.cli`): handled by its main thread alone.
STOP_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM})


def run_relays(
    relays: list[OutboxRelay],
    *,
    poll_interval: float = 30.0,
    stop: threading.Event | None = None,
    sweeper: RedeliverySweeper | None = None,
    sweep_interval: float = 60.0,
    purge_interval: float = 600.0,
) -> None:
    """Relay every source in its own thread until `stop` is set, woken by each outbox insert
    and at least every `poll_interval` seconds; with a `sweeper`, also redeliver lost events
    every `sweep_interval` seconds (in a thread of its own)."""
    stop = stop or threading.Event()

    def sweep_loop(sweeper: RedeliverySweeper) -> None:
        while not stop.is_set():
            try:
                # One relay replica sweeps per interval; the others skip this round.
                if sweeper.try_lock(sweep_interval * 0.9):
                    sweeper.sweep()
            except Exception as exc:  # a database or Redis down: try again next interval
                logger.warning("redelivery sweep failed: %s", exc)
            stop.wait(sweep_interval)

    def loop(relay: OutboxRelay) -> None:
        listener = OutboxListener(relay.database)
        backoff = 0.0
        last_purge = float("-inf")
        while not stop.is_set():
            listener.listen()
            sent = 0
            try:
                sent = relay.publish_pending()
                backoff = 0.0
            except Exception as exc:
                logger.warning("relay %s: %s", relay.service, exc)
                # Drop the broker connection: after a Redis restart the queues and bindings
                # must be declared again on a fresh connection.
                relay.reset_broker()
                backoff = min(max(backoff * 2, 0.5), 5.0)
            now = time.monotonic()
            if now - last_purge > purge_interval:
                try:
                    relay.purge()
                except Exception as exc:
                    logger.warning("relay %s: purging failed: %s", relay.service, exc)
                last_purge = now
            if sent == relay.batch_size:
                continue
            if backoff:
                stop.wait(backoff)
            else:
                listener.wait(poll_interval, stop)
        listener.close()

    threads = [
        threading.Thread(target=loop, args=(relay,), name=f"relay-{relay.service}", daemon=True)
        for relay in relays
    ]
    if sweeper is not None:
        threads.append(
            threading.Thread(target=sweep_loop, args=(sweeper,), name="sweeper", daemon=True)
        )
    for thread in threads:
        thread.start()
    # The stop signals reach this thread (those blocked until its threads started, and so
    # blocked in them, are delivered now).
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    stop.wait()
    for relay in relays:  # wake each source's listener, asleep until its next safety poll
        try:
            with relay.database.engine.begin() as connection:
                notify_relay(connection)
        except Exception as exc:  # its database is down: its thread waits out one poll
            logger.warning("relay %s: waking it to stop failed: %s", relay.service, exc)
    for thread in threads:
        thread.join(10)
