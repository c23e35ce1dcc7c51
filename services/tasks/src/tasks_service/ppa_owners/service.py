"""The PPA owners projection: recorded from portfolio events, read by the task rules (owners)
and the exports (titles)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from tasks_service.ppa_owners.models import PpaOwners


def owners_of(session: Session, ppa_id: uuid.UUID | None) -> frozenset[uuid.UUID]:
    """The PPA's owners; none when the PPA is unknown here (not announced, or deleted). (The
    owners of many PPAs at once: `tasks_service.authz.TaskGroups`.)"""
    if ppa_id is None:
        return frozenset()
    owner_ids = session.scalar(select(PpaOwners.owner_ids).where(PpaOwners.ppa_id == ppa_id))
    return frozenset(owner_ids or ())


def titles(session: Session) -> dict[uuid.UUID, str]:
    """The title of every PPA announced with one, by id."""
    rows = session.execute(select(PpaOwners.ppa_id, PpaOwners.title))
    return {ppa_id: title for ppa_id, title in rows if title is not None}


def record(
    session: Session,
    ppa_id: uuid.UUID,
    owner_ids: list[uuid.UUID],
    as_of: datetime,
    *,
    title: str | None = None,
) -> None:
    """Keep the newest announcement of the PPA's owners and title (events may arrive out of
    order); an announcement without a title keeps the one known."""
    statement = insert(PpaOwners).values(
        ppa_id=ppa_id, owner_ids=owner_ids, title=title, as_of=as_of
    )
    excluded = statement.excluded
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[PpaOwners.ppa_id],
            set_={
                "owner_ids": excluded.owner_ids,
                "title": func.coalesce(excluded.title, PpaOwners.title),
                "as_of": excluded.as_of,
            },
            where=PpaOwners.as_of < excluded.as_of,
        )
    )


def forget(session: Session, ppa_id: uuid.UUID) -> None:
    session.execute(delete(PpaOwners).where(PpaOwners.ppa_id == ppa_id))
