"""The caller's own inbox: list, unread count, mark read/unread, mark all read."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated

from fastapi import Query

from notifications_service.authz import INBOX_MARK_ALL, NOTIFICATION_MARK
from notifications_service.notifications import service
from notifications_service.notifications.schemas import (
    MarkedRead,
    NotificationFilters,
    NotificationRead,
    UnreadCount,
)
from obcms_platform.auth import CurrentPrincipal
from obcms_platform.db import DbSession
from obcms_platform.errors import error_responses
from obcms_platform.pagination import Page, Pagination
from obcms_platform.resource_routes import Write, Writes, collection_router

router = collection_router("notifications")


@router.get("", response_model=Page[NotificationRead])
def list_notifications(
    session: DbSession,
    principal: CurrentPrincipal,
    page: Pagination,
    filters: Annotated[NotificationFilters, Query()],
) -> Page[NotificationRead]:
    """The caller's notifications, newest first (`unread=true`: only those not read)."""
    items, total = service.list_mine(session, principal.user_id, filters, page)
    return Page[NotificationRead].of(items, total, page)


@router.get("/unread-count", response_model=UnreadCount)
def unread_count(session: DbSession, principal: CurrentPrincipal) -> UnreadCount:
    return UnreadCount(unread=service.unread_count(session, principal.user_id))


@router.post("/read-all", response_model=MarkedRead)
def mark_all_read(write: Annotated[Write, Writes(INBOX_MARK_ALL, if_match=False)]) -> MarkedRead:
    marked = service.mark_all_read(write.session, write.principal.user_id)
    write.session.commit()
    return MarkedRead(marked=marked)


def _marking(read: bool) -> Callable[[uuid.UUID, Write], NotificationRead]:
    """The endpoint marking one of the caller's notifications read (or unread again)."""

    def mark(
        notification_id: uuid.UUID,
        write: Annotated[Write, Writes(NOTIFICATION_MARK, if_match=False)],
    ) -> NotificationRead:
        found = service.mark_read(
            write.session, write.principal.user_id, notification_id, read=read
        )
        return write.respond(found, NotificationRead, etag=False)

    return mark


for state, read in (("read", True), ("unread", False)):
    router.post(
        f"/{{notification_id}}/{state}",
        name=f"mark_{state}",
        response_model=NotificationRead,
        responses=error_responses(403, 404),
    )(_marking(read))
