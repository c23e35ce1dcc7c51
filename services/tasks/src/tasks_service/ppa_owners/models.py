"""Who owns each PPA and what it is called, as the portfolio last announced it (ppa.created /
ppa.updated).

The tasks service lets a PPA's owners work the PPA's tasks (authz.py), and names a task's PPA
in its exports, without asking the portfolio service: this projection is kept by the bus.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, Text, Uuid, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from tasks_service.db import Base


class PpaOwners(Base):
    __tablename__ = "ppa_owners"

    ppa_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    owner_ids: Mapped[list[uuid.UUID]] = mapped_column(
        ARRAY(Uuid), default=list, server_default=text("'{}'")
    )
    # Null for a PPA announced before titles were kept, until its next announcement.
    title: Mapped[str | None] = mapped_column(Text, nullable=True)
    # When the portfolio announced these owners: an older announcement arriving late is ignored.
    as_of: Mapped[datetime] = mapped_column(DateTime(timezone=True))
