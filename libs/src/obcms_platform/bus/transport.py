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
"""

from __future__ import annotations

import logging
from typing import IO, Any

from kombu.transport import redis

logger = logging.getLogger(__name__)

TRANSPORT = "obcms_platform.bus.transport:Transport"


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


class Transport(redis.Transport):
    Channel = Channel
