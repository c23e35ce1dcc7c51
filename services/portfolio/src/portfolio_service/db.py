"""The portfolio service's declarative base, its bus tables, its outbox and the row lock every
write of a versioned record takes."""

from __future__ import annotations

import uuid
from typing import Protocol, TypeVar

from sqlalchemy.orm import DeclarativeBase, Session

from obcms_platform.bus import Outbox, bus_tables
from obcms_platform.db import service_metadata
from obcms_platform.errors import NotFoundError, PreconditionFailedError


class Base(DeclarativeBase):
    metadata = service_metadata()


bus = bus_tables(Base.metadata)
outbox = Outbox(bus.outbox, producer="portfolio")


class Versioned(Protocol):
    """A row with a `version` (SQLAlchemy's `version_id_col`)."""

    @property
    def version(self) -> int: ...


VersionedRow = TypeVar("VersionedRow", bound=Versioned)


def locked(
    session: Session,
    model: type[VersionedRow],
    row_id: uuid.UUID,
    noun: str,
    expected_version: int | None = None,
) -> VersionedRow:
    """The record `row_id` of `model` (`noun` in messages), loaded for writing: row-locked so
    that concurrent writers queue instead of racing. With `expected_version` (If-Match), a
    record changed since the caller read it is a 412."""
    row = session.get(model, row_id, with_for_update=True)
    if row is None:
        raise NotFoundError(noun, row_id)
    if expected_version is not None and row.version != expected_version:
        raise PreconditionFailedError(
            f"{noun} {row_id} is at version {row.version}, not {expected_version}; reload it"
        )
    return row


def load_models() -> None:
    """Import every model module so `Base.metadata` and the mappers are complete.

    PPA relationships name classes of other packages; call this before the first query
    (the app, the CLI, the event handlers, Alembic and the tests do).
    """
    from portfolio_service.approvals import models as _approvals  # noqa: F401
    from portfolio_service.assessments import models as _assessments  # noqa: F401
    from portfolio_service.ceilings import models as _ceilings  # noqa: F401
    from portfolio_service.funding import models as _funding  # noqa: F401
    from portfolio_service.milestones import models as _milestones  # noqa: F401
    from portfolio_service.needs import models as _needs  # noqa: F401
    from portfolio_service.ppas import models as _ppas  # noqa: F401
    from portfolio_service.progress import models as _progress  # noqa: F401
    from portfolio_service.workflow import models as _workflow  # noqa: F401
