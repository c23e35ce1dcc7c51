"""PPA progress from the tasks linked to it. Functions take a session and never commit.

`progress = floor(completed / total * 100)` over the live tasks whose `related_ppa_id` is
the PPA, 0 when there are none (DOMAIN.md, "Progress from tasks"). The tasks live in the
tasks service; this service keeps a projection of them (`ppa_task_projection`) from the
`task.*` events, which may arrive late, twice or out of order.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy import Row, and_, func, select, update
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
    """
    data = TaskChanged.of(event)
    affected = _apply(session, data, deleted=event.type == TASK_DELETED.name)
    if affected:
        task = f'"{data.title}"' if data.title else str(data.task_id)
        with because(session, f"progress from task {task}"):
            recompute_progress(session, affected)


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

    PPAs that do not exist are skipped. A PPA whose progress changes gets a new version
    (its ETag changes) and a history entry (old → new, for the session's cause: the ORM's
    flush does not see this statement). Returns how many PPAs changed.
    """
    # Lock the PPAs first (in a fixed order). Two task events of one PPA handled at once
    # would otherwise each count with the other's change still uncommitted, and the second
    # UPDATE (re-checked against the first's committed row, but not re-counted) would store
    # a stale figure: 3 tasks completed at once could leave progress at 10. Once the lock is
    # ours, the counting statement below sees every change committed before it.
    lock = select(Ppa.id).order_by(Ppa.id).with_for_update()
    if ppa_ids is not None:
        if not ppa_ids:
            return 0
        lock = lock.where(Ppa.id.in_(list(ppa_ids)))
    session.execute(lock).all()
    live = PpaTaskProjection
    total = func.count(live.task_id)
    completed = func.count(live.task_id).filter(live.status == TaskStatus.COMPLETED)
    computed_query = (
        select(
            Ppa.id.label("ppa_id"),
            Ppa.progress.label("previous"),
            func.coalesce((completed * 100) // func.nullif(total, 0), 0).label("progress"),
        )
        .select_from(Ppa)
        # `NOT deleted`, the partial index's own predicate: PostgreSQL does not match
        # `deleted IS false` to it and scanned every task of the projection per event.
        .outerjoin(live, and_(live.ppa_id == Ppa.id, ~live.deleted))
        .group_by(Ppa.id)
    )
    if ppa_ids is not None:
        computed_query = computed_query.where(Ppa.id.in_(list(ppa_ids)))
    computed = computed_query.subquery("computed")
    changed = session.execute(
        update(Ppa)
        .where(
            Ppa.id == computed.c.ppa_id,
            Ppa.progress.is_distinct_from(computed.c.progress),
        )
        # An automatic change: nobody's "changed by" (the pages say "someone else").
        .values(progress=computed.c.progress, version=Ppa.version + 1, updated_by=None)
        .returning(Ppa.id, Ppa.version, computed.c.previous, Ppa.progress)
        .execution_options(synchronize_session=False)
    ).all()
    history.add(
        session,
        Ppa,
        [
            RecordChange(ppa_id, version, {"progress": (previous, progress)})
            for ppa_id, version, previous, progress in changed
        ],
    )
    return len(changed)
