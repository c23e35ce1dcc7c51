"""Routes of the files of PPAs (``/api/v1/ppas/{ppa_id}/attachments``) and assessments
(``/api/v1/assessments/{assessment_id}/attachments``)."""

from __future__ import annotations

from obcms_platform.attachments import AttachmentRoutes
from obcms_platform.resource_routes import collection_router
from portfolio_service.assessments.service import get_assessment
from portfolio_service.attachments.models import ASSESSMENT_FILES, PPA_FILES
from portfolio_service.authz import ASSESSMENT_ATTACHMENTS, PPA_ATTACHMENTS
from portfolio_service.ppas.service import get_ppa

ppas_router = collection_router("ppas", tag="PPAs")
assessments_router = collection_router("assessments")

AttachmentRoutes(ppas_router, PPA_FILES, PPA_ATTACHMENTS, get_ppa)
AttachmentRoutes(assessments_router, ASSESSMENT_FILES, ASSESSMENT_ATTACHMENTS, get_assessment)
