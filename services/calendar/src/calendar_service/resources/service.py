"""Resource domain logic. Functions take a session and never commit; the route does."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from calendar_service.resources.models import Resource
from calendar_service.resources.schemas import (
    ResourceCreate,
    ResourceFilters,
    ResourceUpdate,
)
from obcms_platform import records
from obcms_platform.errors import (
    ConflictError,
)
from obcms_platform.pagination import PageParams, paginate


def get_resource(session: Session, resource_id: uuid.UUID) -> Resource:
    return records.get_or_404(session, Resource, resource_id, what="resource")


def list_resources(
    session: Session, filters: ResourceFilters, page: PageParams
) -> tuple[list[Resource], int]:
    conditions = records.field_conditions(Resource, filters, "resource_type", "is_available")
    if filters.q:
        conditions.append(records.text_match(filters.q, Resource.name))
    statement: Select[Any] = select(Resource).where(*conditions).order_by(Resource.name)
    return paginate(session, statement, page)


def create_resource(session: Session, data: ResourceCreate) -> Resource:
    _ensure_unique_name(session, data.name, None)
    resource = Resource(id=uuid.uuid4(), **data.model_dump())
    records.insert_row(session, resource)
    return resource


def update_resource(
    session: Session,
    resource_id: uuid.UUID,
    changes: ResourceUpdate,
    expected_version: int | None,
) -> Resource:
    resource = records.locked(session, Resource, resource_id, expected_version, what="resource")
    values = changes.changes()
    if "name" in values:
        _ensure_unique_name(session, values["name"], resource_id)
    records.apply_changes(resource, values)
    session.flush()
    return resource


def _ensure_unique_name(session: Session, name: str, resource_id: uuid.UUID | None) -> None:
    clash = session.scalar(
        select(Resource.id).where(
            func.lower(Resource.name) == name.lower(), Resource.id != resource_id
        )
        if resource_id
        else select(Resource.id).where(func.lower(Resource.name) == name.lower())
    )
    if clash is not None:
        raise ConflictError(f"name: a resource named {name!r} already exists", field="name")
