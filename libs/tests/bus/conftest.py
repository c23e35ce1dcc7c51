"""A database with the bus tables (and a table for handlers' effects) per test, and a Redis
database of the bus's own, emptied before each test."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
import redis
from celery import Celery
from psycopg import sql
from sqlalchemy import Column, MetaData, String, Table, Uuid

from obcms_platform.bus import BusTables, bus_tables
from obcms_platform.bus.topology import queue_name
from obcms_platform.bus.worker import publisher_app
from obcms_platform.db import Database
from obcms_platform.testing import PostgresServer

# Redis database of these tests: the queues, bindings and ``unacked`` hash they look at are
# theirs alone.
BUS_REDIS_DB = 9


@dataclass(frozen=True)
class BusDatabase:
    database: Database
    tables: BusTables
    effects: Table  # what test handlers write: one row per handled event


@pytest.fixture
def bus_db(postgres_server: PostgresServer) -> Iterator[BusDatabase]:
    name = f"bus_{uuid.uuid4().hex[:12]}"
    postgres_server.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    metadata = MetaData()
    tables = bus_tables(metadata)
    effects = Table(
        "effects",
        metadata,
        Column("event_id", Uuid, primary_key=True),
        Column("event_type", String(100), nullable=False),
    )
    database = Database(postgres_server.url(name), pool_size=2, application_name="bus-tests")
    metadata.create_all(database.engine)
    try:
        yield BusDatabase(database, tables, effects)
    finally:
        database.dispose()
        postgres_server.drop_database(name)


@pytest.fixture
def bus_redis_url(redis_url: str) -> Iterator[str]:
    url = urlsplit(redis_url)._replace(path=f"/{BUS_REDIS_DB}").geturl()
    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
        yield url
    finally:
        client.flushdb()
        client.close()


@pytest.fixture
def bus_redis(bus_redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(bus_redis_url)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def publisher(bus_redis_url: str) -> Celery:
    return publisher_app(bus_redis_url)


@pytest.fixture
def queued(bus_redis: redis.Redis) -> Callable[[str], list[str]]:
    """The ids of the events waiting in a consumer's queue, oldest first (read from kombu's
    Redis messages, left in place)."""

    def event_ids(consumer: str) -> list[str]:
        ids = []
        for raw in reversed(bus_redis.lrange(queue_name(consumer), 0, -1)):
            message = json.loads(raw)
            body = message["body"]
            if message["properties"].get("body_encoding") == "base64":
                body = base64.b64decode(body)
            args, _kwargs, _embed = json.loads(body)
            ids.append(str(args[0]["id"]))
        return ids

    return event_ids
