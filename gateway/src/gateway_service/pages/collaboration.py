"""What people add to a record's page, the same way on every kind of record: comments (tasks,
PPAs, assessments, needs, events) and attached files (tasks, PPAs, assessments).

`panel` gathers a record's activity stream (its history, comments and uploads merged, newest
first) and its attachments for the record's page; the routes of `collaboration_router` post,
edit and delete comments (each edit and delete at the version the page showed) and upload,
download and delete files, all through the services' APIs as the signed-in user.

A refused comment or upload shows the record's page again with the message beside the
textarea or the file input and the typing kept: the route leaves a `Refusal` in
``request.state`` and asks the record's own page (`RecordPage`) to render.

Mentions: the comment form sends the ids of the people chosen from its suggestions
(``mention_ids``); only those whose "@Full Name" is still in the text are kept, so deleting
the name from the text takes the mention back.

Downloads stream the service's answer (its Content-Type, ``Content-Disposition: attachment``)
through the gateway with the reader's own permission: files are never on a static path.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from starlette.datastructures import UploadFile
from starlette.responses import Response

from gateway_service.auth.identity import Identity, PageUser
from gateway_service.formatting import file_size
from gateway_service.pages.activity import CommentEntry, Entry, UploadEntry, activity, merged
from gateway_service.pages.common import (
    PEOPLE_JSON,
    api,
    download,
    error_message,
    if_match,
    is_manager,
    parse_id,
    read_form,
    redirect,
    refusal_errors,
    sentence,
    user_names,
)
from gateway_service.pages.record_forms import Deletion, confirm_page
from obcms_platform.errors import NotFoundError

COMMENTS_SHOWN = 100  # the newest comments a page shows (the API pages through all)
ATTACHMENTS_SHOWN = 100  # more than a record may hold (attachment_max_per_record)
# The service's bound on a comment (CommentCreate.body), checked here too so the page says it.
MAX_COMMENT = 10_000
MARKDOWN_HINT = "Markdown works: **bold**, _italic_, lists, links. Type @ to mention someone."
# The allowed attachment types (the services' `attachment_types` setting) in words.
FILE_TYPES = {
    "application/pdf": "PDF document",
    "image/png": "PNG image",
    "image/jpeg": "JPEG image",
    "image/gif": "GIF image",
    "image/webp": "WebP image",
    "text/plain": "Text file",
    "text/csv": "CSV table",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel spreadsheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": (
        "PowerPoint presentation"
    ),
    "application/vnd.oasis.opendocument.text": "OpenDocument text",
    "application/vnd.oasis.opendocument.spreadsheet": "OpenDocument spreadsheet",
}
ALLOWED_IN_WORDS = "a PDF, an image, an Office or OpenDocument file, or a text or CSV file"
STALE_COMMENT = "Someone changed this comment meanwhile: reload the page to see it"


@dataclass(frozen=True)
class RecordKind:
    """A kind of record people comment on: its service, its API path, its page (a path
    with ``{record_id}``), its name in words and whether files are attached to it."""

    kind: str
    service: str
    api: str
    page: str
    title: str
    attachments: bool

    def page_url(self, record_id: str) -> str:
        return self.page.format(record_id=record_id)

    def api_path(self, record_id: str) -> str:
        return f"{self.api}/{record_id}"


RECORDS = {
    record.kind: record
    for record in (
        RecordKind(
            "task", "tasks", "/tasks", "/oobc-management/staff/tasks/{record_id}/", "task", True
        ),
        RecordKind(
            "ppa", "portfolio", "/ppas", "/oobc-management/portfolio/ppas/{record_id}/", "PPA", True
        ),
        RecordKind(
            "assessment",
            "portfolio",
            "/assessments",
            "/oobc-management/portfolio/assessments/{record_id}/",
            "assessment",
            True,
        ),
        RecordKind(
            "need",
            "portfolio",
            "/needs",
            "/oobc-management/portfolio/needs/{record_id}/",
            "need",
            False,
        ),
        RecordKind(
            "event",
            "calendar",
            "/events",
            "/oobc-management/calendar/events/{record_id}/",
            "event",
            False,
        ),
    )
}
UPLOAD_PATH = re.compile(
    "^(?:"
    + "|".join(
        re.escape(record.page.partition("{record_id}")[0])
        for record in RECORDS.values()
        if record.attachments
    )
    + r")[0-9a-fA-F-]{36}/attachments/$"
)

# The page of a record (its GET route), given the record's id: what a refusal shows again.
RecordPage = Callable[[Request, Identity, str], Awaitable[Response]]


def accepts_files(path: str) -> bool:
    """Whether the page route at `path` takes a file (an attachment's upload form): the one
    kind of page form whose file part the CSRF check lets through."""
    return UPLOAD_PATH.match(path) is not None


# -- what a page shows --------------------------------------------------------------------


@dataclass
class Draft:
    """A comment form as it was sent: the text, the people it mentions (id, full name) and
    why it was refused. `comment_id` is the comment edited (None: the new comment's form)."""

    body: str = ""
    mentions: list[tuple[str, str]] = field(default_factory=list)
    error: str | None = None
    comment_id: str | None = None


@dataclass(frozen=True)
class Refusal:
    """What a refused comment or upload leaves for the record's page to show."""

    status: int
    draft: Draft | None = None
    file_error: str | None = None


@dataclass(frozen=True)
class Attachment:
    id: str
    filename: str
    type_words: str
    size: str
    who: str
    at: str
    may_delete: bool


@dataclass(frozen=True)
class Panel:
    """A record's stream and attachments as its page shows them."""

    record: RecordKind
    record_id: str
    base: str  # the record's page
    entries: list[Entry]
    history_total: int
    attachments: list[Attachment] | None  # None: this kind takes no files
    draft: Draft
    file_error: str | None
    people_url: str = PEOPLE_JSON
    hint: str = MARKDOWN_HINT
    max_file_size: str = ""
    max_bytes: int = 0


def _moment(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def _items(
    request: Request, user: Identity, record: RecordKind, path: str, limit: int
) -> list[dict[str, Any]]:
    """A list the page can do without (none when the service refuses it)."""
    reply = await api(request, user, record.service, "GET", path, params={"limit": limit})
    return list(reply.body["items"]) if reply.ok else []


def type_in_words(content_type: str) -> str:
    return FILE_TYPES.get(content_type, content_type or "Unknown type")


async def panel(
    request: Request,
    user: Identity,
    kind: str,
    record_id: str,
    *,
    may_change_record: bool = False,
) -> Panel:
    """The stream (history, comments and uploads, newest first) and the attachments of the
    record; `may_change_record`: the viewer owns it (may delete anyone's file on it)."""
    record = RECORDS[kind]
    path = record.api_path(record_id)
    (changes, history_total), comments, files = await asyncio.gather(
        activity(request, user, record.service, path),
        _items(request, user, record, f"{path}/comments", COMMENTS_SHOWN),
        _items(request, user, record, f"{path}/attachments", ATTACHMENTS_SHOWN)
        if record.attachments
        else asyncio.sleep(0, result=[]),
    )
    people = {comment["author_id"] for comment in comments}
    people.update(upload["uploaded_by"] for upload in files)
    names = await user_names(request, people)
    # A mention is its "@Name" in the body: kept unmarked, so that editing keeps it.
    mentioned = await user_names(
        request, {person for comment in comments for person in comment["mention_ids"]}, marked=False
    )
    now = datetime.now(UTC)
    me = str(user.id)
    manager = is_manager(user)
    entries = [_comment(comment, names, mentioned, me, manager, now) for comment in comments]
    uploads = [
        UploadEntry(
            at=upload["uploaded_at"],
            who=names.get(upload["uploaded_by"], "Someone"),
            filename=upload["filename"],
        )
        for upload in files
    ]
    refusal: Refusal | None = getattr(request.state, "collaboration", None)
    settings = request.app.state.settings
    return Panel(
        record=record,
        record_id=record_id,
        base=record.page_url(record_id),
        entries=merged(changes, entries, uploads),
        history_total=history_total,
        attachments=[
            Attachment(
                id=upload["id"],
                filename=upload["filename"],
                type_words=type_in_words(upload["content_type"]),
                size=file_size(upload["size"]),
                who=names.get(upload["uploaded_by"], "Someone"),
                at=upload["uploaded_at"],
                may_delete=manager or may_change_record or upload["uploaded_by"] == me,
            )
            for upload in files
        ]
        if record.attachments
        else None,
        draft=refusal.draft if refusal and refusal.draft else Draft(),
        file_error=refusal.file_error if refusal else None,
        max_file_size=file_size(settings.attachment_max_bytes),
        max_bytes=settings.attachment_max_bytes,
    )


def _comment(
    comment: dict[str, Any],
    names: Mapping[str, str],
    mentioned: Mapping[str, str],
    me: str,
    manager: bool,
    now: datetime,
) -> CommentEntry:
    deleted = comment["deleted_at"] is not None
    mine = comment["author_id"] == me
    until = comment.get("editable_until")
    return CommentEntry(
        at=comment["created_at"],
        who=names.get(comment["author_id"], "Someone"),
        id=comment["id"],
        body=comment["body"] or "",
        body_html=comment["body_html"] or "",
        mentions=[(person, mentioned.get(person, "")) for person in comment["mention_ids"]],
        version=int(comment["version"]),
        edited=comment["edited_at"] is not None,
        deleted=deleted,
        may_edit=mine and not deleted and until is not None and _moment(until) > now,
        may_delete=not deleted and (mine or manager),
    )


# -- comments -----------------------------------------------------------------------------


async def kept_mentions(
    request: Request, body: str, chosen: Iterable[object]
) -> list[tuple[str, str]]:
    """The people chosen from the suggestions whose "@Full Name" is still in `body`, as
    (id, full name), each once."""
    ids = [value for value in dict.fromkeys(str(item).strip() for item in chosen) if value]
    names = await user_names(request, ids, marked=False)
    return [
        (person, names[person]) for person in ids if person in names and f"@{names[person]}" in body
    ]


async def _draft(request: Request, comment_id: str | None = None) -> tuple[Draft, str]:
    """The comment form as sent, and its version field."""
    values, submitted = await read_form(request)
    body = values.get("body", "")
    mentions = await kept_mentions(request, body, submitted.getlist("mention_ids"))
    draft = Draft(body=body, mentions=mentions, comment_id=comment_id)
    if not body:
        draft.error = "Write the comment first"
    elif len(body) > MAX_COMMENT:
        draft.error = f"A comment may have at most {MAX_COMMENT:,} characters ({len(body):,} now)"
    return draft, values.get("version", "")


def _comment_refusal(status: int, body: Any, record: RecordKind) -> str:
    if status == 412:
        return STALE_COMMENT
    if status == 403:
        return "Only its author may edit a comment, and only its author or a manager delete it"
    if status == 404:
        return f"This comment or its {record.title} no longer exists: reload the page"
    message = error_message(body, f"the comment was refused ({status})")
    for prefix in ("body: ", "mention_ids: "):
        message = message.removeprefix(prefix)
    return sentence(message)


class _Routes:
    """The routes of one kind of record (closures over it and its page)."""

    def __init__(self, record: RecordKind, show_page: RecordPage) -> None:
        self.record = record
        self.show_page = show_page

    async def _again(
        self, request: Request, user: Identity, record_id: str, refusal: Refusal
    ) -> Response:
        request.state.collaboration = refusal
        response = await self.show_page(request, user, record_id)
        response.status_code = refusal.status
        return response

    def _back(self, record_id: str, saved: str, anchor: str) -> Response:
        return redirect(f"{self.record.page_url(record_id)}?saved={saved}#{anchor}")

    async def post_comment(self, request: Request, user: PageUser, record_id: str) -> Response:
        record_id = parse_id(record_id, self.record.title)
        draft, _ = await _draft(request)
        if draft.error:
            return await self._again(request, user, record_id, Refusal(422, draft))
        reply = await api(
            request,
            user,
            self.record.service,
            "POST",
            f"{self.record.api_path(record_id)}/comments",
            json={"body": draft.body, "mention_ids": [person for person, _ in draft.mentions]},
        )
        if reply.ok:
            return self._back(record_id, "comment-posted", "activity")
        draft.error = _comment_refusal(reply.status, reply.body, self.record)
        return await self._again(request, user, record_id, Refusal(reply.status, draft))

    async def edit_comment(
        self, request: Request, user: PageUser, record_id: str, comment_id: str
    ) -> Response:
        record_id = parse_id(record_id, self.record.title)
        comment_id = parse_id(comment_id, "comment")
        draft, version = await _draft(request, comment_id)
        if draft.error:
            return await self._again(request, user, record_id, Refusal(422, draft))
        reply = await api(
            request,
            user,
            self.record.service,
            "PATCH",
            f"{self.record.api_path(record_id)}/comments/{comment_id}",
            json={"body": draft.body, "mention_ids": [person for person, _ in draft.mentions]},
            headers=if_match(version),
        )
        if reply.ok:
            return self._back(record_id, "comment-saved", f"comment-{comment_id}")
        draft.error = _comment_refusal(reply.status, reply.body, self.record)
        return await self._again(request, user, record_id, Refusal(reply.status, draft))

    def _comment_deletion(self, record_id: str, comment_id: str, version: str) -> Deletion:
        page = self.record.page_url(record_id)
        return Deletion(
            heading="Delete this comment?",
            consequence="The activity stream will say “Comment deleted” in its place; "
            "this cannot be undone.",
            post_to=f"{page}comments/{comment_id}/delete/",
            back=f"{page}#comment-{comment_id}",
            version=version if version.isdigit() else None,
        )

    async def confirm_comment_delete(
        self, request: Request, user: PageUser, record_id: str, comment_id: str
    ) -> Response:
        record_id = parse_id(record_id, self.record.title)
        comment_id = parse_id(comment_id, "comment")
        version = request.query_params.get("version", "")
        return await confirm_page(request, self._comment_deletion(record_id, comment_id, version))

    async def delete_comment(
        self, request: Request, user: PageUser, record_id: str, comment_id: str
    ) -> Response:
        record_id = parse_id(record_id, self.record.title)
        comment_id = parse_id(comment_id, "comment")
        values, _ = await read_form(request)
        version = values.get("version", "")
        reply = await api(
            request,
            user,
            self.record.service,
            "DELETE",
            f"{self.record.api_path(record_id)}/comments/{comment_id}",
            headers=if_match(version),
        )
        if reply.ok:
            return self._back(record_id, "comment-deleted", "activity")
        return await confirm_page(
            request,
            self._comment_deletion(record_id, comment_id, version),
            error=_comment_refusal(reply.status, reply.body, self.record),
            status=reply.status,
        )

    # -- files --------------------------------------------------------------------------

    async def upload(self, request: Request, user: PageUser, record_id: str) -> Response:
        record_id = parse_id(record_id, self.record.title)
        limit = request.app.state.settings.attachment_max_bytes
        async with request.form(max_files=1) as submitted:
            chosen = submitted.get("file")
            if not isinstance(chosen, UploadFile) or not chosen.filename:
                refusal = Refusal(422, file_error="Choose a file to attach")
                return await self._again(request, user, record_id, refusal)
            reply = await api(
                request,
                user,
                self.record.service,
                "POST",
                f"{self.record.api_path(record_id)}/attachments",
                files={
                    "file": (
                        chosen.filename,
                        chosen.file,
                        chosen.content_type or "application/octet-stream",
                    )
                },
            )
            name = chosen.filename
        if reply.ok:
            return self._back(record_id, "file-attached", "attachments")
        if reply.status == 413:
            problem = f"“{name}” is larger than the limit of {file_size(limit)}"
        elif reply.status == 415:
            found = refusal_errors(reply, {"file": "file"})[0].get("file", reply.message)
            problem = f"{found}. Attach {ALLOWED_IN_WORDS}"
        else:
            errors, general = refusal_errors(reply, {"file": "file"})
            problem = errors.get("file") or general or reply.message
        return await self._again(
            request, user, record_id, Refusal(reply.status, file_error=problem)
        )

    async def download(
        self, request: Request, user: PageUser, record_id: str, attachment_id: str
    ) -> Response:
        record_id = parse_id(record_id, self.record.title)
        attachment_id = parse_id(attachment_id, "attachment")
        path = f"{self.record.api_path(record_id)}/attachments/{attachment_id}/content"
        return await download(request, user, self.record.service, path, "the file")

    async def _attachment(
        self, request: Request, user: Identity, record_id: str, attachment_id: str
    ) -> dict[str, Any]:
        path = f"{self.record.api_path(record_id)}/attachments"
        for upload in await _items(request, user, self.record, path, ATTACHMENTS_SHOWN):
            if upload["id"] == attachment_id:
                return upload
        raise NotFoundError("attachment", attachment_id)

    def _file_deletion(self, record_id: str, upload: Mapping[str, Any]) -> Deletion:
        page = self.record.page_url(record_id)
        return Deletion(
            heading=f"Delete the file “{upload['filename']}”?",
            consequence=f"It is removed from this {self.record.title} for everyone; "
            "this cannot be undone.",
            post_to=f"{page}attachments/{upload['id']}/delete/",
            back=f"{page}#attachments",
        )

    async def confirm_file_delete(
        self, request: Request, user: PageUser, record_id: str, attachment_id: str
    ) -> Response:
        record_id = parse_id(record_id, self.record.title)
        attachment_id = parse_id(attachment_id, "attachment")
        upload = await self._attachment(request, user, record_id, attachment_id)
        return await confirm_page(request, self._file_deletion(record_id, upload))

    async def delete_file(
        self, request: Request, user: PageUser, record_id: str, attachment_id: str
    ) -> Response:
        record_id = parse_id(record_id, self.record.title)
        attachment_id = parse_id(attachment_id, "attachment")
        upload = await self._attachment(request, user, record_id, attachment_id)
        reply = await api(
            request,
            user,
            self.record.service,
            "DELETE",
            f"{self.record.api_path(record_id)}/attachments/{attachment_id}",
        )
        if reply.ok:
            return self._back(record_id, "file-deleted", "attachments")
        problem = reply.message
        if reply.status == 403:
            problem = (
                f"Only who attached it, the {self.record.title}'s owners or a manager may "
                "delete this file"
            )
        return await confirm_page(
            request, self._file_deletion(record_id, upload), error=problem, status=reply.status
        )


def collaboration_router(pages: Mapping[str, RecordPage]) -> APIRouter:
    """The comment and attachment routes of every kind of record; `pages` renders each
    kind's page again after a refusal. Included before the sections' routers: a section's
    catch-all ``{record}/{action}/`` route must not take them."""
    router = APIRouter(include_in_schema=False)
    for kind, record in RECORDS.items():
        routes = _Routes(record, pages[kind])
        comments = record.page + "comments/"
        router.add_api_route(comments, routes.post_comment, methods=["POST"])
        router.add_api_route(comments + "{comment_id}/edit/", routes.edit_comment, methods=["POST"])
        router.add_api_route(
            comments + "{comment_id}/delete/", routes.confirm_comment_delete, methods=["GET"]
        )
        router.add_api_route(
            comments + "{comment_id}/delete/", routes.delete_comment, methods=["POST"]
        )
        if not record.attachments:
            continue
        files = record.page + "attachments/"
        router.add_api_route(files, routes.upload, methods=["POST"])
        router.add_api_route(files + "{attachment_id}/download/", routes.download, methods=["GET"])
        router.add_api_route(
            files + "{attachment_id}/delete/", routes.confirm_file_delete, methods=["GET"]
        )
        router.add_api_route(
            files + "{attachment_id}/delete/", routes.delete_file, methods=["POST"]
        )
    return router
