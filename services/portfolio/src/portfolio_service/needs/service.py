"""Needs and their links to PPAs. Functions take a session and never commit.

Any staff member may record a need; changing, linking or deleting one takes its creator or a
manager (authz.py). A change of its links is a change of the need: its version moves on and
it names who made it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, func, select
from sqlalchemy.orm import QueryableAttribute, Session, selectinload
from sqlalchemy.orm.attributes import flag_modified

from obcms_platform import records
from obcms_platform.auth import Principal
from obcms_platform.contracts import NEED_CHANGED, NeedChanged
from obcms_platform.errors import InputProblems, InvalidInputError, NotFoundError
from obcms_platform.history import RecordChange
from obcms_platform.pagination import PageParams, paginate
from portfolio_service.assessments.models import Assessment
from portfolio_service.db import history, outbox
from portfolio_service.needs.models import Need, NeedPpaLink
from portfolio_service.needs.schemas import (
    NeedCreate,
    NeedFilters,
    NeedSort,
    NeedUpdate,
)
from portfolio_service.ppas.models import Ppa
from portfolio_service.priorities import service as ranks


def get_need(session: Session, need_id: uuid.UUID) -> Need:
    return records.get_or_404(session, Need, need_id, what="need")


def list_needs(session: Session, filters: NeedFilters, page: PageParams) -> tuple[list[Need], int]:
    return paginate(session, filtered_needs(session, filters), page)


def filtered_needs(session: Session, filters: NeedFilters) -> Select[Need]:
    """The needs the list's filters select, in its order (its pages, its export)."""
    conditions = records.field_conditions(
        Need, filters, "status", "urgency_level", "feasibility", "assessment_id"
    )
    if filters.ppa_id is not None:
        conditions.append(
            exists().where(NeedPpaLink.need_id == Need.id, NeedPpaLink.ppa_id == filters.ppa_id)
        )
    if filters.addressed is not None:
        addressed = exists().where(NeedPpaLink.need_id == Need.id)
        conditions.append(addressed if filters.addressed else ~addressed)
    if filters.q:
        conditions.append(records.text_match(filters.q, Need.title, Need.description))
    if filters.community:
        conditions.append(func.lower(Need.community) == filters.community.lower())
    return select(Need).where(*conditions).order_by(*_order(filters.sort))


def _order(sort: NeedSort) -> tuple[ColumnElement[Any] | QueryableAttribute[Any], ...]:
    newest = (Need.created_at.desc(), Need.id)
    if sort is NeedSort.PRIORITY:
        return (Need.priority_rank.asc().nulls_last(), ranks.PRIORITY_SCORE.desc(), *newest)
    return newest


def exported_needs(session: Session, filters: NeedFilters) -> Select[Need]:
    """The list's needs with the PPAs addressing each (a column of the export)."""
    return filtered_needs(session, filters).options(selectinload(Need.ppa_links))


def create_need(
    session: Session, data: NeedCreate, principal: Principal, record_id: uuid.UUID | None = None
) -> Need:
    """A new need; `record_id` keeps an imported one's id (`obcms_platform.imports`)."""
    need = records.new_record(
        Need, principal, record_id=record_id, **data.model_dump(exclude={"ppa_ids"})
    )
    problems = InputProblems()  # an unknown assessment and unknown PPAs: one 422
    with problems.check():
        _check_assessment(session, need.assessment_id)
    with problems.check():
        need.ppa_links = _links(session, data.ppa_ids)
    problems.raise_if_any()
    records.insert_row(session, need)
    _announce(session, need)
    return need


def update_need(
    session: Session,
    need_id: uuid.UUID,
    changes: NeedUpdate,
    principal: Principal,
    expected_version: int | None = None,
) -> Need:
    need = records.locked(session, Need, need_id, expected_version, what="need")
    values = changes.changes()
    records.apply_changes(need, values, by=principal)
    if "assessment_id" in values:
        _check_assessment(session, need.assessment_id)
    session.flush()
    _announce(session, need)
    return need


def delete_need(session: Session, need_id: uuid.UUID, expected_version: int | None = None) -> None:
    ranks.lock(session)
    need = records.locked(session, Need, need_id, expected_version, what="need")
    rank = need.priority_rank
    records.delete_row(session, need)
    if rank is not None:
        ranks.close_gap(session, rank)
    _announce(session, need, deleted=True)


def replace_ppa_links(
    session: Session,
    need_id: uuid.UUID,
    ppa_ids: Sequence[uuid.UUID],
    principal: Principal,
    expected_version: int | None = None,
) -> Need:
    need = records.locked(session, Need, need_id, expected_version, what="need")
    links = _links(session, ppa_ids)
    before = need.ppa_ids
    need.ppa_links.clear()
    session.flush()
    need.ppa_links.extend(links)
    return _links_changed(session, need, principal, before)


def link_ppa(
    session: Session,
    need_id: uuid.UUID,
    ppa_id: uuid.UUID,
    principal: Principal,
    expected_version: int | None = None,
) -> Need:
    """Add one PPA to those addressing the need; one already linked changes nothing. The
    need's row lock queues concurrent link changes, so none is lost."""
    need = records.locked(session, Need, need_id, expected_version, what="need")
    if ppa_id in need.ppa_ids:
        return need
    if session.scalar(select(Ppa.id).where(Ppa.id == ppa_id)) is None:
        raise InvalidInputError(f"ppa_id: unknown PPA {ppa_id}", field="ppa_id")
    before = need.ppa_ids
    need.ppa_links.append(NeedPpaLink(ppa_id=ppa_id))
    return _links_changed(session, need, principal, before)


def unlink_ppa(
    session: Session,
    need_id: uuid.UUID,
    ppa_id: uuid.UUID,
    principal: Principal,
    expected_version: int | None = None,
) -> Need:
    """Remove one PPA from those addressing the need (404 naming ppa_id when not linked)."""
    need = records.locked(session, Need, need_id, expected_version, what="need")
    link = next((link for link in need.ppa_links if link.ppa_id == ppa_id), None)
    if link is None:
        raise NotFoundError("ppa_id: link to PPA", ppa_id, field="ppa_id")
    before = need.ppa_ids
    need.ppa_links.remove(link)
    return _links_changed(session, need, principal, before)


def _links_changed(
    session: Session, need: Need, principal: Principal, before: list[uuid.UUID]
) -> Need:
    """Record who changed the need's links; the row is updated even when the same person
    changed it last, so its version (the ETag) moves on with the links. The links are rows
    of their own: the need's history gets their change (`before` → now) explicitly."""
    need.updated_by = principal.user_id
    flag_modified(need, "updated_by")
    session.flush()
    session.refresh(need)
    if sorted(before) != sorted(need.ppa_ids):
        history.add(
            session,
            Need,
            [RecordChange(need.id, need.version, {"ppa_ids": (before, need.ppa_ids)})],
        )
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


def _announce(session: Session, need: Need, *, deleted: bool = False) -> None:
    outbox.add(
        session,
        NEED_CHANGED,
        NeedChanged.of_record(need, ppa_ids=[] if deleted else need.ppa_ids, deleted=deleted),
        subject_id=need.id,
    )
