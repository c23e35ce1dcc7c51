"""The gateway's declarative base (it owns identity: users, roles, password hashes) and its
bus tables (its worker consumes events to invalidate the feed cache; it publishes none)."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from obcms_platform.bus import bus_tables
from obcms_platform.db import service_metadata


class Base(DeclarativeBase):
    metadata = service_metadata()


bus = bus_tables(Base.metadata)


def load_models() -> None:
    """Import every model module so `Base.metadata` is complete (Alembic, tests)."""
    from gateway_service.users import models as _users  # noqa: F401
