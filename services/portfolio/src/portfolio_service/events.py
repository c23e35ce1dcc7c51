"""Events: what this service emits (through its outbox) and the handlers it consumes with.

Emitted, always in the transaction of the change they announce (`outbox.add`; services
never commit):

- ``ppa.created`` / ``ppa.updated``: title, category, status, start_date, target_end_date,
  fiscal_year; ``ppa.deleted``: title.
- ``ppa.approval_changed``: title, from, to, changed_on (ISO date).
- ``assessment.created`` / ``assessment.updated``: title, primary_methodology, status,
  planned_start_date, planned_end_date; ``assessment.deleted``: title.
- ``milestone.changed``, ``workflow_stage.changed``, ``need.changed``: calendar and cache
  invalidation (what changed, ``deleted`` when it is gone).

Consumed: ``task.created|updated|completed|deleted`` keep the per-PPA task projection and
PPA progress current (`progress.service`). The worker calls ``HANDLERS[event.type]``
with its session and the event, and commits.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from obcms_platform.bus import Event
from portfolio_service.progress.service import apply_task_event

HANDLERS: dict[str, Callable[[Session, Event], None]] = {
    "task.created": apply_task_event,
    "task.updated": apply_task_event,
    "task.completed": apply_task_event,
    "task.deleted": apply_task_event,
}
