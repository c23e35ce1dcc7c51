"""Assessment routes: the standard ones of a resource."""

from __future__ import annotations

from fastapi import APIRouter

from obcms_platform.app import API_PREFIX
from obcms_platform.errors import error_responses
from obcms_platform.resource_routes import ResourceRoutes
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

assessments = ResourceRoutes(router, "assessment", AssessmentRead)
assessments.list(AssessmentFilters, service.list_assessments)
assessments.create(AssessmentCreate, service.create_assessment, ASSESSMENT_CREATE)
assessments.get(service.get_assessment)
assessments.update(AssessmentUpdate, service.update_assessment, ASSESSMENT_WRITE, errors=(404, 412))
assessments.delete(service.delete_assessment, ASSESSMENT_WRITE)
