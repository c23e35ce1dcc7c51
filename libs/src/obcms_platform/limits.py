"""Request guards every service and the gateway share: the request body size limit.

A body larger than ``max_body_bytes`` (the ``MAX_BODY_BYTES`` setting) is refused with 413
in the error format: at once when ``Content-Length`` declares it, otherwise as soon as the
streamed body passes the limit, so an oversized upload is never held in memory whole.

A file upload to a record's attachments (``POST /api/v1/<records>/<id>/attachments``) or an
import's workbook (``POST /api/v1/<records>/import``) may be larger: up to
``ATTACHMENT_MAX_BYTES`` plus the multipart form's own bytes (`UploadLimit`); past that it is
refused the same way, naming ``file``. The upload route itself refuses a file over
``ATTACHMENT_MAX_BYTES`` whose form still fits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from obcms_platform.errors import error_response

PAYLOAD_TOO_LARGE = 413
# The path segment of a record's attachments, under the record's own address.
ATTACHMENTS_SEGMENT = "attachments"
# The path segment of a collection's import, under the collection's address.
IMPORT_SEGMENT = "import"
# What a multipart form adds to its file: boundaries, the part's headers (a long file name
# among them) and any other small field.
MULTIPART_OVERHEAD_BYTES = 64 * 1024


class BodyTooLargeError(HTTPException):
    """Raised from `receive` when the body passes the limit; an HTTPException, so FastAPI's
    body reading lets it through to the error handlers (413 in the error format)."""

    def __init__(self, message: str, field: str = "body") -> None:
        super().__init__(PAYLOAD_TOO_LARGE, message)
        self.field = field


def too_large_message(max_bytes: int) -> str:
    return f"body: the request body is larger than the limit of {max_bytes} bytes"


@dataclass(frozen=True)
class UploadLimit:
    """The larger limit of the requests that upload a file: a POST to a `path` it matches
    may have a body of up to `max_bytes`; past it the refusal names `field`."""

    path: re.Pattern[str]
    max_bytes: int
    file_max_bytes: int
    field: str = "file"

    @classmethod
    def uploads(
        cls, api_prefix: str, file_max_bytes: int, *, pages: re.Pattern[str] | None = None
    ) -> UploadLimit:
        """Uploads to any record's attachments (``{api_prefix}/<records>/<id>/attachments``),
        to any collection's import (``{api_prefix}/<records>/import``) and to the page routes
        `pages` matches (the gateway's upload forms), of files up to `file_max_bytes`."""
        api = (
            rf"{re.escape(api_prefix)}/[^/]+/"
            rf"(?:[^/]+/{ATTACHMENTS_SEGMENT}|{IMPORT_SEGMENT})/?"
        )
        path = re.compile(f"(?:{api})|(?:{pages.pattern})" if pages else api)
        return cls(path, file_max_bytes + MULTIPART_OVERHEAD_BYTES, file_max_bytes)

    def applies(self, scope: Scope) -> bool:
        return scope["method"] == "POST" and self.path.fullmatch(scope["path"]) is not None

    def message(self) -> str:
        return f"{self.field}: the file is larger than the limit of {self.file_max_bytes} bytes"


@dataclass(frozen=True)
class _Limit:
    max_bytes: int
    field: str
    message: str


class BodySizeLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int, upload: UploadLimit | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.upload = upload

    def _limit(self, scope: Scope) -> _Limit:
        if self.upload is not None and self.upload.applies(scope):
            upload = self.upload
            return _Limit(max(upload.max_bytes, self.max_bytes), upload.field, upload.message())
        return _Limit(self.max_bytes, "body", too_large_message(self.max_bytes))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope)
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > limit.max_bytes:
            await self._refuse(limit, scope, receive, send)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit.max_bytes:
                    raise BodyTooLargeError(limit.message, limit.field)
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracked_send)
        except BodyTooLargeError:
            # Read by a middleware outside the app's error handlers (e.g. a form's CSRF field),
            # or by an upload route (whose error handler would name the body, not the file).
            if started:
                raise
            await self._refuse(limit, scope, receive, send)

    async def _refuse(self, limit: _Limit, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(
            PAYLOAD_TOO_LARGE,
            "payload_too_large",
            limit.message,
            field=limit.field,
            headers={"Connection": "close"},
        )
        await response(scope, receive, send)
