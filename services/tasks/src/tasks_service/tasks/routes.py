"""Task routes: parse, call the service, commit, respond."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from obcms_platform.app import API_PREFIX
from obcms_platform.auth import CurrentPrincipal, Principal
from obcms_platform.authz import Authorize
from obcms_platform.db import DbSession
from obcms_platform.errors import error_responses
from obcms_platform.pagination import Page, Pagination
from obcms_platform.versioning import ExpectedVersion, set_etag
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


@router.get("", response_model=Page[TaskRead])
def list_tasks(
    session: DbSession,
    principal: CurrentPrincipal,
    page: Pagination,
    filters: Annotated[TaskFilters, Query()],
) -> Page[TaskRead]:
    items, total = service.list_tasks(session, filters, page, principal)
    return Page[TaskRead].of(items, total, page)


@router.post(
    "",
    response_model=TaskRead,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(409),
)
def create_task(
    data: TaskCreate,
    session: DbSession,
    principal: Annotated[Principal, Authorize(TASK_CREATE)],
    response: Response,
) -> TaskRead:
    task = service.create_task(session, data, principal)
    session.commit()
    set_etag(response, task.version)
    response.headers["Location"] = f"{router.prefix}/{task.id}"
    return TaskRead.model_validate(task)


@router.patch("", response_model=TaskBulkResults)
def bulk_update_tasks(
    request: TaskBulkUpdate,
    session: DbSession,
    principal: Annotated[Principal, Authorize(TASK_BULK_UPDATE)],
) -> TaskBulkResults:
    """The same changes to many tasks; each task answers as its own PATCH would."""
    results = service.bulk_update_tasks(session, request, principal)
    session.commit()
    return TaskBulkResults(results=results)


@router.get("/{task_id}", response_model=TaskRead, responses=error_responses(404))
def get_task(
    task_id: uuid.UUID, session: DbSession, _: CurrentPrincipal, response: Response
) -> TaskRead:
    task = service.get_task(session, task_id)
    set_etag(response, task.version)
    return TaskRead.model_validate(task)


@router.patch("/{task_id}", response_model=TaskRead, responses=error_responses(403, 404, 409, 412))
def update_task(
    task_id: uuid.UUID,
    changes: TaskUpdate,
    session: DbSession,
    principal: Annotated[Principal, Authorize(TASK_UPDATE)],
    expected_version: ExpectedVersion,
    response: Response,
) -> TaskRead:
    task = service.update_task(session, task_id, changes, principal, expected_version)
    session.commit()
    set_etag(response, task.version)
    return TaskRead.model_validate(task)


@router.delete(
    "/{task_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(403, 404, 412),
)
def delete_task(
    task_id: uuid.UUID,
    session: DbSession,
    principal: Annotated[Principal, Authorize(TASK_DELETE)],
    expected_version: ExpectedVersion,
) -> Response:
    service.delete_task(session, task_id, expected_version, principal)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put(
    "/{task_id}/dependencies/{other_id}",
    response_model=TaskRead,
    responses=error_responses(403, 404, 412),
)
def add_dependency(
    task_id: uuid.UUID,
    other_id: uuid.UUID,
    session: DbSession,
    principal: Annotated[Principal, Authorize(TASK_UPDATE)],
    expected_version: ExpectedVersion,
    response: Response,
) -> TaskRead:
    """The task waits for task `other_id` (already waiting: unchanged)."""
    task = service.add_dependency(session, task_id, other_id, principal, expected_version)
    session.commit()
    set_etag(response, task.version)
    return TaskRead.model_validate(task)


@router.delete(
    "/{task_id}/dependencies/{other_id}",
    response_model=TaskRead,
    responses=error_responses(403, 404, 412),
)
def remove_dependency(
    task_id: uuid.UUID,
    other_id: uuid.UUID,
    session: DbSession,
    principal: Annotated[Principal, Authorize(TASK_UPDATE)],
    expected_version: ExpectedVersion,
    response: Response,
) -> TaskRead:
    """The task no longer waits for task `other_id` (404 when it did not)."""
    task = service.remove_dependency(session, task_id, other_id, principal, expected_version)
    session.commit()
    set_etag(response, task.version)
    return TaskRead.model_validate(task)
