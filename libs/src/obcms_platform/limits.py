"""Request guards every service and the gateway share: the request body size limit.

A body larger than ``max_body_bytes`` (the ``MAX_BODY_BYTES`` setting) is refused with 413
in the error format: at once when ``Content-Length`` declares it, otherwise as soon as the
streamed body passes the limit, so an oversized upload is never held in memory whole.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from obcms_platform.errors import error_response

PAYLOAD_TOO_LARGE = 413


class BodyTooLargeError(HTTPException):
    """Raised from `receive` when the body passes the limit; an HTTPException, so FastAPI's
    body reading lets it through to the error handlers (413 in the error format)."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(PAYLOAD_TOO_LARGE, too_large_message(max_bytes))


def too_large_message(max_bytes: int) -> str:
    return f"body: the request body is larger than the limit of {max_bytes} bytes"


class BodySizeLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLargeError(self.max_bytes)
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracked_send)
        except BodyTooLargeError:
            # Read by a middleware outside the app's error handlers (e.g. a form's CSRF field).
            if started:
                raise
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(
            PAYLOAD_TOO_LARGE,
            "payload_too_large",
            too_large_message(self.max_bytes),
            field="body",
            headers={"Connection": "close"},
        )
        await response(scope, receive, send)
