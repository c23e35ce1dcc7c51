"""Events: what this service emits (through its outbox) and the handlers it consumes with.

Emitted, always in the transaction of the change they announce (`outbox.add`; services
never commit); their payloads are declared in `obcms_platform.contracts`:

- ``ppa.created`` / ``ppa.updated`` / ``ppa.deleted``, ``ppa.approval_changed``.
- ``assessment.created`` / ``assessment.updated`` / ``assessment.deleted``.
- ``milestone.changed``, ``workflow_stage.changed``, ``need.changed``: calendar and cache
  invalidation (what changed, ``deleted`` when it is gone).

Consumed: ``task.created|updated|completed|deleted`` keep the per-PPA task projection and
PPA progress current (`progress.service`); ``user.changed`` the people its exports name
(`obcms_platform.people`); its own ``ppa.deleted`` and
``assessment.deleted`` remove the record's attached files (`handlers`: the worker's
storage). The worker calls the handler of the event's type with its session and the event,
and commits.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from obcms_platform.attachments import removing_files
from obcms_platform.bus import Event
from obcms_platform.bus.consumer import Handler
from obcms_platform.contracts import (
    ASSESSMENT_DELETED,
    EXPORT_REQUESTED,
    PPA_DELETED,
    TASK_COMPLETED,
    TASK_CREATED,
    TASK_DELETED,
    TASK_UPDATED,
    USER_CHANGED,
)
from obcms_platform.export_jobs import ExportJobLimits, runner_in, running_jobs
from obcms_platform.people import directory_handler
from obcms_platform.storage import FileStorage
from portfolio_service.attachments.models import ASSESSMENT_FILES, PPA_FILES
from portfolio_service.exports.service import PORTFOLIO_EXPORTS
from portfolio_service.people.models import Person
from portfolio_service.progress.service import apply_task_event

HANDLERS: dict[str, Callable[[Session, Event], None]] = {
    TASK_CREATED.name: apply_task_event,
    TASK_UPDATED.name: apply_task_event,
    TASK_COMPLETED.name: apply_task_event,
    TASK_DELETED.name: apply_task_event,
    USER_CHANGED.name: directory_handler(Person),  # the names its exports write
}


def handlers(
    storage: FileStorage, export_limits: ExportJobLimits = ExportJobLimits()
) -> dict[str, Handler]:
    """Every handler of the worker: `HANDLERS`, a deleted PPA's or assessment's files
    removed from `storage`, and its export jobs run into it (its own ``export.requested``)."""
    return {
        **HANDLERS,
        PPA_DELETED.name: removing_files(storage, PPA_FILES),
        ASSESSMENT_DELETED.name: removing_files(storage, ASSESSMENT_FILES),
        EXPORT_REQUESTED.name: running_jobs(
            runner_in(PORTFOLIO_EXPORTS, storage, export_limits), PORTFOLIO_EXPORTS.service
        ),
    }
