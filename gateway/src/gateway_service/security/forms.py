"""Form bodies the CSRF check can read.

asgi-csrf reads a form's ``csrftoken`` field itself and fails with a 500 on what it cannot
read: every multipart body (asgi-csrf 0.11 passes python-multipart an argument that
python-multipart 0.0.13 removed, and expects the boundary spelled ``; boundary=``) and a
url-encoded body that is not UTF-8. So an unsafe request's form body is read first (whole:
``MAX_BODY_BYTES`` bounds it). A multipart form goes on as the same fields url-encoded, the
encoding of every page form; a file part is refused, except by the routes that take one (an
attachment's upload form, `accepts_files`; the body limit lets those up to the attachment
limit): asgi-csrf checks their text fields, and `uploads_restored` then hands the route the
multipart body as it came. A body that cannot be read as a form is refused with 422 naming
``body``.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from urllib.parse import urlencode

from starlette.datastructures import Headers, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import ClientDisconnect, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from obcms_platform.errors import error_response

URLENCODED = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
FILE_FIELD = "file"  # the one file part an upload form sends
# The scope key keeping an upload's headers and multipart body while asgi-csrf checks it.
UPLOAD_KEY = "obcms.upload"


class UnreadableFormError(Exception):
    def __init__(self, message: str, *, field: str = "body") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def readable_forms(app: ASGIApp, accepts_files: Callable[[str], bool]) -> ASGIApp:
    """`app` (the CSRF check) given only form bodies it can read; `accepts_files(path)`:
    the route at `path` takes a file part named ``file``."""

    async def forms_app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await app(scope, receive, send)
            return
        media_type = _media_type(scope)
        if media_type not in {URLENCODED, MULTIPART}:
            await app(scope, receive, send)
            return
        try:
            body = await Request(scope, receive).body()
        except ClientDisconnect:
            return  # nobody is left to answer
        try:
            if media_type == MULTIPART:
                upload = accepts_files(scope["path"])
                fields = await _urlencoded(Headers(scope=scope), body, upload)
                if upload:
                    scope = {**scope, UPLOAD_KEY: (scope["headers"], body)}
                body = fields
                scope = _urlencoded_scope(scope, len(body))
            elif not _is_utf8(body):
                raise UnreadableFormError("a url-encoded form must be UTF-8")
        except UnreadableFormError as exc:
            message = f"{exc.field}: {exc.message}"
            response = error_response(422, "validation_error", message, field=exc.field)
            await response(scope, receive, send)
            return
        await app(scope, _replayed(body, receive), send)

    return forms_app


def _media_type(scope: Scope) -> str:
    return Headers(scope=scope).get("content-type", "").partition(";")[0].strip().lower()


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def uploads_restored(app: ASGIApp) -> ASGIApp:
    """`app` (the routes) given an upload's multipart body as it came, once its text fields
    passed the CSRF check."""

    async def restored_app(scope: Scope, receive: Receive, send: Send) -> None:
        kept = scope.get(UPLOAD_KEY)
        if kept is None:
            await app(scope, receive, send)
            return
        headers, body = kept
        await app({**scope, "headers": headers}, _replayed(body, receive), send)

    return restored_app


async def _urlencoded(headers: Headers, body: bytes, upload: bool = False) -> bytes:
    """The multipart form's text fields, url-encoded; an `upload` may have one file part
    named ``file`` (left out here), other forms none."""

    async def chunks() -> AsyncGenerator[bytes, None]:
        yield body

    try:
        form = await MultiPartParser(headers, chunks()).parse()
    except MultiPartException as exc:
        raise UnreadableFormError(exc.message) from None
    try:
        fields: list[tuple[str, str]] = []
        files = 0
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                files += 1
                if not upload or name != FILE_FIELD or files > 1:
                    raise UnreadableFormError("file uploads are not accepted", field=name)
                continue
            fields.append((name, value))
    finally:
        await form.close()
    return urlencode(fields).encode("ascii")


def _urlencoded_scope(scope: Scope, length: int) -> Scope:
    headers = [
        (name, value)
        for name, value in scope["headers"]
        if name not in {b"content-type", b"content-length", b"transfer-encoding"}
    ]
    headers += [(b"content-type", URLENCODED.encode()), (b"content-length", str(length).encode())]
    return {**scope, "headers": headers}


def _replayed(body: bytes, receive: Receive) -> Receive:
    """`receive` that gives `body` first (read already), then what the server sends."""
    pending: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]

    async def replay() -> Message:
        return pending.pop() if pending else await receive()

    return replay
