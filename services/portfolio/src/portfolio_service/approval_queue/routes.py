"""Approval queue route: parse, call the service, respond."""

from __future__ import annotations

from datetime import UTC, datetime

from obcms_platform.auth import CurrentPrincipal
from obcms_platform.db import DbSession
from obcms_platform.resource_routes import collection_router
from portfolio_service.approval_queue import service
from portfolio_service.approval_queue.schemas import ApprovalQueue

router = collection_router("approval-queue", tag="approvals")


@router.get("", response_model=ApprovalQueue)
def approval_queue(session: DbSession, principal: CurrentPrincipal) -> ApprovalQueue:
    """The PPAs waiting for a decision the caller may take, oldest first (managers: technical
    review, budget review, stakeholder consultation; admins: executive approval too), each
    with its days waiting, amount, the moves the caller may make and what approving it does
    to the budget ceilings it is held to (headroom after, soft-ceiling flag). Anyone else
    sees a manager's queue read-only."""
    return service.approval_queue(session, principal, datetime.now(UTC))
