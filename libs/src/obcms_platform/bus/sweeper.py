"""The redelivery sweeper: finds published events a consumer never got, and sends them again.

Why: kombu's Redis transport takes a message off a queue (``BRPOP``) and records it in its
``unacked`` hash in two separate steps (kombu #305, celery #4354). A worker SIGKILLed between
the two loses that message for good, although the relay already marked the outbox row
published. Late acks and the visibility timeout cannot help: Redis no longer holds it.

What counts as lost, for consumer C and an event E of a source outbox:

- E was published more than ``after`` ago (default twice the visibility timeout: anything a
  dead worker held in ``unacked`` has been restored by then) and created less than
  ``lookback`` ago (default 24 h, well inside the 14-day outbox and inbox retention);
- C's queue is bound to E's type (`topology.subscribes`, AMQP ``*``/``#`` matching);
- C's queue is empty right now (``LLEN <C>.events == 0``): an event still waiting behind a
  stopped or slow worker is not lost and must not be duplicated at every sweep;
- no message in Redis's ``unacked`` hash carries E (a worker holds it: handling it, or
  waiting for a retry's countdown);
- C's database has no ``bus_inbox`` row for E (the consumer records every event it takes,
  including the ones it has no handler for, `Outcome.IGNORED`) and no dead letter for E
  (a parked event waits for an operator's replay; one replayed more than ``after`` ago and
  still without an inbox row was lost on its way back and counts as lost again).

The three checks are made in the order a message moves (queue, then ``unacked``, then the
inbox, which is written before the ack), so a message in flight is always seen by one of
them. The only window none of them sees is the one this sweeper exists for: between
``BRPOP`` and the ``unacked`` record; a message caught there alive is handled and also
resent, and the consumer's inbox absorbs the duplicate (exactly-once effect).

A lost event is sent again with its original envelope (same event id, same task id) to C's
queue only (anonymous exchange, routing key = queue name, as `admin.replay` does), at most
once per (event, consumer) per sweep; ``obcms_bus_events_redelivered_total{consumer}``
counts them and each is logged. A resent message lost again is found by a later sweep.

Cost: set-based and bounded. The outbox window is read in keyset pages of ``batch_size``
rows (id and type only; payloads are fetched only for lost events); per page, each consumer
database answers one ``event_id = ANY(...)`` query. A consumer with a non-empty queue is
skipped without touching its database. The sweepers remember, per source, up to which
event (in ``created_at, id`` order) every event was in its consumers' inboxes, and the next
sweep reads only what comes after it: an idle installation's sweep reads nothing. The mark
passes only events published more than ``after`` ago and taken by every subscribed consumer
(not parked: a replayed dead letter may be lost again), and stops at the first other one;
an event written by a transaction that commits more than ``after`` after it began could
fall behind the mark (statements time out long before). Several relay replicas take a
Redis lock so that one of them sweeps per interval (a double sweep would only cost
duplicates the inbox absorbs).

The mark is kept in Redis (``obcms.bus.sweeper.mark.<source>``, expiring after
``lookback``), not in the relay: a restarted or upgraded relay, or another replica, goes on
from it instead of reading the whole ``lookback`` again (at 300,000 events a day that first
sweep kept a relay busy for a minute after every start). It says for which outbox database,
consumers and subscriptions it holds: a mark made for others is not used. Losing it (a Redis
without persistence restarted, which also loses the queued messages) only means one full
sweep.
"""

from __future__ import annotations

import base64
import json
import logging
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

import redis
from celery import Celery
from sqlalchemy import Text, Uuid, any_, cast, func, literal, or_, select, text, tuple_, union
from sqlalchemy.dialects.postgresql import ARRAY

from obcms_platform.bus.metrics import EVENTS_REDELIVERED
from obcms_platform.bus.tables import BusTables
from obcms_platform.bus.topology import SUBSCRIPTIONS, queue_name, subscribes
from obcms_platform.bus.worker import HANDLE_TASK
from obcms_platform.db import Database

logger = logging.getLogger(__name__)

UNACKED_KEY = "unacked"  # kombu's Redis transport default (``unacked_key``)
LOCK_KEY = "obcms.bus.sweeper.lock"
MARK_KEY = "obcms.bus.sweeper.mark.{source}"

# An event of the outbox in the sweep's order: (created_at, id).
Position = tuple[datetime, uuid.UUID]


@dataclass(frozen=True)
class Redelivery:
    consumer: str
    source: str
    event_id: uuid.UUID
    event_type: str


