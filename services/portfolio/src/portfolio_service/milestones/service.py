"""Milestones of a PPA. Functions take a session and never commit."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from obcms_platform.contracts import MILESTONE_CHANGED, MilestoneChanged
from obcms_platform.errors import NotFoundError
from obcms_platform.records import apply_changes, delete_row, insert_row, locked
from portfolio_service.db import outbox
from portfolio_service.milestones.models import Milestone
from portfolio_service.milestones.schemas import MilestoneCreate, MilestoneUpdate
from portfolio_service.ppas.models import Ppa


def list_milestones(session: Session, ppa_id: uuid.UUID) -> list[Milestone]:
    _ensure_ppa(session, ppa_id)
    return list(
        session.scalars(
            select(Milestone)
            .where(Milestone.ppa_id == ppa_id)
            .order_by(Milestone.date, Milestone.id)
        )
    )


def create_milestone(session: Session, ppa_id: uuid.UUID, data: MilestoneCreate) -> Milestone:
    _ensure_ppa(session, ppa_id)
    milestone = Milestone(id=uuid.uuid4(), ppa_id=ppa_id, **data.model_dump())
    insert_row(session, milestone)
    _announce(session, milestone)
    return milestone


def update_milestone(
    session: Session,
    ppa_id: uuid.UUID,
    milestone_id: uuid.UUID,
    changes: MilestoneUpdate,
    expected_version: int | None = None,
) -> Milestone:
    milestone = _locked(session, ppa_id, milestone_id, expected_version)
    apply_changes(milestone, changes.changes())
    session.flush()
    _announce(session, milestone)
    return milestone


def delete_milestone(
    session: Session,
    ppa_id: uuid.UUID,
    milestone_id: uuid.UUID,
    expected_version: int | None = None,
) -> None:
    milestone = _locked(session, ppa_id, milestone_id, expected_version)
    delete_row(session, milestone)
    _announce(session, milestone, deleted=True)


def _locked(
    session: Session, ppa_id: uuid.UUID, milestone_id: uuid.UUID, expected_version: int | None
) -> Milestone:
    """The PPA's milestone, row-locked for writing (`locked`: a stale `expected_version`
    is a 412)."""
    milestone = locked(session, Milestone, milestone_id, expected_version, what="milestone")
    if milestone.ppa_id != ppa_id:
        raise NotFoundError("milestone", milestone_id)
    return milestone


def _ensure_ppa(session: Session, ppa_id: uuid.UUID) -> None:
    if session.scalar(select(Ppa.id).where(Ppa.id == ppa_id)) is None:
        raise NotFoundError("PPA", ppa_id)


def _announce(session: Session, milestone: Milestone, *, deleted: bool = False) -> None:
    outbox.add(
        session,
        MILESTONE_CHANGED,
        MilestoneChanged.of_record(milestone, deleted=deleted),
        subject_id=milestone.id,
    )
