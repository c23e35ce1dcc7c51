"""Task routes: the standard ones of a resource, the bulk change and the dependencies."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter

from obcms_platform.app import API_PREFIX
from obcms_platform.errors import error_responses
from obcms_platform.resource_routes import ResourceRoutes, Write, Writes
from tasks_service.authz import TASK_BULK_UPDATE, TASK_CREATE, TASK_DELETE, TASK_UPDATE
from tasks_service.tasks import service
from tasks_service.tasks.schemas import (
    TaskBulkResults,
    TaskBulkUpdate,
    TaskCreate,
    TaskFilters,
    TaskRead,
    TaskUpdate,
)

router = APIRouter(
    prefix=f"{API_PREFIX}/tasks", tags=["tasks"], responses=error_responses(401, 422)
)

tasks = ResourceRoutes(router, "task", TaskRead)
tasks.list(TaskFilters, service.list_tasks)
tasks.create(TaskCreate, service.create_task, TASK_CREATE, errors=(409,))
tasks.get(service.get_task)
tasks.update(TaskUpdate, service.update_task, TASK_UPDATE, errors=(403, 404, 409, 412))
tasks.delete(service.delete_task, TASK_DELETE)

TaskWrite = Annotated[Write, Writes(TASK_UPDATE)]


@router.patch("", response_model=TaskBulkResults)
def bulk_update_tasks(
    request: TaskBulkUpdate, write: Annotated[Write, Writes(TASK_BULK_UPDATE, if_match=False)]
) -> TaskBulkResults:
    """The same changes to many tasks; each task answers as its own PATCH would."""
    results = service.bulk_update_tasks(write.session, request, write.principal)
    write.session.commit()
    return TaskBulkResults(results=results)


@router.put(
    "/{task_id}/dependencies/{other_id}",
    response_model=TaskRead,
    responses=error_responses(403, 404, 412),
)
def add_dependency(task_id: uuid.UUID, other_id: uuid.UUID, write: TaskWrite) -> TaskRead:
    """The task waits for task `other_id` (already waiting: unchanged)."""
    task = service.add_dependency(
        write.session, task_id, other_id, write.principal, write.expected_version
    )
    return write.respond(task, TaskRead)


@router.delete(
    "/{task_id}/dependencies/{other_id}",
    response_model=TaskRead,
    responses=error_responses(403, 404, 412),
)
def remove_dependency(task_id: uuid.UUID, other_id: uuid.UUID, write: TaskWrite) -> TaskRead:
    """The task no longer waits for task `other_id` (404 when it did not)."""
    task = service.remove_dependency(
        write.session, task_id, other_id, write.principal, write.expected_version
    )
    return write.respond(task, TaskRead)
