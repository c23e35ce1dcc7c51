"""Staff leave domain logic. Functions take a session and never commit; the route does."""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.orm import Session

from calendar_service.authz import LEAVE_FOR_SOMEONE, LEAVE_READ_PRIVATE
from calendar_service.db import outbox
from calendar_service.leaves.models import PRIVATE_FIELDS, SHOWN_LEAVE, LeaveStatus, StaffLeave
from calendar_service.leaves.schemas import LeaveCreate, LeaveFilters, LeaveRead
from obcms_platform import records
from obcms_platform.auth import Principal, Role
from obcms_platform.authz import Ownership, ensure
from obcms_platform.contracts import (
    LEAVE_CREATED,
    LEAVE_DELETED,
    LEAVE_UPDATED,
    EventContract,
    LeaveChanged,
)
from obcms_platform.errors import ConflictError, InvalidInputError, NotFoundError
from obcms_platform.formatting import format_span
from obcms_platform.pagination import PageParams, paginate


def get_leave(session: Session, leave_id: uuid.UUID) -> StaffLeave:
    return records.get_or_404(session, StaffLeave, leave_id, what="leave")


def get_visible_leave(session: Session, leave_id: uuid.UUID, principal: Principal) -> StaffLeave:
    """The leave as `principal` may look it up: a colleague's only while it holds its days
    (pending or approved); a refused request is its people's and the managers' business."""
    leave = get_leave(session, leave_id)
    if leave.status not in SHOWN_LEAVE and not may_read_private(leave, principal):
        raise NotFoundError("leave", leave_id)
    return leave


def list_leaves(
    session: Session, filters: LeaveFilters, page: PageParams, principal: Principal
) -> tuple[list[StaffLeave], int]:
    return paginate(session, filtered_leaves(session, filters, principal), page)


def filtered_leaves(
    session: Session, filters: LeaveFilters, principal: Principal
) -> Select[StaffLeave]:
    """The leave the list's filters select for `principal`, in its order (its pages, its
    export; each shown as `as_read` shows it to them)."""
    conditions: list[ColumnElement[bool]] = []
    if filters.mine:
        conditions.append(StaffLeave.user_id == principal.user_id)
    elif filters.user_id is not None:
        conditions.append(StaffLeave.user_id == filters.user_id)
    conditions += records.field_conditions(StaffLeave, filters, "status")
    if not LEAVE_READ_PRIVATE.allows(principal):
        # A colleague's refused request is not theirs to see (who is away, and when, is).
        conditions.append(or_(StaffLeave.status.in_(SHOWN_LEAVE), readable_by(principal)))
    if filters.leave_type:
        conditions.append(StaffLeave.leave_type.in_(filters.leave_type))
        if not LEAVE_READ_PRIVATE.allows(principal):
            # Filtering by type would tell a colleague's type: only leave one may read.
            conditions.append(readable_by(principal))
    if filters.from_date is not None:
        conditions.append(StaffLeave.end_date >= filters.from_date)
    if filters.to_date is not None:
        conditions.append(StaffLeave.start_date <= filters.to_date)
    return select(StaffLeave).where(*conditions).order_by(StaffLeave.start_date, StaffLeave.id)


def readable_by(principal: Principal) -> ColumnElement[bool]:
    """Leave whose type and reason `principal` may see without a manager's role."""
    return or_(StaffLeave.user_id == principal.user_id, StaffLeave.created_by == principal.user_id)


def may_read_private(leave: StaffLeave, principal: Principal) -> bool:
    """Whether `principal` may see the leave's type and reason (its `PRIVATE_FIELDS`), in
    the leave itself and in its history."""
    return LEAVE_READ_PRIVATE.allows(principal, Ownership.of(leave.user_id, leave.created_by))


def as_read(leave: StaffLeave, principal: Principal) -> LeaveRead:
    """The leave as `principal` may see it: a colleague's without its type and reason."""
    read = LeaveRead.model_validate(leave)
    if may_read_private(leave, principal):
        return read
    return read.model_copy(update=dict.fromkeys(PRIVATE_FIELDS))


