"""Managers' manual ranks of needs on the prioritisation board, and the board's summary.
Functions take a session and never commit.

The ranked needs hold 1, 2, … without gaps or repeats: setting, moving or clearing one rank
renumbers the run of ranks between its old and new place in the same statement (the
database's unique rank is checked at each statement's end), and every change of ranks (and a
ranked need's deletion) first takes one transaction-scoped advisory lock, so two managers
moving needs at once queue instead of numbering from the same stale ranks. The lock comes
before any row lock: a rank change may renumber any ranked need.

A renumbered need is changed too: its version (the ETag) moves on, and its history records
the rank it had and why it moved.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, case, exists, func, literal, or_, select, update
from sqlalchemy.orm import Session

from obcms_platform import records
from obcms_platform.auth import Principal
from obcms_platform.formatting import quoted
from obcms_platform.history import RecordChange, because
from portfolio_service.db import history
from portfolio_service.needs.models import Need, NeedPpaLink
from portfolio_service.priorities.schemas import PrioritySummary
from portfolio_service.priorities.score import HIGH_PRIORITY_SCORE, score_expression

# The advisory lock key of rank changes (a constant no other lock of this database uses:
# theirs are derived from record ids).
RANK_LOCK = 0x6E656564_72616E6B  # "needrank"

# Each need's priority score, in SQL: the board's order over every matching need.
PRIORITY_SCORE = score_expression(
    Need.urgency_level, Need.impact_severity, Need.feasibility, Need.affected_population
)


def lock(session: Session) -> None:
    """Serialise changes of ranks until the transaction ends."""
    session.execute(select(func.pg_advisory_xact_lock(RANK_LOCK)))


def set_rank(
    session: Session,
    need_id: uuid.UUID,
    rank: int | None,
    principal: Principal,
    expected_version: int | None = None,
) -> Need:
    """Put the need at `rank` among the ranked needs (past the last: last), moving those from
    there on down by one; None clears its rank, moving those below it up. Its place already:
    nothing changes."""
    lock(session)
    need = records.locked(session, Need, need_id, expected_version, what="need")
    current = need.priority_rank
    if rank is None:
        if current is not None:
            _renumber(session, need, None, shifted=(current + 1, None), step=-1, by=principal)
        return need
    ranked = session.scalar(select(func.count()).where(Need.priority_rank.is_not(None))) or 0
    target = min(rank, ranked if current is not None else ranked + 1)
    if current is None:
        _renumber(session, need, target, shifted=(target, None), step=1, by=principal)
    elif target < current:
        _renumber(session, need, target, shifted=(target, current - 1), step=1, by=principal)
    elif target > current:
        _renumber(session, need, target, shifted=(current + 1, target), step=-1, by=principal)
    return need


def close_gap(session: Session, rank: int) -> None:
    """Move the needs ranked below `rank` (a deleted need's) up by one; under `lock`."""
    _renumber(session, None, None, shifted=(rank + 1, None), step=-1, by=None)


def _renumber(
    session: Session,
    moved: Need | None,
    target: int | None,
    *,
    shifted: tuple[int, int | None],
    step: int,
    by: Principal | None,
) -> None:
    """In one statement: `moved` to `target` (None: unranked), and the needs ranked from
    `shifted[0]` to `shifted[1]` (None: the last) by `step`; each one's version moves on and
    its history records the change (`moved`'s as `by`'s edit)."""
    first, last = shifted
    in_run = Need.priority_rank >= first
    if last is not None:
        in_run = in_run & (Need.priority_rank <= last)
    moved_id = moved.id if moved is not None else None
    is_moved = Need.id == moved_id
    values: dict[str, Any] = {
        "priority_rank": case((is_moved, literal(target)), else_=Need.priority_rank + step),
        "version": Need.version + 1,
    }
    if moved is not None and by is not None:
        values["updated_by"] = case((is_moved, by.user_id), else_=Need.updated_by)
    changed = session.execute(
        update(Need)
        .where(or_(is_moved, in_run) if moved is not None else in_run)
        .values(values)
        .returning(Need.id, Need.version, Need.priority_rank)
        .execution_options(synchronize_session=False)
    ).all()
    if moved is not None:
        history.add(
            session,
            Need,
            [
                RecordChange(row.id, row.version, {"priority_rank": (moved.priority_rank, target)})
                for row in changed
                if row.id == moved.id
            ],
        )
        cause = f"{quoted(moved.title)} moved to rank {target}" if target else None
        cause = cause or f"{quoted(moved.title)} no longer ranked"
    else:
        cause = "a ranked need was deleted"
    with because(session, cause):
        history.add(
            session,
            Need,
            [
                RecordChange(
                    row.id,
                    row.version,
                    {"priority_rank": (row.priority_rank - step, row.priority_rank)},
                )
                for row in changed
                if row.id != moved_id
            ],
        )
    if moved is not None:
        session.refresh(moved)


def summary(session: Session, needs: Select[Any]) -> PrioritySummary:
    """How many of `needs` (the need list's statement, under its filters) are ranked, high
    priority, addressed by no PPA, and both high priority and unaddressed."""
    high = PRIORITY_SCORE >= HIGH_PRIORITY_SCORE
    uncovered = ~exists().where(NeedPpaLink.need_id == Need.id)
    counts = session.execute(
        needs.order_by(None).with_only_columns(
            func.count(),
            func.count().filter(Need.priority_rank.is_not(None)),
            func.count().filter(high),
            func.count().filter(uncovered),
            func.count().filter(high & uncovered),
        )
    ).one()
    return PrioritySummary(
        needs=counts[0],
        ranked=counts[1],
        high_priority=counts[2],
        uncovered=counts[3],
        high_priority_uncovered=counts[4],
        high_priority_score=HIGH_PRIORITY_SCORE,
    )
