"""The approval workflow of a PPA (DOMAIN.md; its rules are `obcms_platform.approval`,
which the gateway reads too). Functions take a session and never commit.

    draft -> technical_review -> budget_review -> (stakeholder_consultation ->)
    executive_approval -> approved -> enacted

Every review stage (technical_review, budget_review, stakeholder_consultation,
executive_approval) may go to rejected, saying why in the move's note (422 without one: the
PPA's owners are told it), and rejected may go back to draft; any other move
is refused with 409; an admin may send an approved PPA back to draft (to change its budget or
scope, frozen from budget review on), saying why in the move's note (422 without one). Every
move needs the manager role (authz.py); the final approval (into approved, and on into
enacted) and undoing it need admin. Entering
budget_review checks the PPA against the active budget ceilings of its sector, fiscal year
and funding source: over a hard one is refused, over a soft one is noted in the move. Each move is
recorded (who, when, from, to, note) and announced as `ppa.approval_changed`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from obcms_platform.approval import TRANSITIONS, missing_note, needs_admin
from obcms_platform.auth import Principal, Role
from obcms_platform.contracts import PPA_APPROVAL_CHANGED, PpaApprovalChanged
from obcms_platform.errors import (
    ConflictError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
)
from obcms_platform.history import because
from obcms_platform.records import locked
from obcms_platform.zones import office_today
from portfolio_service.approvals.models import ApprovalHistory
from portfolio_service.approvals.schemas import ApprovalRequest
from portfolio_service.ceilings.service import ensure_within_ceiling
from portfolio_service.db import outbox
from portfolio_service.ppas.models import ApprovalStatus, Ppa

S = ApprovalStatus


def change_approval(
    session: Session,
    ppa_id: uuid.UUID,
    request: ApprovalRequest,
    principal: Principal,
    expected_version: int | None = None,
) -> Ppa:
    ppa = locked(session, Ppa, ppa_id, expected_version, what="PPA")
    current, target = ppa.approval_status, request.to
    allowed = TRANSITIONS[current]
    if target not in allowed:
        options = ", ".join(sorted(status.value for status in allowed)) or "none (final)"
        raise ConflictError(
            f"to: a PPA in {current.value} cannot move to {target.value} (allowed: {options})",
            field="to",
        )
    if needs_admin(current, target) and not principal.has_role(Role.ADMIN):
        raise ForbiddenError(
            f"moving a PPA from {current.value} to {target.value} needs the admin role"
        )
    asked = missing_note(current, target)
    if asked and not request.note.strip():
        raise InvalidInputError(f"note: {asked}", field="note")
    # Over a soft ceiling: allowed, and said in the move's note for the approvers after.
    flags = ensure_within_ceiling(session, ppa) if target is S.BUDGET_REVIEW else []
    note = "; ".join([request.note, *flags] if request.note else flags)
    ppa.approval_status = target
    ppa.updated_by = principal.user_id
    with because(session, note or None):
        session.add(
            ApprovalHistory(
                id=uuid.uuid4(),
                ppa_id=ppa.id,
                from_status=current,
                to_status=target,
                changed_by=principal.user_id,
                changed_at=datetime.now(UTC),
                note=note,
            )
        )
        session.flush()
    session.expire(ppa, ["approval_history"])
    outbox.add(
        session,
        PPA_APPROVAL_CHANGED,
        PpaApprovalChanged(
            title=ppa.title,
            from_=current,
            to=target,
            note=note,
            changed_on=office_today(),
            changed_by=principal.user_id,
        ),
        subject_id=ppa.id,
    )
    return ppa


def list_history(session: Session, ppa_id: uuid.UUID) -> list[ApprovalHistory]:
    if session.scalar(select(Ppa.id).where(Ppa.id == ppa_id)) is None:
        raise NotFoundError("PPA", ppa_id)
    return list(
        session.scalars(
            select(ApprovalHistory)
            .where(ApprovalHistory.ppa_id == ppa_id)
            .order_by(ApprovalHistory.changed_at, ApprovalHistory.id)
        )
    )
