"""The bus's Redis transport (kombu's, adjusted): what a channel costs per message."""

from __future__ import annotations

from typing import Any

from obcms_platform.bus.transport import Channel


def test_a_channel_records_and_acknowledges_deliveries_with_one_client(
    publisher, bus_redis, monkeypatch
) -> None:
    """kombu built a Redis client for every command outside its blocking read: to send, to
    record a delivered message as unacknowledged and to acknowledge it. The last two run in
    the worker's event loop, between one event and the next; a channel now keeps one."""
    created: list[bool] = []
    create_client = Channel._create_client

    def counted(channel: Channel, asynchronous: bool = False) -> Any:
        created.append(asynchronous)
        return create_client(channel, asynchronous)

    monkeypatch.setattr(Channel, "_create_client", counted)
    with publisher.connection_for_write() as connection:
        queue = connection.SimpleQueue("transport-test")
        for number in range(10):
            queue.put({"number": number})
        received = []
        for _ in range(10):
            message = queue.get(timeout=5)
            assert bus_redis.hexists("unacked", message.delivery_tag)
            received.append(message.payload["number"])
            message.ack()
        queue.close()
    assert received == list(range(10))
    assert bus_redis.hlen("unacked") == 0
    assert bus_redis.zcard("unacked_index") == 0
    # Besides the one kombu keeps for its blocking read (the "asynchronous" client).
    assert created.count(False) == 1
