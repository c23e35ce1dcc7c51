"""MANA assessment domain logic. Functions take a session and never commit.

Any staff member may create and edit assessments; deleting one takes its creator or a
manager (its needs stay, without the link to it).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from obcms_platform.auth import Principal
from obcms_platform.errors import InvalidInputError, NotFoundError
from obcms_platform.pagination import PageParams, paginate
from obcms_platform.records import locked, text_match
from portfolio_service.assessments.models import Assessment
from portfolio_service.assessments.schemas import (
    NULLABLE_UPDATE_FIELDS,
    AssessmentCreate,
    AssessmentFilters,
    AssessmentUpdate,
)
from portfolio_service.db import outbox


def get_assessment(session: Session, assessment_id: uuid.UUID) -> Assessment:
    assessment = session.get(Assessment, assessment_id)
    if assessment is None:
        raise NotFoundError("assessment", assessment_id)
    return assessment


def list_assessments(
    session: Session, filters: AssessmentFilters, page: PageParams
) -> tuple[list[Assessment], int]:
    conditions: list[ColumnElement[bool]] = []
    if filters.status:
        conditions.append(Assessment.status.in_(filters.status))
    if filters.primary_methodology:
        conditions.append(Assessment.primary_methodology.in_(filters.primary_methodology))
    if filters.assessment_level:
        conditions.append(Assessment.assessment_level.in_(filters.assessment_level))
    if filters.q:
        conditions.append(text_match(filters.q, Assessment.title))
    statement = (
        select(Assessment)
        .where(*conditions)
        .order_by(Assessment.planned_start_date.desc().nulls_last(), Assessment.id)
    )
    return paginate(session, statement, page)


def create_assessment(session: Session, data: AssessmentCreate, principal: Principal) -> Assessment:
    assessment = Assessment(
        **data.model_dump(),
        id=uuid.uuid4(),
        created_by=principal.user_id,
        updated_by=principal.user_id,
    )
    _check_state(assessment)
    session.add(assessment)
    session.flush()
    # Its creator (an assessment records no lead): the tasks service assigns its tasks to them.
    announced = event_data(assessment) | {"created_by": str(principal.user_id)}
    outbox.add(session, "assessment.created", subject_id=assessment.id, data=announced)
    return assessment


def update_assessment(
    session: Session,
    assessment_id: uuid.UUID,
    changes: AssessmentUpdate,
    principal: Principal,
    expected_version: int | None = None,
) -> Assessment:
    assessment = locked(session, Assessment, assessment_id, expected_version, what="assessment")
    values = changes.model_dump(exclude_unset=True)
    for name, value in values.items():
        if value is None and name not in NULLABLE_UPDATE_FIELDS:
            raise InvalidInputError(f"{name}: may not be null", field=name)
        setattr(assessment, name, value)
    assessment.updated_by = principal.user_id
    _check_state(assessment)
    session.flush()
    outbox.add(session, "assessment.updated", subject_id=assessment.id, data=event_data(assessment))
    return assessment


def delete_assessment(
    session: Session, assessment_id: uuid.UUID, expected_version: int | None = None
) -> None:
    assessment = locked(session, Assessment, assessment_id, expected_version, what="assessment")
    title = assessment.title
    session.delete(assessment)
    session.flush()
    outbox.add(session, "assessment.deleted", subject_id=assessment_id, data={"title": title})


def event_data(assessment: Assessment) -> dict[str, Any]:
    """The `data` of `assessment.created` and `assessment.updated`."""
    start, end = assessment.planned_start_date, assessment.planned_end_date
    return {
        "title": assessment.title,
        "primary_methodology": assessment.primary_methodology.value,
        "status": assessment.status.value,
        "planned_start_date": start.isoformat() if start else None,
        "planned_end_date": end.isoformat() if end else None,
    }


def _check_state(assessment: Assessment) -> None:
    start, end = assessment.planned_start_date, assessment.planned_end_date
    if start and end and start > end:
        raise InvalidInputError(
            "planned_end_date: must not be before planned_start_date", field="planned_end_date"
        )