@dataclass
class RedeliverySweeper:
    """Sweeps the outboxes of `sources` for events lost on their way to `consumers`."""

    sources: Mapping[str, Database]
    consumers: Mapping[str, Database]
    tables: BusTables
    app: Celery
    redis_url: str
    after: timedelta = timedelta(seconds=600)
    lookback: timedelta = timedelta(hours=24)
    batch_size: int = 1000

    def sweep(self) -> list[Redelivery]:
        """One sweep over every source; returns what was sent again."""
        client = redis.Redis.from_url(self.redis_url, socket_timeout=5, socket_connect_timeout=5)
        try:
            # Flow order: queue first, then unacked, then (per page) the inboxes.
            open_consumers = [c for c in self.consumers if int(client.llen(queue_name(c))) == 0]
            if not open_consumers:
                return []
            held = held_event_ids(client.hvals(UNACKED_KEY))
            sent: list[Redelivery] = []
            for source, database in self.sources.items():
                sent += self._sweep_source(client, source, database, open_consumers, held)
            return sent
        finally:
            client.close()

    def _mark_scope(self, database: Database) -> str:
        """What a mark vouches for: the outbox's database (its cluster's system identifier and
        its own oid: a Redis shared by installations, or a database recreated or restored
        elsewhere, keeps nothing that fits; its address may change), the consumers swept and
        the event types each takes."""
        with database.engine.connect() as connection:
            outbox_database = connection.execute(
                text(
                    "SELECT (SELECT system_identifier FROM pg_control_system())::text || '/' "
                    "|| (SELECT oid FROM pg_database WHERE datname = current_database())::text"
                )
            ).scalar_one()
        return json.dumps(
            {
                "outbox": outbox_database,
                "consumers": {name: SUBSCRIPTIONS[name] for name in sorted(self.consumers)},
            }
        )

    def _mark(self, client: redis.Redis, source: str, scope: str) -> Position | None:
        """The last event of `source`'s prefix known taken by every consumer (see above)."""
        raw = client.get(MARK_KEY.format(source=source))
        if raw is None:
            return None
        try:
            mark = json.loads(raw)
            if mark["scope"] != scope:
                return None
            return datetime.fromisoformat(mark["created_at"]), uuid.UUID(mark["id"])
        except (ValueError, TypeError, KeyError):
            return None

    def _set_mark(self, client: redis.Redis, source: str, scope: str, position: Position) -> None:
        mark = {
            "scope": scope,
            "created_at": position[0].isoformat(),
            "id": str(position[1]),
        }
        client.set(
            MARK_KEY.format(source=source),
            json.dumps(mark),
            px=max(1, int(self.lookback.total_seconds() * 1000)),
        )

    def _sweep_source(
        self,
        client: redis.Redis,
        source: str,
        database: Database,
        consumers: list[str],
        held: set[uuid.UUID],
    ) -> list[Redelivery]:
        outbox = self.tables.outbox
        sent: list[Redelivery] = []
        # The mark moves only while every consumer is looked at (none skipped for its queue).
        marking = set(consumers) == set(self.consumers)
        scope = self._mark_scope(database)
        cursor = self._mark(client, source, scope)
        # A sweep asks for every event it reads, of a few dozen types.
        takes = cache(subscribes)
        while True:
            # Unpublished and recent rows too (not swept yet, but they stop the mark).
            statement = (
                select(
                    outbox.c.id,
                    outbox.c.event_type,
                    outbox.c.created_at,
                    (
                        outbox.c.published_at.is_not(None)
                        & (outbox.c.published_at < func.now() - self.after)
                    ).label("due"),
                )
                .where(outbox.c.created_at >= func.now() - self.lookback)
                .order_by(outbox.c.created_at, outbox.c.id)
                .limit(self.batch_size)
            )
            if cursor is not None:
                statement = statement.where(
                    tuple_(outbox.c.created_at, outbox.c.id)
                    > tuple_(literal(cursor[0]), literal(cursor[1], Uuid))
                )
            with database.engine.connect() as connection:
                rows = connection.execute(statement).all()
            if not rows:
                return sent
            cursor = (rows[-1].created_at, rows[-1].id)
            due = [row for row in rows if row.due]
            lost: dict[uuid.UUID, list[str]] = {}
            untaken: set[uuid.UUID] = set(held)
            for consumer in consumers:
                wanted = {
                    row.id: row.event_type
                    for row in due
                    if row.id not in held and takes(consumer, row.event_type)
                }
                if not wanted:
                    continue
                taken, parked = self._received(consumer, wanted)
                untaken |= set(wanted) - taken
                for event_id in set(wanted) - taken - parked:
                    lost.setdefault(event_id, []).append(consumer)
            if lost:
                sent += self._resend(source, database, lost)
            taken_until: Position | None = None
            for row in rows:
                if not marking or not row.due or row.id in untaken:
                    marking = False
                    break
                taken_until = (row.created_at, row.id)
            if taken_until is not None:
                self._set_mark(client, source, scope, taken_until)
            if len(rows) < self.batch_size:
                return sent

    def _received(
        self, consumer: str, event_ids: Iterable[uuid.UUID]
    ) -> tuple[set[uuid.UUID], set[uuid.UUID]]:
        """Of `event_ids`, those `consumer` took (inbox), and those it parked (dead letters)."""
        inbox, dead = self.tables.inbox, self.tables.dead_letters
        ids = list(event_ids)
        statement = union(
            select(inbox.c.event_id, literal(True).label("taken")).where(
                inbox.c.consumer == consumer, inbox.c.event_id == _any(ids)
            ),
            select(dead.c.event_id, literal(False).label("taken")).where(
                dead.c.consumer == consumer,
                dead.c.event_id == _any(ids),
                or_(dead.c.replayed_at.is_(None), dead.c.replayed_at > func.now() - self.after),
            ),
        )
        with self.consumers[consumer].engine.connect() as connection:
            rows = connection.execute(statement).all()
        return {row[0] for row in rows if row[1]}, {row[0] for row in rows if not row[1]}

    def _resend(
        self, source: str, database: Database, lost: dict[uuid.UUID, list[str]]
    ) -> list[Redelivery]:
        outbox = self.tables.outbox
        with database.engine.connect() as connection:
            rows = connection.execute(
                select(outbox.c.id, outbox.c.event_type, outbox.c.payload).where(
                    outbox.c.id == _any(lost)
                )
            ).all()
        sent: list[Redelivery] = []
        with self.app.connection_for_write() as broker:
            producer = broker.Producer()
            for row in rows:
                for consumer in lost[row.id]:
                    queue = queue_name(consumer)
                    self.app.send_task(
                        HANDLE_TASK,
                        args=[row.payload],
                        task_id=str(row.id),
                        queue=queue,
                        exchange="",
                        routing_key=queue,
                        declare=[],
                        producer=producer,
                        retry=False,
                    )
                    EVENTS_REDELIVERED.labels(consumer).inc()
                    logger.warning(
                        "event redelivered: lost on its way to %s",
                        consumer,
                        extra={
                            "consumer": consumer,
                            "source": source,
                            "event_id": str(row.id),
                            "event_type": row.event_type,
                        },
                    )
                    sent.append(Redelivery(consumer, source, row.id, row.event_type))
        return sent

    def try_lock(self, seconds: float) -> bool:
        """Take the replicas' sweep lock for `seconds` (False: another relay swept lately)."""
        client = redis.Redis.from_url(self.redis_url, socket_timeout=5, socket_connect_timeout=5)
        try:
            return bool(client.set(LOCK_KEY, "1", nx=True, px=max(1, int(seconds * 1000))))
        finally:
            client.close()


