"""The calendar service's declarative base, its bus tables and its outbox."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from obcms_platform.bus import Outbox, bus_tables
from obcms_platform.db import service_metadata


class Base(DeclarativeBase):
    metadata = service_metadata()


bus = bus_tables(Base.metadata)
outbox = Outbox(bus.outbox, producer="calendar")


def load_models() -> None:
    """Import every model module so `Base.metadata` is complete (Alembic, tests)."""
    from calendar_service.bookings import models as _bookings  # noqa: F401
    from calendar_service.calendar_events import models as _events  # noqa: F401
    from calendar_service.comments import models as _comments  # noqa: F401
    from calendar_service.leaves import models as _leaves  # noqa: F401
    from calendar_service.resources import models as _resources  # noqa: F401
