"""A PPA's status-update log. Functions take a session and never commit.

Append-only: there is no edit or delete route; a correction is a newer update, so the log
keeps what was said when (its history is the log itself).
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from obcms_platform.auth import Principal
from obcms_platform.records import columns_or_404, insert_row
from obcms_platform.schemas import ensure_not_future, today_somewhere
from portfolio_service.ppas.models import Ppa
from portfolio_service.status_updates.models import StatusUpdate
from portfolio_service.status_updates.schemas import StatusUpdateCreate


def list_updates(session: Session, ppa_id: uuid.UUID) -> list[StatusUpdate]:
    """Newest first: by the day described, then by when written."""
    columns_or_404(session, Ppa, ppa_id, Ppa.id, what="PPA")
    return list(
        session.scalars(
            select(StatusUpdate)
            .where(StatusUpdate.ppa_id == ppa_id)
            .order_by(StatusUpdate.as_of.desc(), StatusUpdate.created_at.desc(), StatusUpdate.id)
        )
    )


def add_update(
    session: Session,
    ppa_id: uuid.UUID,
    data: StatusUpdateCreate,
    principal: Principal,
    today: date | None = None,
) -> StatusUpdate:
    """A back-dated update (as_of before the latest) takes its place in the log by its day."""
    ensure_not_future(
        data.as_of,
        today or today_somewhere(),
        field="as_of",
        why="an update reports what has happened",
    )
    ppa = columns_or_404(session, Ppa, ppa_id, Ppa.progress, what="PPA")
    update = StatusUpdate(
        id=uuid.uuid4(),
        ppa_id=ppa_id,
        ppa_progress=ppa.progress,
        author_id=principal.user_id,
        **data.model_dump(),
    )
    insert_row(session, update)
    return update
