"""Assessment routes: parse, call the service, commit, respond."""

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
from portfolio_service.assessments import service
from portfolio_service.assessments.schemas import (
    AssessmentCreate,
    AssessmentFilters,
    AssessmentRead,
    AssessmentUpdate,
)
from portfolio_service.authz import ASSESSMENT_CREATE, ASSESSMENT_WRITE

router = APIRouter(
    prefix=f"{API_PREFIX}/assessments", tags=["assessments"], responses=error_responses(401, 422)
)


@router.get("", response_model=Page[AssessmentRead])
def list_assessments(
    session: DbSession,
    _: CurrentPrincipal,
    page: Pagination,
    filters: Annotated[AssessmentFilters, Query()],
) -> Page[AssessmentRead]:
    items, total = service.list_assessments(session, filters, page)
    return Page[AssessmentRead].of(items, total, page)


@router.post("", response_model=AssessmentRead, status_code=status.HTTP_201_CREATED)
def create_assessment(
    data: AssessmentCreate,
    session: DbSession,
    principal: Annotated[Principal, Authorize(ASSESSMENT_CREATE)],
    response: Response,
) -> AssessmentRead:
    assessment = service.create_assessment(session, data, principal)
    session.commit()
    set_etag(response, assessment.version)
    response.headers["Location"] = f"{router.prefix}/{assessment.id}"
    return AssessmentRead.model_validate(assessment)


@router.get("/{assessment_id}", response_model=AssessmentRead, responses=error_responses(404))
def get_assessment(
    assessment_id: uuid.UUID, session: DbSession, _: CurrentPrincipal, response: Response
) -> AssessmentRead:
    assessment = service.get_assessment(session, assessment_id)
    set_etag(response, assessment.version)
    return AssessmentRead.model_validate(assessment)


@router.patch(
    "/{assessment_id}", response_model=AssessmentRead, responses=error_responses(404, 412)
)
def update_assessment(
    assessment_id: uuid.UUID,
    changes: AssessmentUpdate,
    session: DbSession,
    principal: Annotated[Principal, Authorize(ASSESSMENT_WRITE)],
    expected_version: ExpectedVersion,
    response: Response,
) -> AssessmentRead:
    assessment = service.update_assessment(
        session, assessment_id, changes, principal, expected_version
    )
    session.commit()
    set_etag(response, assessment.version)
    return AssessmentRead.model_validate(assessment)


@router.delete(
    "/{assessment_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(403, 404, 412),
)
def delete_assessment(
    assessment_id: uuid.UUID,
    session: DbSession,
    _: Annotated[Principal, Authorize(ASSESSMENT_WRITE)],
    expected_version: ExpectedVersion,
) -> Response:
    service.delete_assessment(session, assessment_id, expected_version)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
