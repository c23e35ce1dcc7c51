"""Operator actions on the bus: dead letters (list, inspect, replay) and re-publishing."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from celery import Celery
from sqlalchemy import Row, func, select, update
from sqlalchemy.orm import Session

from obcms_platform.bus.outbox import notify_relay
from obcms_platform.bus.tables import BusTables
from obcms_platform.bus.topology import queue_name
from obcms_platform.bus.worker import HANDLE_TASK


def dead_letters(
    session: Session, tables: BusTables, *, include_replayed: bool = False
) -> list[Row[Any]]:
    dead = tables.dead_letters
    statement = select(dead).order_by(dead.c.failed_at)
    if not include_replayed:
        statement = statement.where(dead.c.replayed_at.is_(None))
    return list(session.execute(statement))


def dead_letter(session: Session, tables: BusTables, dead_letter_id: uuid.UUID) -> Row[Any] | None:
    dead = tables.dead_letters
    return session.execute(select(dead).where(dead.c.id == dead_letter_id)).first()


def replay(session: Session, tables: BusTables, app: Celery, rows: list[Row[Any]]) -> int:
    """Send dead-lettered events back to their consumer's queue (only that consumer's)."""
    dead = tables.dead_letters
    for row in rows:
        # Name the queue: without it Celery routes to its default queue ("celery", which
        # nobody consumes) and rewrites the anonymous exchange's routing key to that name.
        app.send_task(
            HANDLE_TASK,
            args=[row.payload],
            queue=queue_name(row.consumer),
            exchange="",
            routing_key=queue_name(row.consumer),
            declare=[],
        )
        session.execute(update(dead).where(dead.c.id == row.id).values(replayed_at=func.now()))
    return len(rows)


def republish(
    session: Session,
    tables: BusTables,
    since: datetime,
    until: datetime,
    event_type: str | None = None,
) -> int:
    """Queue a time range of this service's events for publishing again (consumers dedupe)."""
    outbox = tables.outbox
    statement = (
        update(outbox)
        .where(outbox.c.created_at >= since, outbox.c.created_at < until)
        .values(published_at=None)
    )
    if event_type:
        statement = statement.where(outbox.c.event_type == event_type)
    queued = int(session.execute(statement).rowcount or 0)  # type: ignore[attr-defined]
    if queued:
        notify_relay(session)
    return queued


def outbox_status(session: Session, tables: BusTables) -> dict[str, Any]:
    outbox = tables.outbox
    pending, oldest = session.execute(
        select(func.count(), func.min(outbox.c.created_at)).where(outbox.c.published_at.is_(None))
    ).one()
    total = session.scalar(select(func.count()).select_from(outbox))
    return {"pending": pending, "oldest_pending": oldest, "retained": total}
