"""Assessment routes: the standard ones of a resource."""

from __future__ import annotations

from obcms_platform.exports import Export
from obcms_platform.resource_routes import ResourceRoutes, collection_router
from portfolio_service.assessments import service
from portfolio_service.assessments.schemas import (
    ASSESSMENT_EXPORT_COLUMNS,
    AssessmentCreate,
    AssessmentFilters,
    AssessmentRead,
    AssessmentUpdate,
)
from portfolio_service.authz import ASSESSMENT_CREATE, ASSESSMENT_WRITE
from portfolio_service.db import history
from portfolio_service.people.service import directory

router = collection_router("assessments")

assessments = ResourceRoutes(router, "assessment", AssessmentRead)
assessments.list(
    AssessmentFilters,
    service.list_assessments,
    export=Export(
        "assessments", ASSESSMENT_EXPORT_COLUMNS, service.filtered_assessments, directory
    ),
)
assessments.create(AssessmentCreate, service.create_assessment, ASSESSMENT_CREATE)
assessments.get(service.get_assessment)
assessments.history(history, service.get_assessment)
assessments.update(AssessmentUpdate, service.update_assessment, ASSESSMENT_WRITE, errors=(404, 412))
assessments.delete(service.delete_assessment, ASSESSMENT_WRITE)
