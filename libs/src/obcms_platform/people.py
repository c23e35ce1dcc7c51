"""The people a service names in what it writes for readers (exports): the gateway's accounts
as its ``user.changed`` events announce them, kept in the service's ``people`` table.

A service stores people as user ids (the gateway owns the accounts); a spreadsheet a manager
opens should say "Amina Datumanong", not a UUID. ``class Person(PersonColumns, Base)``
declares the table, `directory_handler` keeps it (register it for ``user.changed``), and
`names` reads it. Someone the service has not heard of yet (an account created before the
service consumed ``user.changed``, until ``obcms-gateway users announce``) keeps their id.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Boolean, Integer, String, Uuid, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from obcms_platform.bus import Event
from obcms_platform.contracts import UserChanged


class PersonColumns:
    """Mixin: one account as last announced (``__tablename__ = "people"``)."""

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    username: Mapped[str] = mapped_column(String(150), default="")
    full_name: Mapped[str] = mapped_column(String(300), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The account's row version in the gateway when announced: an older event changes nothing.
    source_version: Mapped[int] = mapped_column(Integer, default=0)


def record(session: Session, model: type[PersonColumns], user: UserChanged) -> None:
    """Keep the announced state of `user`; an announcement older than the one kept is
    ignored (events may arrive out of order)."""
    keep_announced(
        session,
        model,
        {
            "user_id": user.user_id,
            "username": user.username,
            "full_name": user.full_name,
            "active": user.active,
            "source_version": user.version,
        },
    )


def keep_announced(session: Session, model: type[Any], values: Mapping[str, Any]) -> None:
    """Keep `values` of an account (`user_id`, `source_version` and what else `model`, a
    table of accounts as announced, holds) unless a newer announcement is kept already."""
    statement = insert(model).values(dict(values))
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[model.user_id],
            set_={key: statement.excluded[key] for key in values if key != "user_id"},
            where=model.source_version < statement.excluded.source_version,
        )
    )


def directory_handler(model: type[PersonColumns]) -> Callable[[Session, Event], None]:
    """The ``user.changed`` handler keeping `model`'s table."""

    def on_user_changed(session: Session, event: Event) -> None:
        record(session, model, UserChanged.of(event))

    return on_user_changed


def names(session: Session, model: type[PersonColumns]) -> Mapping[uuid.UUID, str]:
    """User id -> the name a reader sees (the full name, else the login name), of everyone
    the service has heard of."""
    rows = session.execute(select(model.user_id, model.full_name, model.username))
    return {user_id: full_name or username for user_id, full_name, username in rows}