def create_leave(session: Session, data: LeaveCreate, principal: Principal) -> StaffLeave:
    if data.end_date < data.start_date:
        raise InvalidInputError("end_date: must not be before start_date", field="end_date")
    user_id = data.user_id or principal.user_id
    ensure(principal, LEAVE_FOR_SOMEONE, Ownership.of(user_id))
    # One person's requests take turns, so two at once cannot both pass the overlap check.
    records.serialise(session, user_id)
    _ensure_no_overlap(session, user_id, data)
    leave = StaffLeave(
        id=uuid.uuid4(),
        user_id=user_id,
        leave_type=data.leave_type,
        start_date=data.start_date,
        end_date=data.end_date,
        status=LeaveStatus.PENDING,
        reason=data.reason,
        created_by=principal.user_id,
    )
    records.insert_row(session, leave)
    announce(session, LEAVE_CREATED, leave)
    return leave


def _ensure_no_overlap(session: Session, user_id: uuid.UUID, data: LeaveCreate) -> None:
    """409 naming start_date when the days overlap a pending or approved leave of the same
    person (one is on leave once a day; a mistaken request is withdrawn first), and that
    leave's id (a page links it)."""
    overlapping = session.scalars(
        select(StaffLeave)
        .where(
            StaffLeave.user_id == user_id,
            StaffLeave.status.in_(SHOWN_LEAVE),
            StaffLeave.start_date <= data.end_date,
            StaffLeave.end_date >= data.start_date,
        )
        .order_by(StaffLeave.start_date)
        .limit(1)
    ).first()
    if overlapping is not None:
        days = format_span(overlapping.start_date, overlapping.end_date)
        # A pending request its person withdraws; approved leave only a manager cancels.
        undo = (
            "withdraw that request first"
            if overlapping.status is LeaveStatus.PENDING
            else "ask a manager to cancel it first"
        )
        raise ConflictError(
            f"start_date: these days overlap leave already {overlapping.status.value} for "
            f"{days}, id {overlapping.id}; {undo}, or choose other days",
            field="start_date",
        )


def decide(
    session: Session,
    leave_id: uuid.UUID,
    to: LeaveStatus,
    principal: Principal,
    reason: str | None = None,
) -> StaffLeave:
    """Approve or reject pending leave (who may: authz.LEAVE_DECIDE); a rejection says why
    (`reason`, 422 without one): the requester is told it."""
    leave = records.locked(session, StaffLeave, leave_id, what="leave")
    verb = "approve" if to is LeaveStatus.APPROVED else "reject"
    # A leave decided already is refused as such (409) before its missing reason is.
    records.ensure_status(leave.status, (LeaveStatus.PENDING,), refused=f"{verb} leave")
    if to is LeaveStatus.REJECTED and not (reason or "").strip():
        raise InvalidInputError(
            "reason: give the reason for rejecting it, the requester reads it", field="reason"
        )
    records.decide(
        leave,
        to,
        (LeaveStatus.PENDING,),
        refused=f"{verb} leave",
        by=principal,
        note=reason,
    )
    session.flush()
    announce(session, LEAVE_UPDATED, leave)
    return leave


def delete_leave(
    session: Session, leave_id: uuid.UUID, expected_version: int | None, principal: Principal
) -> None:
    """Withdraw a request (its owners, while it is pending) or cancel leave (a manager, in
    any state: who may, authz.LEAVE_WITHDRAW)."""
    leave = records.locked(session, StaffLeave, leave_id, expected_version, what="leave")
    if leave.status is not LeaveStatus.PENDING and not principal.has_role(Role.MANAGER):
        raise ConflictError(
            f"status: only a pending request can be withdrawn; this one is "
            f"{leave.status.value}: a manager can cancel it",
            field="status",
        )
    announce(session, LEAVE_DELETED, leave, version=records.delete_row(session, leave))


def announce(
    session: Session,
    contract: EventContract[LeaveChanged],
    leave: StaffLeave,
    version: int | None = None,
) -> None:
    """Stage a leave event (`version`: a deletion's, one past the row's last)."""
    final = leave.version if version is None else version
    outbox.add(
        session,
        contract,
        LeaveChanged.of_record(
            leave, leave_id=leave.id, decided_by=leave.approved_by, version=final
        ),
        subject_id=leave.id,
        version=final,
    )
