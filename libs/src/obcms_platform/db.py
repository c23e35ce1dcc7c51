"""SQLAlchemy 2 engine/session wiring and the request-scoped unit of work.

Services hold their logic in functions that take a `Session` and never commit; the route
(the request's unit of work) commits once, so domain rows and outbox rows land together. A
request that only reads (GET, HEAD) gets a read session, which runs without a transaction and
refuses to write.
"""

from __future__ import annotations

import enum
import logging
import select
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import DateTime, Enum, MetaData, create_engine, event, func, text
from sqlalchemy.engine import Connection, Engine, ExecutionContext, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry
from starlette.concurrency import run_in_threadpool

logger = logging.getLogger(__name__)

# Deterministic constraint names: migrations can drop them and error handlers can map a
# violated constraint back to the field at fault (the part after "__").
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s__%(column_0_N_name)s",
    "uq": "uq_%(table_name)s__%(column_0_N_name)s",
    "ck": "ck_%(table_name)s__%(constraint_name)s",
    "fk": "fk_%(table_name)s__%(column_0_name)s",
    "pk": "pk_%(table_name)s",
}


def service_metadata() -> MetaData:
    """Metadata for one service's declarative base (``metadata = service_metadata()``)."""
    return MetaData(naming_convention=NAMING_CONVENTION)


def enum_column(enum_cls: type[enum.Enum], name: str) -> Enum:
    """Enum stored as VARCHAR with a CHECK constraint: adding a value is a plain migration."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class Timestamped:
    """Mixin: server-set creation and update times."""

    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


def normalise_url(url: str) -> str:
    """Accept postgres:// and postgresql:// URLs; always drive them with psycopg 3."""
    parsed = make_url(url)
    if parsed.drivername in {"postgres", "postgresql"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


class Database:
    """One engine and session factory per process."""

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 10,
        max_overflow: int = 10,
        statement_timeout_ms: int = 15_000,
        application_name: str = "obcms",
        pre_ping: bool = True,
    ) -> None:
        """`pre_ping` tests each connection taken from the pool first, so that a request after
        a database restart does not fail on a dead connection. A caller that retries what
        fails on one (the bus worker) need not pay for it."""
        options = f"-c statement_timeout={statement_timeout_ms}" if statement_timeout_ms else ""
        connect_args: dict[str, Any] = {
            "connect_timeout": 5,
            "application_name": application_name,
        }
        if options:
            connect_args["options"] = options
        self.engine: Engine = create_engine(
            normalise_url(url),
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_pre_ping=False,
            pool_timeout=10,
            connect_args=connect_args,
        )
        self.session_factory = sessionmaker(self.engine, expire_on_commit=False)
        self.read_session_factory = sessionmaker(
            self.engine.execution_options(isolation_level="AUTOCOMMIT", **{READ_ONLY: True}),
            expire_on_commit=False,
        )
        if pre_ping:
            event.listen(self.engine, "checkout", _refuse_ended_connection)
        event.listen(self.engine, "before_cursor_execute", _refuse_write)

    def session(self) -> Session:
        return self.session_factory()

    def read_session(self) -> Session:
        """A session that only reads, without a transaction: each statement runs on its own
        (PostgreSQL's autocommit), seeing what was committed when it started, as each
        statement of a READ COMMITTED transaction does. No BEGIN and COMMIT round trips, no
        transaction held between statements, and psycopg keeps the connection's prepared
        statements, which a rollback would make it forget. Anything but a SELECT is refused
        before it is sent (`ReadOnlySessionError`), so a write cannot commit by accident.
        Closing it does no I/O."""
        return self.read_session_factory()

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()


def _refuse_ended_connection(
    dbapi_connection: Any, connection_record: ConnectionPoolEntry, connection_proxy: Any
) -> None:
    """Refuse a pooled connection the server has ended (the pool then takes another one).

    Without a round trip (SQLAlchemy's pre-ping costs one on every checkout, about a tenth of
    a small request's CPU): a connection idle in the pool has nothing to read unless its
    server said goodbye (a restart or an administrator's termination sends a message and
    closes the socket), so a readable socket is an ended connection. At worst, a healthy
    connection that received a notice is replaced."""
    if dbapi_connection.closed or dbapi_connection.broken:
        raise DisconnectionError("the connection is closed")
    # poll, not select: a busy process's descriptors go past select's limit of 1024.
    socket = select.poll()
    socket.register(dbapi_connection.fileno(), select.POLLIN)
    if socket.poll(0):
        raise DisconnectionError("the server ended the connection")


# The execution option marking a read session's connections (`Database.read_session`).
READ_ONLY = "obcms_read_only"


class ReadOnlySessionError(RuntimeError):
    """A read session (a GET's) was asked to run something that may write."""


def _refuse_write(
    connection: Connection,
    cursor: Any,
    statement: str,
    parameters: Any,
    context: ExecutionContext | None,
    executemany: bool,
) -> None:
    """Refuse, before it is sent, anything but a SELECT (a compiled one, or raw SQL that starts
    with SELECT) on a read session's connection: a write, DDL, a flush of pending changes.
    There each statement commits as it ends."""
    if context is None or not context.execution_options.get(READ_ONLY):
        return
    compiled = getattr(context, "compiled", None)
    if getattr(getattr(compiled, "statement", None), "is_select", False):
        return
    if statement.lstrip()[:6].upper() != "SELECT":
        raise ReadOnlySessionError(f"a read session may only SELECT: {statement[:80]!r}")


def close_session(session: Session) -> None:
    """Close `session`, rolling back anything not committed (a read session has nothing to
    roll back: closing it does no I/O)."""
    try:
        session.close()
    except DBAPIError as exc:
        # The database went away (restart, failover): there is nothing left to roll
        # back, and the answer is already on its way; raising here would cut it off.
        # Drop the dead connection instead of returning it to the pool.
        logger.warning("closing a session failed: %s", exc.orig)
        session.invalidate()


# Requests that only read: their session is a read session (`Database.read_session`).
READ_METHODS = frozenset({"GET", "HEAD"})


async def _request_session(request: Request) -> AsyncIterator[Session]:
    """The request's session: a read session for a GET or HEAD, else one whose transaction
    the route commits (its unit of work) or that is rolled back at the end.

    Async although the session is not: FastAPI runs a plain generator's start and end each in
    the thread pool, two hops costing more CPU than the request's own queries. Making a
    session does no I/O (it connects on first use), nor does closing a read session or one
    that holds no transaction (a write route committed it): those stay on the event loop;
    only rolling back a transaction goes to a thread."""
    database: Database = request.app.state.database
    reads = request.method in READ_METHODS
    session = database.read_session() if reads else database.session()
    try:
        yield session
    finally:
        if reads or not session.in_transaction():
            close_session(session)
        else:
            await run_in_threadpool(close_session, session)


DbSession = Annotated[Session, Depends(_request_session)]
