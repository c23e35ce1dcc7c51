"""Need routes: the standard ones (the list exported as CSV or Excel and imported from
Excel), and the PPAs addressing a need."""

from __future__ import annotations

import uuid
from typing import Annotated

from obcms_platform.errors import error_responses
from obcms_platform.exports import Export
from obcms_platform.imports import Import, import_route
from obcms_platform.resource_routes import ResourceRoutes, Write, Writes, collection_router
from portfolio_service.authz import NEED_CREATE, NEED_IMPORT, NEED_WRITE
from portfolio_service.db import history
from portfolio_service.needs import service
from portfolio_service.needs.schemas import (
    NEED_EXPORT_COLUMNS,
    NeedCreate,
    NeedFilters,
    NeedPpaLinks,
    NeedRead,
    NeedUpdate,
)
from portfolio_service.people.service import directory

router = collection_router("needs")
NEED_EXPORT = Export("needs", NEED_EXPORT_COLUMNS, service.exported_needs, directory)

needs = ResourceRoutes(router, "need", NeedRead)
needs.list(
    NeedFilters,
    service.list_needs,
    export=NEED_EXPORT,
)
# Before the routes of one need: ``/import`` is no need's id.
import_route(router, Import(NEED_EXPORT, NeedCreate, service.create_need, "need"), NEED_IMPORT)
needs.create(NeedCreate, service.create_need, NEED_CREATE)
needs.get(service.get_need)
needs.history(history, service.get_need)
needs.update(NeedUpdate, service.update_need, NEED_WRITE, errors=(404, 412))
needs.delete(service.delete_need, NEED_WRITE)

NeedWrite = Annotated[Write, Writes(NEED_WRITE)]


@router.put("/{need_id}/ppas", response_model=NeedRead, responses=error_responses(404, 412))
def replace_ppa_links(need_id: uuid.UUID, body: NeedPpaLinks, write: NeedWrite) -> NeedRead:
    """Replace the list of PPAs addressing the need (422 naming ppa_ids for an unknown PPA)."""
    need = service.replace_ppa_links(
        write.session, need_id, body.ppa_ids, write.principal, write.expected_version
    )
    return write.respond(need, NeedRead)


needs.links(
    "ppas",
    "ppa_id",
    service.link_ppa,
    service.unlink_ppa,
    NEED_WRITE,
    errors=(404, 412),
    add_description=(
        "Add one PPA to those addressing the need, keeping the others (already linked: 200,\n"
        "unchanged; an unknown PPA: 422 naming ppa_id)."
    ),
    remove_description=(
        "Remove one PPA from those addressing the need, keeping the others (not linked: 404\n"
        "naming ppa_id)."
    ),
)
