"""The comment routes of every kind of record a service keeps comments on, declared once:
``GET`` and ``POST /api/v1/{records}/{id}/comments``, ``PATCH`` (If-Match) and ``DELETE``
``/api/v1/{records}/{id}/comments/{comment_id}``; a comment's version is its ETag."""

# No `from __future__ import annotations`: FastAPI reads the annotations of the endpoints
# made here, which name rules known only when the routes are declared.

import uuid
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response, status
from sqlalchemy.orm import Session

from obcms_platform.app import API_PREFIX
from obcms_platform.auth import CurrentPrincipal, Principal
from obcms_platform.comments.rules import COMMENT_ID, CommentRules
from obcms_platform.comments.schemas import CommentCreate, CommentRead, CommentUpdate
from obcms_platform.comments.service import CommentedRecord, Comments, comment_read
from obcms_platform.db import DbSession
from obcms_platform.errors import error_responses
from obcms_platform.pagination import Page, PageParams, Pagination
from obcms_platform.resource_routes import Write, Writes, endpoint

TAG = "comments"


def edit_window(request: Request) -> timedelta:
    """How long after posting a comment may be edited (the service's setting)."""
    return timedelta(seconds=request.app.state.settings.comment_edit_window_seconds)


def comment_routes(comments: Comments[Any], rules: CommentRules) -> list[APIRouter]:
    """A router per kind of record `comments` are on, each under its collection's path."""
    return [_routes(comments, rules, record) for record in comments.on]


def _routes(comments: Comments[Any], rules: CommentRules, on: CommentedRecord) -> APIRouter:
    name = on.record_type.value
    record_id = f"{name}_id"
    thread = f"/{{{record_id}}}/comments"
    one = f"{thread}/{{{COMMENT_ID}}}"
    router = APIRouter(
        prefix=f"{API_PREFIX}/{on.collection}", tags=[TAG], responses=error_responses(401, 422)
    )

    def answered(write: Write, request: Request, comment: Any) -> CommentRead:
        return comment_read(write.saved(comment), edit_window(request))

    def list_comments(
        session: Session, principal: Principal, request: Request, page: PageParams, **ids: Any
    ) -> Page[CommentRead]:
        found, total = comments.list(session, on, ids[record_id], page)
        window = edit_window(request)
        return Page[CommentRead].of([comment_read(c, window) for c in found], total, page)

    def create_comment(
        data: CommentCreate, write: Write, request: Request, **ids: Any
    ) -> CommentRead:
        comment = comments.create(write.session, on, ids[record_id], data, write.principal)
        location = f"{router.prefix}/{ids[record_id]}/comments/{comment.id}"
        write.response.headers["Location"] = location
        return answered(write, request, comment)

    def update_comment(
        changes: CommentUpdate, write: Write, request: Request, **ids: Any
    ) -> CommentRead:
        comment = comments.edit(
            write.session,
            on,
            ids[record_id],
            ids[COMMENT_ID],
            changes,
            expected_version=write.expected_version,
            window=edit_window(request),
        )
        return answered(write, request, comment)

    def delete_comment(write: Write, **ids: Any) -> Response:
        comments.delete(
            write.session,
            on,
            ids[record_id],
            ids[COMMENT_ID],
            write.principal,
            expected_version=write.expected_version,
        )
        return write.no_content()

    router.add_api_route(
        thread,
        endpoint(
            list_comments,
            (record_id, uuid.UUID),
            ("session", DbSession),
            ("principal", CurrentPrincipal),
            ("request", Request),
            ("page", Pagination),
        ),
        methods=["GET"],
        name=f"list_{name}_comments",
        response_model=Page[CommentRead],
        responses=error_responses(404),
        description=f"The {on.what}'s comments, newest first; a deleted one without its text.",
    )
    router.add_api_route(
        thread,
        endpoint(
            create_comment,
            (record_id, uuid.UUID),
            ("data", CommentCreate),
            ("write", Annotated[Write, Writes(rules.create, if_match=False)]),
            ("request", Request),
        ),
        methods=["POST"],
        name=f"create_{name}_comment",
        response_model=CommentRead,
        status_code=status.HTTP_201_CREATED,
        responses=error_responses(403, 404),
        description=f"Comment on the {on.what}; the people mentioned are told.",
    )
    router.add_api_route(
        one,
        endpoint(
            update_comment,
            (record_id, uuid.UUID),
            (COMMENT_ID, uuid.UUID),
            ("changes", CommentUpdate),
            ("write", Annotated[Write, Writes(rules.edit)]),
            ("request", Request),
        ),
        methods=["PATCH"],
        name=f"update_{name}_comment",
        response_model=CommentRead,
        responses=error_responses(403, 404, 409, 412),
        description="Replace the comment's text and mentions (its author, shortly after "
        "posting); the people newly mentioned are told.",
    )
    router.add_api_route(
        one,
        endpoint(
            delete_comment,
            (record_id, uuid.UUID),
            (COMMENT_ID, uuid.UUID),
            ("write", Annotated[Write, Writes(rules.delete)]),
            returns=Response,
        ),
        methods=["DELETE"],
        name=f"delete_{name}_comment",
        response_model=None,
        status_code=status.HTTP_204_NO_CONTENT,
        responses=error_responses(403, 404, 412),
        description="Delete the comment's text, leaving it in the stream as deleted (its "
        "author or a manager; again: 204, nothing changes).",
    )
    return router
