"""PPA progress from the tasks linked to it. Functions take a session and never commit.

`progress = floor(completed / total * 100)` over the live tasks whose `related_ppa_id` is
the PPA, 0 when there are none (DOMAIN.md, "Progress from tasks"). The tasks live in the
tasks service; this service keeps a projection of them (`ppa_task_projection`) from the
`task.*` events, which may arrive late, twice or out of order.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from typing import cast

from sqlalchemy import Row, Table, Update, and_, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from obcms_platform.bus import Event
from obcms_platform.contracts import TASK_DELETED, TaskChanged
from obcms_platform.history import RecordChange, because
from portfolio_service.db import history
from portfolio_service.ppas.models import Ppa
from portfolio_service.progress.models import PpaTaskProjection, TaskStatus


def apply_task_event(session: Session, event: Event) -> None:
    """Handler of `task.created|updated|completed|deleted`.

    The event is applied only when it carries a newer task version than the projection
    holds, so a stale, repeated or out-of-order event changes nothing; a deleted task's
    tombstone is never overwritten. The PPAs the task left and joined get their progress
    recomputed. Raises ValidationError on a malformed event (the worker dead-letters it).

    The usual event (a new task, or a change within its PPA) takes two statements, and one
    when it cannot change the progress (`_keeps_progress`): every event of a PPA's creation
    waits for the one before it on the PPA's lock, so each round trip saved shortens how long
    a later completion waits in the queue.
    """
    data = TaskChanged.of(event)
    deleted = event.type == TASK_DELETED.name
    locked = session.execute(
        _APPLY_WITHIN_PPA,
        {
            "task_id": data.task_id,
            "ppa_id": data.related_ppa_id,
            "status": data.status,
            "version": data.version,
            "deleted": deleted,
        },
    ).all()
    if locked:
        if all(_keeps_progress(progress, data, deleted=deleted) for _, progress in locked):
            return
        affected: Collection[uuid.UUID] = [ppa_id for ppa_id, _ in locked]
    else:
        # Stale, tombstoned, moved to another PPA, or of no PPA this service has: the
        # general path (with the projection row already locked by the attempt above).
        affected = _apply(session, data, deleted=deleted)
        if not affected:
            return
        _lock_ppas(session, affected)
    task = f'"{data.title}"' if data.title else str(data.task_id)
    with because(session, f"progress from task {task}"):
        _recount(session, affected)


# The tables themselves: plain Core statements, without the ORM's work on every execution.
_projection = cast(Table, PpaTaskProjection.__table__)
_ppas = cast(Table, Ppa.__table__)
_proposed = insert(_projection).values(
    task_id=bindparam("task_id"),
    ppa_id=bindparam("ppa_id"),
    status=bindparam("status"),
    version=bindparam("version"),
    deleted=bindparam("deleted"),
)
# Record the task when new, or update it when newer and still of the same PPA, and lock
# that PPA, in one statement (built once: only the parameters change from event to event).
# ON CONFLICT locks the existing row even when its WHERE refuses the update. The PPA lock is
# taken here, before the counting statement: that one starts after it (a fresh snapshot
# under READ COMMITTED), so it sees every change committed by whoever held the lock before.
_applied = (
    _proposed.on_conflict_do_update(
        index_elements=[_projection.c.task_id],
        set_={
            "status": _proposed.excluded.status,
            "version": _proposed.excluded.version,
            "deleted": _proposed.excluded.deleted,
            "updated_at": func.now(),
        },
        where=and_(
            ~_projection.c.deleted,
            _projection.c.version < _proposed.excluded.version,
            _projection.c.ppa_id.is_not_distinct_from(_proposed.excluded.ppa_id),
        ),
    )
    .returning(_projection.c.ppa_id)
    .cte("applied")
)
# The PPA's progress is returned as the lock leaves it: after waiting, the latest committed.
_APPLY_WITHIN_PPA = (
    select(_ppas.c.id, _ppas.c.progress)
    .join(_applied, _applied.c.ppa_id == _ppas.c.id)
    .with_for_update(of=_ppas)
)


def _keeps_progress(progress: int, data: TaskChanged, *, deleted: bool) -> bool:
    """Whether a change applied within the PPA leaves its `progress` as it is, without
    counting: a PPA at 0 % stays there when the task ends live and not completed.

    Such a change never raises the completed count and never lowers the total (a new task
    adds to the total, a reopened one leaves the completed), so `completed * 100 < total`
    still holds. These are the 10 `task.created` of a
    PPA's generated tasks, none completed, each otherwise a recount on the PPA's lock. The
    stored progress is the count as of the last change committed under that lock (every
    change that can move it recounts), which is the one this statement waited for.
    """
    return progress == 0 and not deleted and data.status != TaskStatus.COMPLETED


def _apply(session: Session, data: TaskChanged, *, deleted: bool) -> set[uuid.UUID]:
    """Record the task's new state when newer; returns the PPAs whose counts may change."""
    stored = _stored(session, data.task_id)
    if stored is None:
        inserted = session.scalar(
            insert(PpaTaskProjection)
            .values(
                task_id=data.task_id,
                ppa_id=data.related_ppa_id,
                status=data.status,
                version=data.version,
                deleted=deleted,
            )
            .on_conflict_do_nothing(index_elements=["task_id"])
            .returning(PpaTaskProjection.task_id)
        )
        if inserted is not None:
            return _ids(data.related_ppa_id)
        # A concurrent consumer recorded the task first; its row is committed now.
        stored = _stored(session, data.task_id)
        assert stored is not None
    previous_ppa, stored_version, stored_deleted = stored
    if stored_deleted or stored_version >= data.version:
        return set()
    session.execute(
        update(PpaTaskProjection)
        .where(PpaTaskProjection.task_id == data.task_id)
        .values(
            ppa_id=data.related_ppa_id,
            status=data.status,
            version=data.version,
            deleted=deleted,
        )
        .execution_options(synchronize_session=False)
    )
    return _ids(previous_ppa, data.related_ppa_id)


