"""`obcmsctl cache clear` on a real Redis that also carries the event bus."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

import pytest
import redis
from kombu import Connection, Producer
from typer.testing import CliRunner

from gateway_service.feed.cache import generation_key, part_key
from obcms_platform.bus.topology import EXCHANGE, all_queues, queue_name
from obcmsctl.cli import app

runner = CliRunner()


@pytest.fixture
def own_redis_url(redis_url: str) -> str:
    """A database number of the session's Redis that no other test uses, emptied first."""
    url = urlsplit(redis_url)._replace(path="/11").geturl()
    db = redis.Redis.from_url(url)
    db.flushdb()  # the test's own database; the test then checks obcmsctl never flushes
    db.close()
    return url


@pytest.fixture
def client(own_redis_url: str):
    db = redis.Redis.from_url(own_redis_url)
    yield db
    db.close()


def test_clear_deletes_feed_parts_bumps_generations_and_keeps_the_bus(
    client: redis.Redis, own_redis_url: str
) -> None:
    redis_url = own_redis_url
    parts = [
        part_key(
            "tasks",
            3,
            backend_url="http://tasks",
            start=f"2027-01-{day:02d}",
            end="2027-02-01",
            modules=["tasks"],
            roles=["staff"],
        )
        for day in range(1, 29)
    ]
    for key in parts:
        client.set(key, "[]")
    client.set(generation_key("tasks"), 3)
    client.set(generation_key("calendar"), 7)
    client.set("gateway:maintenance", '{"enabled": false, "message": ""}')
    client.set("gateway:feedback", "not ours")  # same leading letters, other prefix

    # Real bus messages waiting in the queues, published as the relay does.
    with Connection(redis_url) as connection:
        producer = Producer(connection, exchange=EXCHANGE)
        for number in range(5):
            producer.publish(
                {"id": str(uuid.uuid4()), "number": number},
                routing_key="task.created",
                declare=all_queues(),
            )
    bus_keys = {key for key in client.keys("*") if not key.startswith(b"gateway:")}
    queued = {name: client.llen(queue_name(name)) for name in ("portfolio", "gateway")}
    assert queued == {"portfolio": 5, "gateway": 5}

    result = runner.invoke(app, ["cache", "clear", "--redis-url", redis_url])
    assert result.exit_code == 0, result.output
    assert "28 cached part(s) deleted, 2 generation counter(s) bumped" in result.output

    assert client.keys("gateway:feed:part:*") == []
    assert int(client.get(generation_key("tasks"))) == 4
    assert int(client.get(generation_key("calendar"))) == 8
    assert client.get("gateway:feedback") == b"not ours"
    assert client.exists("gateway:maintenance")
    assert {key for key in client.keys("*") if not key.startswith(b"gateway:")} == bus_keys
    assert {name: client.llen(queue_name(name)) for name in queued} == queued

    again = runner.invoke(app, ["cache", "clear"], env={"OBCMS_REDIS_URL": redis_url})
    assert again.exit_code == 0, again.output
    assert "0 cached part(s) deleted" in again.output


def test_unreachable_redis_fails_cleanly() -> None:
    from obcms_platform.devstack.embedded import free_port

    url = f"redis://127.0.0.1:{free_port()}/0"
    result = runner.invoke(app, ["cache", "clear", "--redis-url", url])
    assert result.exit_code == 1
    assert "Redis:" in result.output
