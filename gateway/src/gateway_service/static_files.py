"""Versioned static files: ``/static/v/<version>/<path>`` with long-lived cache headers.

`<version>` is a digest of every file in the package's ``static/`` folder, computed once at
start-up, so any change to any file gives new URLs (``static_url``) and a browser may keep
what it fetched for a year (``public, max-age=31536000, immutable``). A URL with another
version (a page rendered by an older release) still gets the current file, but with
``no-cache``. The unversioned ``/static/<path>`` mount stays as it was.
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC_DIR = Path(__file__).parent / "static"
MOUNT = "/static/v"
IMMUTABLE = "public, max-age=31536000, immutable"


@lru_cache(maxsize=1)
def static_version() -> str:
    digest = hashlib.sha256()
    for path in sorted(STATIC_DIR.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(STATIC_DIR).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def static_url(path: str) -> str:
    """The versioned URL of a file under ``static/`` (``vendor/htmx/htmx.min.js``)."""
    return f"{MOUNT}/{static_version()}/{path.lstrip('/')}"


class VersionedStaticFiles(StaticFiles):
    def __init__(self) -> None:
        super().__init__(packages=[("gateway_service", "static")])

    def get_path(self, scope: Scope) -> str:
        version, _, rest = super().get_path(scope).partition(os.sep)
        scope["obcms.static_version"] = version
        return rest or version

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        current = scope.get("obcms.static_version") == static_version()
        response.headers["Cache-Control"] = IMMUTABLE if current else "no-cache"
        return response


async def favicon(request: Request) -> Response:
    """``/favicon.ico``: browsers ask for it whatever a page links (PDFs, JSON, error pages)."""
    return FileResponse(
        STATIC_DIR / "favicon.svg",
        media_type="image/svg+xml",
        headers={"Cache-Control": "public, max-age=86400"},
    )
