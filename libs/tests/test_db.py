"""Sessions: a request that only reads runs without a transaction (`Database.read_session`),
and its connections are checked without a round trip."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from psycopg.pq import TransactionStatus
from sqlalchemy import String, create_engine, func, insert, select, text
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from obcms_platform.db import (
    Database,
    DbSession,
    ReadOnlySessionError,
    close_session,
    normalise_url,
    service_metadata,
)
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
    # One connection: every session below runs on the same one.
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
    with database.read_session() as session:
        return int(
            session.scalar(select(func.count()).select_from(text("pg_prepared_statements"))) or 0
        )


def _read_shelves(open_session: Callable[[], Session]) -> None:
    for _ in range(PREPARED_AFTER + 1):
        session = open_session()
        session.execute(select(Shelf.id, Shelf.label).where(Shelf.label != "")).all()
        close_session(session)


def _transaction_status(session: Session) -> TransactionStatus:
    status = session.connection().connection.dbapi_connection.info.transaction_status  # type: ignore[union-attr]
    return TransactionStatus(status)


def test_repeated_reads_are_parsed_and_planned_once(database):
    """Read sessions leave their statements prepared in PostgreSQL; a session whose
    transaction is rolled back at its close has psycopg forget them, so PostgreSQL parses and
    plans its statements every time."""
    _read_shelves(database.session)
    assert _prepared_statements(database) == 0
    _read_shelves(database.read_session)
    assert _prepared_statements(database) >= 1


def test_a_read_session_holds_no_transaction(database):
    """No BEGIN before a read session's first statement, no COMMIT after its last, and no
    transaction held in between; a writing session holds one from its first statement."""
    with database.read_session() as session:
        session.scalar(select(func.count()).select_from(Shelf))
        assert _transaction_status(session) is TransactionStatus.IDLE
    with database.session() as session:
        session.scalar(select(func.count()).select_from(Shelf))
        assert _transaction_status(session) is TransactionStatus.INTRANS


@pytest.mark.parametrize(
    "statement",
    [
        insert(Shelf).values(id=uuid.uuid4(), label="written by a read"),
        text("INSERT INTO db_test_shelves (id, label) VALUES (gen_random_uuid(), 'raw')"),
    ],
    ids=["insert", "raw SQL"],
)
def test_a_read_session_refuses_to_write(database, statement):
    before = _labels(database)
    with database.read_session() as session, pytest.raises(ReadOnlySessionError):
        session.execute(statement)
    assert _labels(database) == before


def test_changes_pending_in_a_read_are_not_saved(database):
    with database.session() as session:
        session.add(Shelf(label="kept"))
        session.commit()
    session = database.read_session()
    shelf = session.scalars(select(Shelf).where(Shelf.label == "kept")).one()
    shelf.label = "changed by a read"
    session.add(Shelf(label="added by a read"))
    close_session(session)
    assert _labels(database) == ["kept"]


def test_a_read_flushed_by_a_query_is_refused(database):
    """The ORM flushes a change before the next query (autoflush): the read would write."""
    session = database.read_session()
    session.add(Shelf(label="flushed by a read"))
    with pytest.raises(ReadOnlySessionError):
        session.scalar(select(func.count()).select_from(Shelf))
    close_session(session)
    assert "flushed by a read" not in _labels(database)


def test_a_get_reads_without_a_transaction_and_cannot_write(database):
    """The request's session (`DbSession`): a GET's is a read session, a POST's holds a
    transaction; a GET that tries to write fails and saves nothing."""
    app = FastAPI()
    app.state.database = database

    def status(session: Session) -> str:
        session.scalar(select(func.count()).select_from(Shelf))
        return _transaction_status(session).name

    @app.get("/status")
    def read(session: DbSession) -> str:
        return status(session)

    @app.post("/status")
    def write(session: DbSession) -> str:
        return status(session)

    @app.get("/write")
    def write_in_a_read(session: DbSession) -> None:
        session.add(Shelf(label="added by a GET"))
        session.flush()

    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/status").json() == "IDLE"
        assert client.post("/status").json() == "INTRANS"
        assert client.get("/write").status_code == 500
    assert "added by a GET" not in _labels(database)


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
