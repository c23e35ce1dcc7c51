"""PPA routes: the standard ones of a resource, the list exported as CSV or Excel and
imported from Excel."""

from __future__ import annotations

from obcms_platform.exports import Export
from obcms_platform.imports import Import, import_route
from obcms_platform.resource_routes import ResourceRoutes, collection_router
from portfolio_service.authz import PPA_CREATE, PPA_DELETE, PPA_IMPORT, PPA_UPDATE
from portfolio_service.db import history
from portfolio_service.people.service import directory
from portfolio_service.ppas import service
from portfolio_service.ppas.schemas import (
    PPA_EXPORT_COLUMNS,
    PpaCreate,
    PpaFilters,
    PpaListItem,
    PpaRead,
    PpaUpdate,
)

router = collection_router("ppas", tag="PPAs")
PPA_EXPORT = Export("ppas", PPA_EXPORT_COLUMNS, service.exported_ppas, directory)

ppas = ResourceRoutes(router, "ppa", PpaRead)
ppas.list(PpaFilters, service.list_ppas, export=PPA_EXPORT, item=PpaListItem)
# Before the routes of one PPA: ``/import`` is no PPA's id.
import_route(router, Import(PPA_EXPORT, PpaCreate, service.create_ppa, "PPA"), PPA_IMPORT)
ppas.create(PpaCreate, service.create_ppa, PPA_CREATE)
ppas.get(service.get_ppa)
ppas.update(PpaUpdate, service.update_ppa, PPA_UPDATE, errors=(404, 409, 412))
ppas.delete(service.delete_ppa, PPA_DELETE, errors=(403, 404, 409, 412))
ppas.history(history, service.get_ppa)
