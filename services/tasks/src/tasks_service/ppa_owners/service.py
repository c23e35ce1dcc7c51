"""The PPA owners projection: recorded from portfolio events, read by the task rules."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime
from functools import cache

from sqlalchemy import ARRAY, Select, Uuid, any_, bindparam, delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from tasks_service.ppa_owners.models import PpaOwners


@cache
def _owners_statement() -> Select[uuid.UUID, list[uuid.UUID]]:
    """The owners of the PPAs of the array ``ppa_ids``: one statement built once and one
    parameter, however many PPAs (a year's feed names hundreds)."""
    return select(PpaOwners.ppa_id, PpaOwners.owner_ids).where(
        PpaOwners.ppa_id == any_(bindparam("ppa_ids", type_=ARRAY(Uuid)))
    )


def owners_by_ppa(
    session: Session, ppa_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, frozenset[uuid.UUID]]:
    """The owners of each of the PPAs, in one query; PPAs unknown here (not announced, or
    deleted) are left out."""
    if not ppa_ids:
        return {}
    rows = session.execute(_owners_statement(), {"ppa_ids": list(ppa_ids)})
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
