"""Task routes: the standard ones of a resource (the list exported as CSV or Excel), the bulk
change and the dependencies."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query

from obcms_platform.auth import CurrentPrincipal
from obcms_platform.db import DbSession
from obcms_platform.errors import error_responses
from obcms_platform.exports import Export
from obcms_platform.resource_routes import ResourceRoutes, Write, Writes, collection_router
from tasks_service.authz import TASK_BULK_UPDATE, TASK_CREATE, TASK_DELETE, TASK_UPDATE
from tasks_service.db import history
from tasks_service.people.service import directory
from tasks_service.tasks import service
from tasks_service.tasks.schemas import (
    BULK_MAX_ITEMS,
    TASK_EXPORT_COLUMNS,
    TaskBulkResults,
    TaskBulkUpdate,
    TaskCreate,
    TaskFilters,
    TaskRead,
    TasksPermitted,
    TaskUpdate,
)

router = collection_router("tasks")


# Before the record routes: "permitted" is no task id.
@router.get("/permitted", response_model=TasksPermitted)
def permitted_tasks(
    session: DbSession,
    principal: CurrentPrincipal,
    task_ids: Annotated[
        list[uuid.UUID], Query(alias="id", min_length=1, max_length=BULK_MAX_ITEMS)
    ],
) -> TasksPermitted:
    """Of the tasks `id` (repeated), those the caller may change: a list offers its quick
    actions (start, complete, take) on those only; the task's own routes stay the judges."""
    return TasksPermitted(update=service.changeable(session, task_ids, principal))


tasks = ResourceRoutes(router, "task", TaskRead)
tasks.list(
    TaskFilters,
    service.list_tasks,
    export=Export("tasks", TASK_EXPORT_COLUMNS, service.filtered_tasks, directory),
)
tasks.create(TaskCreate, service.create_task, TASK_CREATE, errors=(409,))
tasks.get(service.get_task)
tasks.update(TaskUpdate, service.update_task, TASK_UPDATE, errors=(403, 404, 409, 412))
tasks.delete(service.delete_task, TASK_DELETE)
tasks.history(history, service.get_task)
tasks.permissions(service.get_task, update=TASK_UPDATE, delete=TASK_DELETE)


@router.patch("", response_model=TaskBulkResults)
def bulk_update_tasks(
    request: TaskBulkUpdate, write: Annotated[Write, Writes(TASK_BULK_UPDATE, if_match=False)]
) -> TaskBulkResults:
    """The same changes to many tasks; each task answers as its own PATCH would."""
    results = service.bulk_update_tasks(write.session, request, write.principal)
    write.session.commit()
    return TaskBulkResults(results=results)


@router.post(
    "/{task_id}/reopen", response_model=TaskRead, responses=error_responses(403, 404, 409, 412)
)
def reopen_task(task_id: uuid.UUID, write: Annotated[Write, Writes(TASK_UPDATE)]) -> TaskRead:
    """Reopen a completed task: back to the status it had before it was completed (Not
    started when it never was started); 409 when it is not completed."""
    task = service.reopen_task(write.session, task_id, write.principal, write.expected_version)
    return write.respond(task, TaskRead)


tasks.links(
    "dependencies",
    "other_id",
    service.add_dependency,
    service.remove_dependency,
    TASK_UPDATE,
    errors=(403, 404, 412),
    add_description="The task waits for task `other_id` (already waiting: unchanged).",
    remove_description="The task no longer waits for task `other_id` (404 when it did not).",
)
