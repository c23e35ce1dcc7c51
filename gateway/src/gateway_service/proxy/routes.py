"""The JSON API facade: ``/api/v1/<resource>/...`` forwarded to the service that owns it.

The route table is the registry's: each service declares the resources it owns. The request
goes out with the caller's identity as a short-lived internal token; status, body and
headers such as ETag come back unchanged (a large body is streamed). A write naming a person
without an account is refused first, and an import is checked for the people its rows name
(`proxy.people`).

A path with a '.' or '..' segment is refused (400 naming ``path``) before it is routed:
the service is chosen by the first segment, and the dot segments, collapsed on the way
(an HTTP client may, percent-encoded or backslashed ones a server or proxy may), would take the
request to another resource, another service's, or a service's own metrics and docs.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.background import BackgroundTask
from starlette.responses import JSONResponse, Response, StreamingResponse

from gateway_service.auth.identity import ApiUser, Identity
from gateway_service.proxy.clients import UNAVAILABLE, BackendAnswer, BackendClients, unavailable
from gateway_service.proxy.people import (
    asked_dry_run,
    checked_import,
    is_import,
    people_refusal,
    with_dry_run,
)
from obcms_platform import registry
from obcms_platform.app import API_PREFIX
from obcms_platform.errors import AppError, NotFoundError, error_responses

# First path segment under /api/v1 -> owning service.
ROUTE_TABLE: dict[str, str] = registry.route_table()

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
# Never forwarded to a service: the caller's credentials and what the HTTP client sets itself.
# As bytes, the form the request's raw headers are compared in.
REQUEST_DROP = frozenset(
    name.encode("latin-1")
    for name in HOP_BY_HOP | {"host", "cookie", "authorization", "content-length", "x-csrftoken"}
)
# The gateway's own server sets `date` and `server`: the service's would make them appear twice.
# As bytes, the form the answer's raw headers are compared in.
RESPONSE_DROP = frozenset(
    name.encode("latin-1") for name in HOP_BY_HOP | {"set-cookie", "date", "server"}
)
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
# Larger (or unsized) answers, such as calendar exports, are streamed through.
BUFFERED_BODY_BYTES = 256 * 1024

router = APIRouter(tags=["api facade"])

# Segment separators as servers on the way may read them: '/' and '\\'.
SEGMENT_SEPARATOR = re.compile(r"[/\\]")
DOT_SEGMENTS = frozenset({".", ".."})


def has_dot_segment(path: str) -> bool:
    """Whether the (percent-decoded) path has a '.' or '..' segment."""
    return any(segment in DOT_SEGMENTS for segment in SEGMENT_SEPARATOR.split(path))


def service_for(path: str) -> str | None:
    """'/api/v1/tasks/123' -> 'tasks'."""
    resource = path.removeprefix(f"{API_PREFIX}/").split("/", 1)[0]
    return ROUTE_TABLE.get(resource)


def forwarded_path(request: Request) -> str:
    """The path as the caller sent it, still percent-encoded: decoded, a control character
    or a '?' in a path parameter would make another (or an invalid) URL upstream."""
    raw: bytes = request.scope.get("raw_path") or quote(request.url.path).encode()
    return raw.decode("latin-1")


@router.api_route(
    f"{API_PREFIX}/{{path:path}}",
    methods=METHODS,
    include_in_schema=False,
    responses=error_responses(400, 401, 404, 503),
)
async def forward(request: Request, path: str, identity: ApiUser) -> Response:
    # The decoded path itself: `request.url.path` would stop at a decoded '?' or '#'.
    if has_dot_segment(request.scope["path"]):
        raise AppError("path: '.' and '..' segments are not allowed", field="path")
    service = service_for(request.url.path)
    if service is None:
        raise NotFoundError("API path", request.url.path)
    backends: BackendClients = request.app.state.backends
    # The ASGI server's raw pairs, names already lowercase, as they go out. Nothing is added
    # but the identity: the service compresses its answer only when the caller asked for it.
    headers = [
        (name, value) for name, value in request.scope["headers"] if name not in REQUEST_DROP
    ]
    headers += [
        (name.encode("latin-1"), value.encode("latin-1"))
        for name, value in backends.internal_headers(service, identity).items()
    ]
    # At most MAX_BODY_BYTES, an attachment upload ATTACHMENT_MAX_BYTES and its form's own
    # bytes (BodySizeLimitMiddleware).
    body = await request.body()
    decoded_path = request.scope["path"]
    refused = await people_refusal(request, identity, service, request.method, decoded_path, body)
    if refused is not None:
        return JSONResponse(refused.model_dump(), status_code=refused.error.status)
    if is_import(request.method, decoded_path):
        answer = await _import(request, identity, service, body)
        if answer is not None:
            return Response(
                answer.content,
                status_code=answer.status_code,
                media_type=answer.headers.get("content-type"),
            )
    target = forwarded_path(request) + (f"?{request.url.query}" if request.url.query else "")
    upstream = await backends.forward(service, request.method, target, headers, body)
    # Raw pairs: repeated headers (Vary, Link...) pass through as they came, as bytes (not
    # decoded and encoded again).
    response_headers = [
        (name, value)
        for name, value in ((key.lower(), value) for key, value in upstream.raw_headers)
        if name not in RESPONSE_DROP
    ]
    length = upstream.headers.get("content-length", "")
    if length.isdigit() and int(length) <= BUFFERED_BODY_BYTES:
        # A small body (most API answers) goes out in one piece: cheaper than a stream,
        # and a service failing halfway is still a clean 503.
        try:
            body = b"".join([chunk async for chunk in upstream.aiter_raw()])
        except UNAVAILABLE as exc:
            raise unavailable(service, exc) from exc
        finally:
            await upstream.aclose()
        response = Response(body, status_code=upstream.status_code)
    else:
        response = StreamingResponse(
            upstream.aiter_raw(),
            status_code=upstream.status_code,
            background=BackgroundTask(upstream.aclose),
        )
    response.raw_headers = response_headers
    return response


async def _import(
    request: Request, identity: Identity, service: str, body: bytes
) -> BackendAnswer | None:
    """The answer to an import, the people its rows name checked (`proxy.people`); None when
    its `dry_run` is one the service refuses (the request goes on as it is)."""
    query = request.query_params.multi_items()
    dry_run = asked_dry_run(query)
    if dry_run is None:
        return None
    backends: BackendClients = request.app.state.backends

    async def send(as_dry_run: bool) -> BackendAnswer:
        return await backends.call(
            service,
            "POST",
            forwarded_path(request),
            identity,
            params=with_dry_run(query, as_dry_run),
            content=body,
            headers={"Content-Type": request.headers.get("content-type", "")},
        )

    return await checked_import(request, dry_run, send)
