"""Announcing every record of a table anew: an operator's command after an upgrade whose
consumers keep something they were not sent before (`obcms-gateway users announce`,
`obcms-portfolio ppas announce`).

New events, with new ids and the records' current state: a consumer's inbox skips event ids
it has handled, so re-publishing the old events (`bus republish`) would not reach it. Each
consumer keeps the newest state it saw (a version, or the event's `occurred_at`), so a
record announced twice changes nothing the second time.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from obcms_platform.columns import Identified
from obcms_platform.db import Database

# Records announced per transaction: a large table is never held in one.
ANNOUNCE_BATCH = 500

Record = TypeVar("Record", bound=Identified)


def announce_every(
    database: Database,
    model: type[Record],
    announce: Callable[[Session, Sequence[Record]], None],
    *,
    batch_size: int = ANNOUNCE_BATCH,
) -> int:
    """Call `announce` (which stages the events in the outbox) on every row of `model`, in
    id order, `batch_size` rows per committed transaction; the number of rows announced.

    Each batch's rows are read under a shared row lock, so a change of one of them being
    written now commits first and is what is announced, and a change after takes its lock
    (and its event's moment) after the announcement: an announcement never carries a state
    older than an event announced before it."""
    announced = 0
    after: uuid.UUID | None = None
    while True:
        statement = (
            select(model)
            .options(lazyload("*"))  # what a payload reads is the row's own columns
            .order_by(model.id)
            .limit(batch_size)
            .with_for_update(read=True, of=model)
        )
        if after is not None:
            statement = statement.where(model.id > after)
        with database.session() as session:
            rows = session.scalars(statement).all()
            if not rows:
                return announced
            announce(session, rows)
            session.commit()
        announced += len(rows)
        after = rows[-1].id
