"""The import page: PPAs or needs from an Excel workbook laid out as their list's export
(`obcms_platform.imports`).

A manager chooses what to import and the file, and checks it: the portfolio service's dry run
answers every row's problems, the gateway's check of the people they name among them
(`proxy.people`), shown in a table (and downloadable as CSV), or how many rows are ready. The
checked file waits in Redis under a one-time key for `CHECKED_FILE_SECONDS`, so that "Import"
(a confirmation) sends the very file that was checked, without choosing it again; the import
itself is all rows or none, as the service decides (its people checked again)."""

from __future__ import annotations

import io
import json
import re
import secrets
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from starlette.datastructures import UploadFile
from starlette.responses import Response, StreamingResponse

from gateway_service.auth.identity import Identity, PageUser
from gateway_service.pages.common import Reply, api, download, is_manager
from gateway_service.pages.record_forms import SERVICE
from gateway_service.web import render
from obcms_platform.errors import ForbiddenError, NotFoundError
from obcms_platform.exports import CSV_MEDIA_TYPE, Column, csv_chunks

IMPORT_PAGE = "/oobc-management/portfolio/import/"
# The page route that takes a workbook: its body may be as large as an upload to the API.
WORKBOOK_PATH = re.compile(f"^{re.escape(IMPORT_PAGE)}$")
CHECKED_FILE_SECONDS = 30 * 60
CHECKED_KEY = "obcms:gateway:import:{token}"
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
# The problems of a check as a CSV download.
PROBLEM_COLUMNS = (
    Column("Row", lambda problem: problem["row"]),
    Column("Column", lambda problem: problem["column"] or ""),
    Column("Problem", lambda problem: problem["message"]),
)

router = APIRouter()


@dataclass(frozen=True)
class Kind:
    """What may be imported: its API collection, its list page and words."""

    collection: str
    list_page: str
    plural: str


KINDS = {
    "ppas": Kind("/ppas", "/oobc-management/portfolio/ppas/", "PPAs"),
    "needs": Kind("/needs", "/oobc-management/portfolio/needs/", "needs"),
}


def takes_workbook(path: str) -> bool:
    """Whether the page route at `path` takes a file: the import page's form."""
    return WORKBOOK_PATH.match(path) is not None


def _kind(name: str) -> Kind:
    found = KINDS.get(name)
    if found is None:
        raise NotFoundError("kind of import", name)
    return found


def _page(
    request: Request,
    *,
    kind: str = "ppas",
    report: dict[str, Any] | None = None,
    token: str | None = None,
    filename: str = "",
    error: str | None = None,
    imported: int | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "portfolio_import.html",
        {
            "kinds": KINDS,
            "kind": kind,
            "report": report,
            "token": token,
            "filename": filename,
            "error": error,
            "imported": imported,
        },
        status_code=status_code,
    )


def _ensure_manager(user: Identity) -> None:
    if not is_manager(user):
        raise ForbiddenError("only managers may import PPAs and needs")


@router.get(IMPORT_PAGE)
async def import_page(request: Request, user: PageUser) -> Response:
    _ensure_manager(user)
    kind = request.query_params.get("kind", "ppas")
    return _page(request, kind=kind if kind in KINDS else "ppas")


@router.post(IMPORT_PAGE)
async def check_import(request: Request, user: PageUser) -> Response:
    """The dry run of the chosen file; the file kept for the import that follows."""
    _ensure_manager(user)
    async with request.form(max_files=1) as submitted:
        kind_name = str(submitted.get("kind") or "ppas")
        chosen = submitted.get("file")
        kind = _kind(kind_name)
        if not isinstance(chosen, UploadFile) or not chosen.filename:
            return _page(request, kind=kind_name, error="Choose an Excel workbook", status_code=422)
        content = await chosen.read()
        filename = chosen.filename
    reply = await _send(request, user, kind, content, filename, dry_run=True)
    if reply.status != 200:
        return _page(
            request,
            kind=kind_name,
            filename=filename,
            error=reply.message,
            status_code=reply.status,
        )
    token = secrets.token_urlsafe(24)
    checked = {
        "user": str(user.id),
        "kind": kind_name,
        "filename": filename,
        "content": content.hex(),
        "report": reply.body,
    }
    redis = request.app.state.redis
    await redis.set(CHECKED_KEY.format(token=token), json.dumps(checked), ex=CHECKED_FILE_SECONDS)
    return _page(request, kind=kind_name, report=reply.body, token=token, filename=filename)


@router.post(IMPORT_PAGE + "{token}/")
async def run_import(request: Request, user: PageUser, token: str) -> Response:
    """The import of the file checked under `token`: every row, or none with the report."""
    _ensure_manager(user)
    checked = await _checked(request, user, token)
    kind = _kind(checked["kind"])
    content = bytes.fromhex(checked["content"])
    reply = await _send(request, user, kind, content, checked["filename"], dry_run=False)
    if reply.ok:
        await request.app.state.redis.delete(CHECKED_KEY.format(token=token))
        return _page(request, kind=checked["kind"], imported=int(reply.body["imported"]))
    report = reply.body.get("report") if isinstance(reply.body, dict) else None
    if report is not None:
        checked["report"] = report
        redis = request.app.state.redis
        await redis.set(
            CHECKED_KEY.format(token=token), json.dumps(checked), ex=CHECKED_FILE_SECONDS
        )
    return _page(
        request,
        kind=checked["kind"],
        report=report,
        token=token,
        filename=checked["filename"],
        error=reply.message,
        status_code=reply.status,
    )


@router.get(IMPORT_PAGE + "{token}/problems/download/")
async def problems_download(request: Request, user: PageUser, token: str) -> Response:
    """The problems the last check of the file found, as CSV (row, column, problem)."""
    checked = await _checked(request, user, token)
    problems = checked["report"]["errors"]
    stem = checked["filename"].rsplit(".", 1)[0] or "import"
    return StreamingResponse(
        csv_chunks(PROBLEM_COLUMNS, problems, {}),
        media_type=CSV_MEDIA_TYPE,
        headers={
            "Content-Disposition": f'attachment; filename="{_safe(stem)}-problems.csv"',
            "Cache-Control": "private, no-store",
        },
    )


@router.get(IMPORT_PAGE + "{kind}/template/download/")
async def template_download(request: Request, user: PageUser, kind: str) -> Response:
    """The empty workbook of the kind's columns, to fill in."""
    found = _kind(kind)
    path = f"{found.collection}/import/template"
    return await download(request, user, SERVICE, path, f"the {found.plural} template")


def _safe(stem: str) -> str:
    """A file name's stem fit for a header: letters, digits, dashes and underscores."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-")[:80] or "import"


async def _checked(request: Request, user: Identity, token: str) -> dict[str, Any]:
    """The file checked under `token` by `user`; 404 when it is gone (imported, expired or
    another person's)."""
    if not TOKEN_PATTERN.match(token):
        raise NotFoundError("checked file (check it again)", token)
    stored = await request.app.state.redis.get(CHECKED_KEY.format(token=token))
    checked: dict[str, Any] | None = json.loads(stored) if stored else None
    if checked is None or checked["user"] != str(user.id):
        raise NotFoundError("checked file (check it again)", token)
    return checked


async def _send(
    request: Request,
    user: Identity,
    kind: Kind,
    content: bytes,
    filename: str,
    *,
    dry_run: bool,
) -> Reply:
    return await api(
        request,
        user,
        SERVICE,
        "POST",
        f"{kind.collection}/import",
        params={"dry_run": "true" if dry_run else "false"},
        files={"file": (filename, io.BytesIO(content), "application/octet-stream")},
    )