def _any(ids: Iterable[uuid.UUID]) -> Any:
    """``= ANY(:ids)`` with the ids bound as one ``uuid[]`` parameter, sent as its text
    (psycopg's array dumper, in Python, took about a quarter of the relay's CPU in a sweep;
    the text of 1,000 ids is built in a third of its time)."""
    return any_(cast(literal("{" + ",".join(map(str, ids)) + "}", Text), ARRAY(Uuid)))


def held_event_ids(unacked: Iterable[bytes | str]) -> set[uuid.UUID]:
    """Event ids of the messages kombu's ``unacked`` hash holds (delivered, not acked)."""
    held: set[uuid.UUID] = set()
    for raw in unacked:
        try:
            message = json.loads(raw)[0]
            body: Any = message["body"]
            if message.get("properties", {}).get("body_encoding") == "base64":
                body = base64.b64decode(body)
            payload = json.loads(body)[0][0]
            held.add(uuid.UUID(str(payload["id"])))
        except (ValueError, TypeError, KeyError, IndexError):
            continue  # not one of ours, or malformed: it cannot be an outbox event
    return held


def consumer_databases(
    names: Iterable[str] | None,
    database_url_of: Callable[[str], str | None],
    *,
    application_name: str,
) -> dict[str, Database]:
    """Databases of the consumers to sweep for: `names`, or every subscribed consumer whose
    ``OBCMS_<CONSUMER>_DATABASE_URL`` is set. Unknown or unconfigured ones are skipped with
    a warning."""
    chosen = list(names) if names is not None else list(SUBSCRIPTIONS)
    result: dict[str, Database] = {}
    for name in chosen:
        if name not in SUBSCRIPTIONS:
            logger.warning("sweeper: %s is not a consumer (topology.SUBSCRIPTIONS); skipped", name)
            continue
        url = database_url_of(name)
        if not url:
            logger.warning(
                "sweeper: OBCMS_%s_DATABASE_URL is not set; events to %s are not swept",
                name.upper(),
                name,
            )
            continue
        result[name] = Database(url, pool_size=1, application_name=application_name)
    return result
