"""kombu's Redis transport, with a worker that survives a Redis restart.

When the broker connection breaks while a worker holds delivered, unacknowledged
messages, Celery closes the broken connection (kombu detaches the transport from it
first) and reconnects on a new one. The old channel is still used twice, and both times
kombu builds a Redis client from the detached connection and raises AttributeError
(``'NoneType' object has no attribute 'hostname'`` / ``'client'``), which Celery does not
expect: closing the channel tries to put the held messages back on their queue (the worker
exits: "Unrecoverable error"), and the handlers still running acknowledge their messages
on it when they finish (the worker stops consuming).

Neither needs the old channel: every delivered message is also recorded in Redis's
``unacked`` hash when it is handed out, and Redis redelivers it after the visibility
timeout; a message whose handler had finished comes back as a duplicate, which the
consumer's inbox absorbs. So on a detached channel the restore and the acknowledgements
are skipped, and the worker carries on with its new connection.

An idle worker sleeps: its BRPOP blocks `IDLE_WAKE_SECONDS` in Redis rather than one, and
kombu's every-second check of expiring bindings runs as often.

A channel makes one Redis client for its own commands and keeps it, where kombu makes one
for each: every delivered message is recorded as unacknowledged and its acknowledgement
removes the record, two clients built and dropped per event (a quarter of what the worker's
event loop spent per event), in the loop that fetches the next event.

A channel also keeps each exchange's bindings for `BINDINGS_TTL_SECONDS` instead of reading
them from Redis on every publish (one round trip of the two or three a relayed event costs).
Bindings change only when a release adds a consumer; one it declares after a relay read them
is seen by that relay within the TTL, and an event sent without it meanwhile is one its
consumer provably never received, which the redelivery sweeper sends again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

from kombu.transport import redis

logger = logging.getLogger(__name__)

TRANSPORT = "obcms_platform.bus.transport:Transport"

# How long a channel routes by the exchange bindings it read before reading them again.
BINDINGS_TTL_SECONDS = 10.0
# How long an idle consumer's BRPOP blocks in Redis (kombu: 1 s): a message wakes it at once
# whatever this is. kombu's event loop wakes at least this often anyway (its timers: the
# unacked restore, the health checks), and a BRPOP reply overdue by its health-check interval
# drops the connection, so a half-open one is still found within about a minute. Closing
# does not wait for it (`Channel.close` ends the BRPOP first), but a stop signal is noticed
# only when the worker's event loop next wakes, up to this long after it.
IDLE_WAKE_SECONDS = 10


class QoS(redis.QoS):
    @property
    def detached(self) -> bool:
        """The channel's connection is gone (closed after a broker connection loss)."""
        connection = self.channel.connection
        return connection is None or connection.client is None

    def restore_unacked_once(self, stderr: IO[str] | None = None) -> Any:
        if self.detached:
            logger.warning(
                "broker connection lost holding %d unacknowledged message(s); Redis"
                " redelivers them after the visibility timeout",
                len(self._delivered),
            )
            return None
        return super().restore_unacked_once(stderr)

    def ack(self, delivery_tag: Any) -> None:
        if self.detached:
            logger.warning("acknowledgement on a lost broker connection; redelivered later")
            return
        super().ack(delivery_tag)

    def reject(self, delivery_tag: Any, requeue: bool = False) -> None:
        if self.detached:
            logger.warning("rejection on a lost broker connection; redelivered later")
            return
        super().reject(delivery_tag, requeue=requeue)


class Channel(redis.Channel):
    QoS = QoS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Exchange name -> (when read, its bindings).
        self._bindings: dict[str, tuple[float, Any]] = {}
        self._own_client: Any = None

    @contextmanager
    def conn_or_acquire(self, client: Any = None) -> Iterator[Any]:
        """The given client, else this channel's (kombu: a new one each time). A client
        takes a connection from the pool per command, so threads can share it; it follows
        the pool, which kombu replaces after closing it."""
        if client:
            yield client
            return
        pool = self.pool
        if self._own_client is None or self._own_client.connection_pool is not pool:
            self._own_client = self._create_client()
        yield self._own_client

    def close(self) -> None:
        if self._in_poll:
            self._end_blocking_read()
        super().close()

    def _end_blocking_read(self) -> None:
        """Ends an idle consumer's BRPOP now. kombu's `close` reads its answer (so that no
        message Redis hands over is lost), which made a stopping worker wait up to
        `IDLE_WAKE_SECONDS`; Redis's CLIENT UNBLOCK answers it as a timeout, taking no
        message. Should that fail, the close waits as kombu's does."""
        try:
            blocked: Any = self._in_poll  # the connection waiting in BRPOP
            host, port = blocked._sock.getsockname()[:2]
            other = self._create_client()
            try:
                for client in other.client_list():
                    if client["addr"] == f"{host}:{port}":
                        other.client_unblock(client["id"])
            finally:
                other.close()
        except Exception as exc:  # the close still ends the read, only later
            logger.debug("could not end the consumer's blocking read: %s", exc)

    def get_table(self, exchange: str) -> Any:
        read_at, bindings = self._bindings.get(exchange, (float("-inf"), None))
        now = time.monotonic()
        if now - read_at > BINDINGS_TTL_SECONDS:
            bindings = super().get_table(exchange)
            self._bindings[exchange] = (now, bindings)
        return bindings

    def _queue_bind(self, exchange: str, routing_key: str, pattern: str, queue: str) -> None:
        super()._queue_bind(exchange, routing_key, pattern, queue)
        self._bindings.pop(exchange, None)  # what this channel binds it routes to at once

    def _delete(self, queue: str, *args: Any, **kwargs: Any) -> None:
        super()._delete(queue, *args, **kwargs)
        self._bindings.clear()


class Transport(redis.Transport):
    """kombu's Redis transport, waking an idle consumer every `IDLE_WAKE_SECONDS`."""

    Channel = Channel
    brpop_timeout = IDLE_WAKE_SECONDS

    def register_with_event_loop(self, connection: Any, loop: Any) -> None:
        super().register_with_event_loop(connection, loop)
        # kombu looks every second for bindings of expiring queues to refresh; the bus
        # declares none (`topology`), so once per idle wake-up is plenty.
        cycle: Any = self.cycle  # kombu's MultiChannelPoller
        cycle._binding_expiry_tref.cancel()
        cycle._binding_expiry_tref = loop.call_repeatedly(
            IDLE_WAKE_SECONDS, cycle.maybe_refresh_binding_expiry
        )
