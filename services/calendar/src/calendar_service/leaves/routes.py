"""Staff leave routes: staff file leave (and withdraw it while pending); managers and admins
approve, reject or cancel it. Each caller
sees a leave as `service.as_read` shows it to them."""

from __future__ import annotations

from calendar_service.authz import LEAVE_CREATE, LEAVE_DECIDE, LEAVE_WITHDRAW
from calendar_service.db import history
from calendar_service.leaves import service
from calendar_service.leaves.models import LeaveStatus
from calendar_service.leaves.schemas import (
    LEAVE_EXPORT_COLUMNS,
    LeaveCreate,
    LeaveDecision,
    LeaveFilters,
    LeaveRead,
)
from obcms_platform.exports import Export
from obcms_platform.resource_routes import ResourceRoutes, collection_router

router = collection_router("leaves", tag="leave")

leaves = ResourceRoutes(router, "leave", LeaveRead, present=service.as_read)
leaves.list(
    LeaveFilters,
    service.list_leaves,
    export=Export("leave", LEAVE_EXPORT_COLUMNS, service.filtered_leaves),
)
leaves.create(LeaveCreate, service.create_leave, LEAVE_CREATE, errors=(403, 409))
leaves.get(service.get_visible_leave)
leaves.delete(service.delete_leave, LEAVE_WITHDRAW, errors=(403, 404, 409, 412))
leaves.history(history, service.get_visible_leave, may_read_private=service.may_read_private)

# Each decision's rule is declared on the route (not only checked in the service): a staff
# caller gets 403 before the record is looked up, so the answer does not tell whether it exists.
for verb, to in (("approve", LeaveStatus.APPROVED), ("reject", LeaveStatus.REJECTED)):
    leaves.transition(verb, to, service.decide, LEAVE_DECIDE, body=LeaveDecision, note="reason")
