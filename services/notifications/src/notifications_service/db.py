"""The notifications service's declarative base, its bus tables (it consumes events and
publishes none) and its tombstones."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from obcms_platform.bus import bus_tables
from obcms_platform.bus.tombstones import Tombstones, tombstone_table
from obcms_platform.db import service_metadata


class Base(DeclarativeBase):
    metadata = service_metadata()


bus = bus_tables(Base.metadata)
# The PPAs and leave whose deletion was handled (`events.handlers`).
tombstones = Tombstones(tombstone_table(Base.metadata))


def load_models() -> None:
    """Import every model module so `Base.metadata` is complete (Alembic, tests)."""
    from notifications_service.delivery import models as _delivery  # noqa: F401
    from notifications_service.jobs import models as _jobs  # noqa: F401
    from notifications_service.notifications import models as _notifications  # noqa: F401
    from notifications_service.preferences import models as _preferences  # noqa: F401
    from notifications_service.projections import models as _projections  # noqa: F401
    from notifications_service.recipients import models as _recipients  # noqa: F401
