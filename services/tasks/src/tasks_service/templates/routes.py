"""Task template routes: parse, call the service, commit, respond."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from obcms_platform.app import API_PREFIX
from obcms_platform.auth import CurrentPrincipal, Principal
from obcms_platform.authz import Authorize
from obcms_platform.db import DbSession
from obcms_platform.errors import error_responses
from tasks_service.authz import TEMPLATE_GENERATE, TEMPLATE_WRITE
from tasks_service.tasks.schemas import TaskRead
from tasks_service.templates import service
from tasks_service.templates.schemas import (
    GenerateRequest,
    GenerateResult,
    TemplateBody,
    TemplateCreate,
    TemplateRead,
)

router = APIRouter(
    prefix=f"{API_PREFIX}/task-templates",
    tags=["task templates"],
    responses=error_responses(401, 422),
)

TemplateNameParam = Annotated[str, Path(max_length=100)]


@router.get("", response_model=list[TemplateRead])
def list_templates(
    session: DbSession, _: CurrentPrincipal, active: bool | None = None
) -> list[TemplateRead]:
    return [TemplateRead.model_validate(t) for t in service.list_templates(session, active)]


@router.post(
    "",
    response_model=TemplateRead,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(403, 409),
)
def create_template(
    data: TemplateCreate, session: DbSession, _: Annotated[Principal, Authorize(TEMPLATE_WRITE)]
) -> TemplateRead:
    template = service.create_template(session, data)
    session.commit()
    return TemplateRead.model_validate(template)


@router.get("/{name}", response_model=TemplateRead, responses=error_responses(404))
def get_template(name: TemplateNameParam, session: DbSession, _: CurrentPrincipal) -> TemplateRead:
    return TemplateRead.model_validate(service.get_template(session, name))


@router.put(
    "/{name}",
    response_model=TemplateRead,
    responses={
        201: {"model": TemplateRead, "description": "created (no template had the name)"},
        **error_responses(403),
    },
)
def replace_template(
    name: Annotated[str, Path(min_length=3, max_length=100, pattern=r"^[a-z][a-z0-9_]*$")],
    body: TemplateBody,
    session: DbSession,
    _: Annotated[Principal, Authorize(TEMPLATE_WRITE)],
    response: Response,
) -> TemplateRead:
    template, created = service.replace_template(session, name, body)
    session.commit()
    if created:
        response.status_code = status.HTTP_201_CREATED
    return TemplateRead.model_validate(template)


@router.delete(
    "/{name}", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(403, 404)
)
def delete_template(
    name: TemplateNameParam, session: DbSession, _: Annotated[Principal, Authorize(TEMPLATE_WRITE)]
) -> Response:
    service.delete_template(session, name)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{name}/generate", response_model=GenerateResult, responses=error_responses(403, 404, 409)
)
def generate(
    name: TemplateNameParam,
    body: GenerateRequest,
    session: DbSession,
    _: Annotated[Principal, Authorize(TEMPLATE_GENERATE)],
    response: Response,
) -> GenerateResult:
    """Generate the template's tasks for a subject; a repeat for the same subject creates none."""
    subject = service.TemplateSubject(kind=body.subject_kind, id=body.subject_id)
    generation = service.generate_from_template(
        session, name, subject, body.base_date, body.context
    )
    session.commit()
    response.status_code = status.HTTP_201_CREATED if generation.created else status.HTTP_200_OK
    return GenerateResult(
        template=name,
        subject_kind=subject.kind,
        subject_id=subject.id,
        base_date=generation.base_date,
        created=generation.created,
        tasks=[TaskRead.model_validate(task) for task in generation.tasks],
    )
