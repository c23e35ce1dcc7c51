"""Server-rendered pages: Jinja2 templates (autoescaped) shipped in the package."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.responses import Response

templates = Jinja2Templates(
    env=Environment(
        loader=PackageLoader("gateway_service", "templates"),
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
)

NAVIGATION = (
    ("Home", "/"),
    ("Tasks", "/oobc-management/staff/tasks/"),
)


def csrf_token(request: Request) -> str:
    """The CSRF token for forms (asgi-csrf sets the ``csrftoken`` cookie when it is used)."""
    getter = request.scope.get("csrftoken")
    return str(getter()) if callable(getter) else ""


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    values = {
        "csrf_token": csrf_token(request),
        "user": getattr(request.state, "identity", None),
        "navigation": NAVIGATION,
        "path": request.url.path,
        **(context or {}),
    }
    return templates.TemplateResponse(
        request, name, values, status_code=status_code, headers=headers
    )


def wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site paths: an open redirect would hand the session to another site."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    if any(ch in target for ch in "\r\n\\"):
        return default
    return target
