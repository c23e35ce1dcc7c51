"""MANA assessment domain logic. Functions take a session and never commit.

Any staff member may create and edit assessments; deleting one takes its creator or a
manager (its needs stay, without the link to it).
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from obcms_platform.auth import Principal
from obcms_platform.contracts import (
    ASSESSMENT_CREATED,
    ASSESSMENT_DELETED,
    ASSESSMENT_UPDATED,
    AssessmentChanged,
    AssessmentCreated,
    RecordDeleted,
)
from obcms_platform.errors import InvalidInputError
from obcms_platform.pagination import PageParams, paginate
from obcms_platform.records import (
    apply_changes,
    delete_row,
    field_conditions,
    get_or_404,
    insert_row,
    locked,
    new_record,
    text_match,
)
from portfolio_service.assessments.models import Assessment
from portfolio_service.assessments.schemas import (
    AssessmentCreate,
    AssessmentFilters,
    AssessmentUpdate,
)
from portfolio_service.db import outbox


def get_assessment(session: Session, assessment_id: uuid.UUID) -> Assessment:
    return get_or_404(session, Assessment, assessment_id, what="assessment")


def list_assessments(
    session: Session, filters: AssessmentFilters, page: PageParams
) -> tuple[list[Assessment], int]:
    conditions = field_conditions(
        Assessment, filters, "status", "primary_methodology", "assessment_level"
    )
    if filters.q:
        conditions.append(text_match(filters.q, Assessment.title))
    statement = (
        select(Assessment)
        .where(*conditions)
        .order_by(Assessment.planned_start_date.desc().nulls_last(), Assessment.id)
    )
    return paginate(session, statement, page)


def create_assessment(session: Session, data: AssessmentCreate, principal: Principal) -> Assessment:
    assessment = new_record(Assessment, principal, **data.model_dump())
    _check_state(assessment)
    insert_row(session, assessment)
    # Its creator (an assessment records no lead): the tasks service assigns its tasks to them.
    announced = AssessmentCreated(
        **event_data(assessment).model_dump(), created_by=principal.user_id
    )
    outbox.add(session, ASSESSMENT_CREATED, announced, subject_id=assessment.id)
    return assessment


def update_assessment(
    session: Session,
    assessment_id: uuid.UUID,
    changes: AssessmentUpdate,
    principal: Principal,
    expected_version: int | None = None,
) -> Assessment:
    assessment = locked(session, Assessment, assessment_id, expected_version, what="assessment")
    apply_changes(assessment, changes.changes(), by=principal)
    _check_state(assessment)
    session.flush()
    outbox.add(session, ASSESSMENT_UPDATED, event_data(assessment), subject_id=assessment.id)
    return assessment


def delete_assessment(
    session: Session, assessment_id: uuid.UUID, expected_version: int | None = None
) -> None:
    assessment = locked(session, Assessment, assessment_id, expected_version, what="assessment")
    delete_row(session, assessment)
    announced = RecordDeleted(title=assessment.title)
    outbox.add(session, ASSESSMENT_DELETED, announced, subject_id=assessment_id)


def event_data(assessment: Assessment) -> AssessmentChanged:
    """The payload of `assessment.updated` (and the most of `assessment.created`)."""
    return AssessmentChanged(
        title=assessment.title,
        primary_methodology=assessment.primary_methodology,
        status=assessment.status,
        planned_start_date=assessment.planned_start_date,
        planned_end_date=assessment.planned_end_date,
    )


def _check_state(assessment: Assessment) -> None:
    start, end = assessment.planned_start_date, assessment.planned_end_date
    if start and end and start > end:
        raise InvalidInputError(
            "planned_end_date: must not be before planned_start_date", field="planned_end_date"
        )
