"""The PPA owners projection: recorded from portfolio events, read by the task rules."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from tasks_service.ppa_owners.models import PpaOwners

# Ids given as such, or as a query selecting them (the feed's window of tasks).
Ids = Collection[uuid.UUID] | Select[Any]


def owners_by_ppa(session: Session, ppa_ids: Ids) -> dict[uuid.UUID, frozenset[uuid.UUID]]:
    """The owners of each of the PPAs (ids, or a query selecting them), in one query; PPAs
    unknown here (not announced, or deleted) are left out."""
    if not isinstance(ppa_ids, Select) and not ppa_ids:
        return {}
    rows = session.execute(
        select(PpaOwners.ppa_id, PpaOwners.owner_ids).where(PpaOwners.ppa_id.in_(ppa_ids))
    )
    return {row.ppa_id: frozenset(row.owner_ids) for row in rows}


def owners_of(session: Session, ppa_id: uuid.UUID | None) -> frozenset[uuid.UUID]:
    """The PPA's owners; none when the PPA is unknown here (not announced, or deleted)."""
    if ppa_id is None:
        return frozenset()
    return owners_by_ppa(session, [ppa_id]).get(ppa_id, frozenset())


def record(
    session: Session, ppa_id: uuid.UUID, owner_ids: list[uuid.UUID], as_of: datetime
) -> None:
    """Keep the newest announcement of the PPA's owners (events may arrive out of order)."""
    statement = insert(PpaOwners).values(ppa_id=ppa_id, owner_ids=owner_ids, as_of=as_of)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[PpaOwners.ppa_id],
            set_={"owner_ids": statement.excluded.owner_ids, "as_of": statement.excluded.as_of},
            where=PpaOwners.as_of < statement.excluded.as_of,
        )
    )


def forget(session: Session, ppa_id: uuid.UUID) -> None:
    session.execute(delete(PpaOwners).where(PpaOwners.ppa_id == ppa_id))
