"""The gateway's declarative base (it owns identity: users, roles, password hashes), its
bus tables (its worker consumes events to invalidate the feed cache; its outbox announces
user accounts), the accounts' change history and its unit of work (`in_session`)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import TypeVar

from fastapi import Request
from sqlalchemy.orm import DeclarativeBase, Session

from gateway_service.users.passwords import HashingPool
from obcms_platform.bus import Outbox, bus_tables
from obcms_platform.db import Database, service_metadata
from obcms_platform.history import RecordHistory, acting_as, history_table

T = TypeVar("T")


class Base(DeclarativeBase):
    metadata = service_metadata()


bus = bus_tables(Base.metadata)
outbox = Outbox(bus.outbox, producer="gateway")
history = RecordHistory(history_table(Base.metadata))


def load_models() -> None:
    """Import every model module so `Base.metadata` is complete (Alembic, tests)."""
    from gateway_service.users import models as _users  # noqa: F401


def _unit_of_work(
    request: Request, work: Callable[[Session], T], *, commit: bool, actor: uuid.UUID | None
) -> Callable[[], T]:
    database: Database = request.app.state.database

    def run() -> T:
        with database.session() if commit else database.read_session() as session:
            acting_as(session, actor)
            result = work(session)
            if commit:
                session.commit()
            return result

    return run


async def in_session(
    request: Request,
    work: Callable[[Session], T],
    *,
    commit: bool = False,
    actor: uuid.UUID | None = None,
) -> T:
    """Run `work` with a database session in a worker thread (the ORM is synchronous): one
    whose changes are committed with `commit`, else a read session (`Database.read_session`:
    `work` only reads). The changes are `actor`'s in the history (None: nobody's)."""
    return await asyncio.to_thread(_unit_of_work(request, work, commit=commit, actor=actor))


async def in_hashing_session(
    request: Request,
    work: Callable[[Session], T],
    *,
    commit: bool = False,
    actor: uuid.UUID | None = None,
) -> T:
    """`in_session` on the password-hashing threads, for work that hashes a password (503
    when they are all taken; see `users.passwords.HashingPool`)."""
    hashing: HashingPool = request.app.state.password_hashing
    return await hashing.run(_unit_of_work(request, work, commit=commit, actor=actor))