def _stored(session: Session, task_id: uuid.UUID) -> Row[uuid.UUID | None, int, bool] | None:
    """The projection row of the task, locked: events of one task apply one at a time."""
    return session.execute(
        select(PpaTaskProjection.ppa_id, PpaTaskProjection.version, PpaTaskProjection.deleted)
        .where(PpaTaskProjection.task_id == task_id)
        .with_for_update()
    ).one_or_none()


def _ids(*ppa_ids: uuid.UUID | None) -> set[uuid.UUID]:
    return {ppa_id for ppa_id in ppa_ids if ppa_id is not None}


def recompute_progress(session: Session, ppa_ids: Collection[uuid.UUID] | None = None) -> int:
    """Recompute `progress` of the given PPAs (all when None) in one statement.

    PPAs that do not exist are skipped. A PPA whose progress changes keeps its version: the
    version counts people's changes, and a figure the system keeps must not make a form or
    the approval queue a person has open stale (every approval move and task change
    recounted it, and their next save was refused as "changed by someone else"). It gets a
    history entry (old → new, for the session's cause: the ORM's flush does not see this
    statement). Returns how many PPAs changed.
    """
    if ppa_ids is not None and not ppa_ids:
        return 0
    _lock_ppas(session, ppa_ids)
    return _recount(session, ppa_ids)


def _lock_ppas(session: Session, ppa_ids: Collection[uuid.UUID] | None) -> None:
    """Lock the PPAs (all when None) in a fixed order, before they are counted.

    Two task events of one PPA handled at once would otherwise each count with the other's
    change still uncommitted, and the second UPDATE (re-checked against the first's
    committed row, but not re-counted) would store a stale figure: 3 tasks completed at
    once could leave progress at 10. Once the lock is ours, a counting statement sent after
    it sees every change committed before it.
    """
    lock = select(Ppa.id).order_by(Ppa.id).with_for_update()
    if ppa_ids is not None:
        lock = lock.where(Ppa.id.in_(list(ppa_ids)))
    session.execute(lock).all()


def _recount_statement(*, of_some: bool) -> Update:
    """Store the counted progress of the PPAs (those of the `ppa_ids` parameter when
    `of_some`, else all); returns the ones that changed, with their previous progress."""
    ppas, live = _ppas, _projection
    total = func.count(live.c.task_id)
    completed = func.count(live.c.task_id).filter(live.c.status == TaskStatus.COMPLETED)
    computed_query = (
        select(
            ppas.c.id.label("ppa_id"),
            ppas.c.progress.label("previous"),
            func.coalesce((completed * 100) // func.nullif(total, 0), 0).label("progress"),
        )
        .select_from(ppas)
        # `NOT deleted`, the partial index's own predicate: PostgreSQL does not match
        # `deleted IS false` to it and scanned every task of the projection per event.
        .outerjoin(live, and_(live.c.ppa_id == ppas.c.id, ~live.c.deleted))
        .group_by(ppas.c.id)
    )
    if of_some:
        computed_query = computed_query.where(ppas.c.id.in_(bindparam("ppa_ids", expanding=True)))
    computed = computed_query.subquery("computed")
    return (
        update(ppas)
        .where(
            ppas.c.id == computed.c.ppa_id,
            ppas.c.progress.is_distinct_from(computed.c.progress),
        )
        # Neither the version nor who changed it last: no person's change (see above).
        .values(progress=computed.c.progress)
        .returning(ppas.c.id, ppas.c.version, computed.c.previous, ppas.c.progress)
    )


# Built once: an event's recount differs from the last one only in its parameters.
_RECOUNT_SOME = _recount_statement(of_some=True)
_RECOUNT_ALL = _recount_statement(of_some=False)


def _recount(session: Session, ppa_ids: Collection[uuid.UUID] | None) -> int:
    """Store the counted progress of the PPAs (all when None), locked by the caller."""
    if ppa_ids is None:
        changed = session.execute(_RECOUNT_ALL).all()
    else:
        changed = session.execute(_RECOUNT_SOME, {"ppa_ids": list(ppa_ids)}).all()
    history.add(
        session,
        Ppa,
        [
            RecordChange(ppa_id, version, {"progress": (previous, progress)})
            for ppa_id, version, previous, progress in changed
        ],
    )
    return len(changed)
