"""Task timeline route (read-only); included before the tasks' own routes, whose
``/tasks/{task_id}`` would take ``timeline`` for an id."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from obcms_platform.auth import CurrentPrincipal
from obcms_platform.db import DbSession
from obcms_platform.resource_routes import collection_router
from tasks_service.timeline import service
from tasks_service.timeline.schemas import TaskTimeline, TaskTimelineFilters

router = collection_router("tasks", tag="timeline")


@router.get("/timeline", response_model=TaskTimeline)
def task_timeline(
    session: DbSession,
    principal: CurrentPrincipal,
    filters: Annotated[TaskTimelineFilters, Query()],
) -> TaskTimeline:
    """One PPA's or one assessment's tasks (at most `limit`; `total` says how many there
    are), by start or due date, with `depends_on`; `editable` says whether the caller may
    move each."""
    return service.task_timeline(session, filters, principal)
