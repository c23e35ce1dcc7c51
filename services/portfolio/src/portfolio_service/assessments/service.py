"""MANA assessment domain logic. Functions take a session and never commit.

Any staff member may create and edit assessments; deleting one takes its creator or a
manager (its needs stay, without the link to it).
"""

from __future__ import annotations

import uuid

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from obcms_platform import records
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
from portfolio_service.assessments.models import Assessment
from portfolio_service.assessments.schemas import (
    AssessmentCreate,
    AssessmentFilters,
    AssessmentUpdate,
)
from portfolio_service.db import outbox


def get_assessment(session: Session, assessment_id: uuid.UUID) -> Assessment:
    return records.get_or_404(session, Assessment, assessment_id, what="assessment")


def list_assessments(
    session: Session, filters: AssessmentFilters, page: PageParams
) -> tuple[list[Assessment], int]:
    return paginate(session, filtered_assessments(session, filters), page)


def filtered_assessments(session: Session, filters: AssessmentFilters) -> Select[Assessment]:
    """The assessments the list's filters select, in its order (its pages, its export)."""
    conditions = records.field_conditions(
        Assessment, filters, "status", "primary_methodology", "assessment_level"
    )
    if filters.q:
        conditions.append(records.text_match(filters.q, Assessment.title))
    return (
        select(Assessment)
        .where(*conditions)
        .order_by(Assessment.planned_start_date.desc().nulls_last(), Assessment.id)
    )


def create_assessment(session: Session, data: AssessmentCreate, principal: Principal) -> Assessment:
    assessment = records.new_record(Assessment, principal, **data.model_dump())
    _check_state(assessment)
    records.insert_row(session, assessment)
    # Its creator (an assessment records no lead): the tasks service assigns its tasks to them.
    announced = AssessmentCreated.of_record(assessment)
    outbox.add(session, ASSESSMENT_CREATED, announced, subject_id=assessment.id)
    return assessment


def update_assessment(
    session: Session,
    assessment_id: uuid.UUID,
    changes: AssessmentUpdate,
    principal: Principal,
    expected_version: int | None = None,
) -> Assessment:
    assessment = records.locked(
        session, Assessment, assessment_id, expected_version, what="assessment"
    )
    records.apply_changes(assessment, changes.changes(), by=principal)
    _check_state(assessment)
    session.flush()
    announced = AssessmentChanged.of_record(assessment)
    outbox.add(session, ASSESSMENT_UPDATED, announced, subject_id=assessment.id)
    return assessment


def delete_assessment(
    session: Session, assessment_id: uuid.UUID, expected_version: int | None = None
) -> None:
    assessment = records.locked(
        session, Assessment, assessment_id, expected_version, what="assessment"
    )
    records.delete_row(session, assessment)
    announced = RecordDeleted(title=assessment.title)
    outbox.add(session, ASSESSMENT_DELETED, announced, subject_id=assessment_id)


def _check_state(assessment: Assessment) -> None:
    start, end = assessment.planned_start_date, assessment.planned_end_date
    if start and end and start > end:
        raise InvalidInputError(
            "planned_end_date: must not be before planned_start_date", field="planned_end_date"
        )
