"""Task template routes: parse, call the service, commit, respond."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Response, status

from obcms_platform.auth import CurrentPrincipal
from obcms_platform.db import DbSession
from obcms_platform.errors import error_responses
from obcms_platform.resource_routes import Write, Writes, collection_router
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

router = collection_router("task-templates", tag="task templates")

TemplateNameParam = Annotated[str, Path(max_length=100)]
TemplateWrite = Annotated[Write, Writes(TEMPLATE_WRITE, if_match=False)]


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
def create_template(data: TemplateCreate, write: TemplateWrite) -> TemplateRead:
    template = service.create_template(write.session, data)
    return write.respond(template, TemplateRead, etag=False)


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
    write: TemplateWrite,
) -> TemplateRead:
    template, created = service.replace_template(write.session, name, body)
    if created:
        write.response.status_code = status.HTTP_201_CREATED
    return write.respond(template, TemplateRead, etag=False)


@router.delete(
    "/{name}", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(403, 404)
)
def delete_template(name: TemplateNameParam, write: TemplateWrite) -> Response:
    service.delete_template(write.session, name)
    return write.no_content()


@router.post(
    "/{name}/generate", response_model=GenerateResult, responses=error_responses(403, 404, 409)
)
def generate(
    name: TemplateNameParam,
    body: GenerateRequest,
    write: Annotated[Write, Writes(TEMPLATE_GENERATE, if_match=False)],
) -> GenerateResult:
    """Generate the template's tasks for a subject; a repeat for the same subject creates none."""
    subject = service.TemplateSubject(kind=body.subject_kind, id=body.subject_id)
    generation = service.generate_from_template(
        write.session, name, subject, body.base_date, body.context
    )
    write.session.commit()
    write.response.status_code = (
        status.HTTP_201_CREATED if generation.created else status.HTTP_200_OK
    )
    return GenerateResult(
        template=name,
        subject_kind=subject.kind,
        subject_id=subject.id,
        base_date=generation.base_date,
        created=generation.created,
        tasks=[TaskRead.model_validate(task) for task in generation.tasks],
    )
