"""The tasks service's declarative base, its bus tables, its outbox and its tombstones."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from obcms_platform.bus import Outbox, bus_tables
from obcms_platform.bus.tombstones import Tombstones, tombstone_table
from obcms_platform.db import service_metadata
from obcms_platform.history import RecordHistory, history_table


class Base(DeclarativeBase):
    metadata = service_metadata()


bus = bus_tables(Base.metadata)
outbox = Outbox(bus.outbox, producer="tasks")
history = RecordHistory(history_table(Base.metadata))
# The PPAs, assessments and calendar events whose deletion was handled (`events`).
tombstones = Tombstones(tombstone_table(Base.metadata))


def load_models() -> None:
    """Import every model module so `Base.metadata` is complete (Alembic, tests)."""
    from tasks_service.attachments import models as _attachments  # noqa: F401
    from tasks_service.comments import models as _comments  # noqa: F401
    from tasks_service.exports import models as _exports  # noqa: F401
    from tasks_service.people import models as _people  # noqa: F401
    from tasks_service.ppa_owners import models as _ppa_owners  # noqa: F401
    from tasks_service.tasks import models as _tasks  # noqa: F401
    from tasks_service.teams import models as _teams  # noqa: F401
    from tasks_service.templates import models as _templates  # noqa: F401
