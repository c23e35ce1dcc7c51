"""The portfolio service's declarative base, its bus tables and its outbox."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from obcms_platform.bus import Outbox, bus_tables
from obcms_platform.db import service_metadata
from obcms_platform.history import RecordHistory, history_table


class Base(DeclarativeBase):
    metadata = service_metadata()


bus = bus_tables(Base.metadata)
outbox = Outbox(bus.outbox, producer="portfolio")
history = RecordHistory(history_table(Base.metadata))


def load_models() -> None:
    """Import every model module so `Base.metadata` and the mappers are complete.

    PPA relationships name classes of other packages; call this before the first query
    (the app, the CLI, the event handlers, Alembic and the tests do).
    """
    from portfolio_service.approvals import models as _approvals  # noqa: F401
    from portfolio_service.assessments import models as _assessments  # noqa: F401
    from portfolio_service.attachments import models as _attachments  # noqa: F401
    from portfolio_service.ceilings import models as _ceilings  # noqa: F401
    from portfolio_service.comments import models as _comments  # noqa: F401
    from portfolio_service.exports import models as _exports  # noqa: F401
    from portfolio_service.funding import models as _funding  # noqa: F401
    from portfolio_service.indicators import models as _indicators  # noqa: F401
    from portfolio_service.milestones import models as _milestones  # noqa: F401
    from portfolio_service.needs import models as _needs  # noqa: F401
    from portfolio_service.people import models as _people  # noqa: F401
    from portfolio_service.ppas import models as _ppas  # noqa: F401
    from portfolio_service.progress import models as _progress  # noqa: F401
    from portfolio_service.status_updates import models as _status_updates  # noqa: F401
    from portfolio_service.workflow import models as _workflow  # noqa: F401
