"""How a request that only read ends its transaction (`end_read`)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import String, create_engine, func, insert, select, text
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from obcms_platform.db import Database, close_session, end_read, normalise_url, service_metadata
from obcms_platform.testing import PostgresServer


class Base(DeclarativeBase):
    metadata = service_metadata()


class Shelf(Base):
    __tablename__ = "db_test_shelves"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    label: Mapped[str] = mapped_column(String(50))


# psycopg prepares a statement the fifth time a connection runs it (its prepare_threshold).
PREPARED_AFTER = 5


@pytest.fixture(scope="module")
def database(postgres_server: PostgresServer) -> Iterator[Database]:
    url = postgres_server.url("postgres")
    engine = create_engine(normalise_url(url))
    Base.metadata.create_all(engine)
    # One connection: every read below runs on the same one.
    database = Database(url, pool_size=1, max_overflow=0)
    try:
        yield database
    finally:
        database.dispose()
        Base.metadata.drop_all(engine)
        engine.dispose()


def _labels(database: Database) -> list[str]:
    with database.session() as session:
        return sorted(session.scalars(select(Shelf.label)))


def _prepared_statements(database: Database) -> int:
    session = database.session()
    try:
        return int(session.scalar(text("SELECT count(*) FROM pg_prepared_statements")) or 0)
    finally:
        close_session(session)


def _read_shelves(database: Database, end: Callable[[Session], None]) -> None:
    for _ in range(PREPARED_AFTER + 1):
        session = database.session()
        session.execute(select(Shelf.id, Shelf.label).where(Shelf.label != "")).all()
        end(session)


def test_repeated_reads_are_parsed_and_planned_once(database):
    """A read ended by `end_read` leaves its statement prepared in PostgreSQL; one rolled
    back (`close_session`) has psycopg forget it, so PostgreSQL parses it every time."""
    _read_shelves(database, close_session)
    assert _prepared_statements(database) == 0
    _read_shelves(database, end_read)
    assert _prepared_statements(database) >= 1


def test_a_read_that_wrote_is_rolled_back(database):
    session = database.session()
    session.execute(insert(Shelf).values(id=uuid.uuid4(), label="written by a read"))
    session.scalar(select(func.count()).select_from(Shelf))
    end_read(session)
    assert "written by a read" not in _labels(database)


def test_changes_pending_in_a_read_are_not_saved(database):
    session = database.session()
    session.add(Shelf(label="kept"))
    session.commit()
    session.close()
    session = database.session()
    shelf = session.scalars(select(Shelf).where(Shelf.label == "kept")).one()
    shelf.label = "changed by a read"
    session.add(Shelf(label="added by a read"))
    end_read(session)
    assert _labels(database) == ["kept"]


def test_a_read_flushed_by_a_query_is_rolled_back(database):
    """The ORM flushes a change before the next query (autoflush): the read wrote."""
    session = database.session()
    session.add(Shelf(label="flushed by a read"))
    session.scalar(select(func.count()).select_from(Shelf))
    end_read(session)
    assert "flushed by a read" not in _labels(database)


def test_a_pooled_connection_the_server_ended_is_replaced_without_a_ping(
    database, postgres_server, monkeypatch
):
    """A connection the server ended while it sat in the pool (a restart, an administrator's
    termination) is not handed to a request: the next session works on a new one. Telling
    costs no round trip: a live pooled connection is handed over without being pinged."""
    pings: list[object] = []
    ping = database.engine.dialect.do_ping

    def counted_ping(dbapi_connection: object) -> bool:
        pings.append(dbapi_connection)
        return ping(dbapi_connection)

    monkeypatch.setattr(database.engine.dialect, "do_ping", counted_ping)
    with database.session() as session:
        first_pid = session.scalar(text("SELECT pg_backend_pid()"))
    with database.session() as session:
        assert session.scalar(text("SELECT pg_backend_pid()")) == first_pid
    assert pings == []

    administrator = create_engine(normalise_url(postgres_server.url("postgres")))
    with administrator.connect() as connection:
        # Waits until the backend has gone (its goodbye sent), up to 60 s.
        ended = connection.execute(
            text("SELECT pg_terminate_backend(:pid, 60000)"), {"pid": first_pid}
        )
        assert ended.scalar() is True
    administrator.dispose()
    with database.session() as session:
        assert session.scalar(text("SELECT pg_backend_pid()")) != first_pid


def test_a_pooled_connection_past_a_thousand_descriptors_is_handed_over(
    postgres_server: PostgresServer,
) -> None:
    """A busy API process holds many sockets: a pooled connection whose descriptor is past
    `select`'s limit of 1024 is checked like any other, not refused with an error."""
    import os
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert soft > 1200, "the test needs more than 1200 open files"
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    database = Database(postgres_server.url("postgres"), pool_size=1)
    try:
        with database.session() as session:
            pid = session.scalar(text("SELECT pg_backend_pid()"))
            descriptor = session.connection().connection.dbapi_connection.fileno()
        assert descriptor > 1024
        with database.session() as session:  # taken from the pool: checked, kept
            assert session.scalar(text("SELECT pg_backend_pid()")) == pid
    finally:
        database.dispose()
        for fd in held:
            os.close(fd)
