"""Resource routes: anyone may read; managers create and change resources."""

from __future__ import annotations

from calendar_service.authz import RESOURCE_WRITE
from calendar_service.db import history
from calendar_service.resources import service
from calendar_service.resources.schemas import (
    ResourceCreate,
    ResourceFilters,
    ResourceRead,
    ResourceUpdate,
)
from obcms_platform.resource_routes import ResourceRoutes, collection_router

router = collection_router("resources")

resources = ResourceRoutes(router, "resource", ResourceRead)
resources.list(ResourceFilters, service.list_resources)
resources.create(ResourceCreate, service.create_resource, RESOURCE_WRITE, errors=(403, 409))
resources.get(service.get_resource)
resources.history(history, service.get_resource)
resources.update(
    ResourceUpdate, service.update_resource, RESOURCE_WRITE, errors=(403, 404, 409, 412)
)
