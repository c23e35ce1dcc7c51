"""Needs and their links to PPAs. Functions take a session and never commit.

Any staff member may record and edit needs and link them to PPAs; deleting a need takes
its creator or a manager.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.orm import Session

from obcms_platform.auth import Principal
from obcms_platform.errors import InvalidInputError, NotFoundError
from obcms_platform.pagination import PageParams, paginate
from portfolio_service.assessments.models import Assessment
from portfolio_service.db import outbox
from portfolio_service.needs.models import Need, NeedPpaLink
from portfolio_service.needs.schemas import (
    NULLABLE_UPDATE_FIELDS,
    NeedCreate,
    NeedFilters,
    NeedUpdate,
)
from portfolio_service.ppas.models import Ppa
from portfolio_service.search import text_matches


def get_need(session: Session, need_id: uuid.UUID) -> Need:
    need = session.get(Need, need_id)
    if need is None:
        raise NotFoundError("need", need_id)
    return need


def list_needs(session: Session, filters: NeedFilters, page: PageParams) -> tuple[list[Need], int]:
    conditions: list[ColumnElement[bool]] = []
    if filters.status:
        conditions.append(Need.status.in_(filters.status))
    if filters.urgency_level:
        conditions.append(Need.urgency_level.in_(filters.urgency_level))
    if filters.feasibility:
        conditions.append(Need.feasibility.in_(filters.feasibility))
    if filters.assessment_id is not None:
        conditions.append(Need.assessment_id == filters.assessment_id)
    if filters.ppa_id is not None:
        conditions.append(
            exists().where(NeedPpaLink.need_id == Need.id, NeedPpaLink.ppa_id == filters.ppa_id)
        )
    if filters.addressed is not None:
        addressed = exists().where(NeedPpaLink.need_id == Need.id)
        conditions.append(addressed if filters.addressed else ~addressed)
    if filters.q:
        conditions.append(text_matches(filters.q, Need.title, Need.description))
    statement = select(Need).where(*conditions).order_by(Need.created_at.desc(), Need.id)
    return paginate(session, statement, page)


def create_need(session: Session, data: NeedCreate, principal: Principal) -> Need:
    values = data.model_dump(exclude={"ppa_ids"})
    need = Need(**values, id=uuid.uuid4(), created_by=principal.user_id)
    _check_assessment(session, need.assessment_id)
    need.ppa_links = _links(session, data.ppa_ids)
    session.add(need)
    session.flush()
    _announce(session, need)
    return need


def update_need(session: Session, need_id: uuid.UUID, changes: NeedUpdate) -> Need:
    need = _locked(session, need_id)
    values = changes.model_dump(exclude_unset=True)
    for name, value in values.items():
        if value is None and name not in NULLABLE_UPDATE_FIELDS:
            raise InvalidInputError(f"{name}: may not be null", field=name)
        setattr(need, name, value)
    if "assessment_id" in values:
        _check_assessment(session, need.assessment_id)
    session.flush()
    _announce(session, need)
    return need


def delete_need(session: Session, need_id: uuid.UUID) -> None:
    need = _locked(session, need_id)
    session.delete(need)
    session.flush()
    _announce(session, need, deleted=True)


def replace_ppa_links(session: Session, need_id: uuid.UUID, ppa_ids: Sequence[uuid.UUID]) -> Need:
    need = _locked(session, need_id)
    links = _links(session, ppa_ids)
    need.ppa_links.clear()
    session.flush()
    need.ppa_links.extend(links)
    session.flush()
    session.refresh(need)
    _announce(session, need)
    return need


def _links(session: Session, ppa_ids: Sequence[uuid.UUID]) -> list[NeedPpaLink]:
    """Link rows for `ppa_ids`; an unknown PPA is a 422 naming `ppa_ids`."""
    if not ppa_ids:
        return []
    found = set(session.scalars(select(Ppa.id).where(Ppa.id.in_(list(ppa_ids)))))
    missing = [str(ppa_id) for ppa_id in ppa_ids if ppa_id not in found]
    if missing:
        raise InvalidInputError(f"ppa_ids: unknown PPA {missing[0]}", field="ppa_ids")
    return [NeedPpaLink(ppa_id=ppa_id) for ppa_id in ppa_ids]


def _check_assessment(session: Session, assessment_id: uuid.UUID | None) -> None:
    if assessment_id is None:
        return
    if session.scalar(select(Assessment.id).where(Assessment.id == assessment_id)) is None:
        raise InvalidInputError(
            f"assessment_id: unknown assessment {assessment_id}", field="assessment_id"
        )


def _locked(session: Session, need_id: uuid.UUID) -> Need:
    need = session.get(Need, need_id, with_for_update=True)
    if need is None:
        raise NotFoundError("need", need_id)
    return need


def _announce(session: Session, need: Need, *, deleted: bool = False) -> None:
    outbox.add(
        session,
        "need.changed",
        subject_id=need.id,
        data={
            "title": need.title,
            "status": need.status.value,
            "ppa_ids": [] if deleted else [str(ppa_id) for ppa_id in need.ppa_ids],
            "deleted": deleted,
        },
    )
