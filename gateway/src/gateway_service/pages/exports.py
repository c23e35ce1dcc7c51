"""Background exports (`obcms_platform.export_jobs`) as people see them.

A list's Export menu downloads the file at once while the list is short; past
`export_inline_max_rows` rows its items start a job instead (`background_export`). The job's
page shows where it stands; while it waits or runs, htmx asks the same page for its progress
part every two seconds, and the finished part (answered 286, htmx's "stop polling") has no
trigger left. Then the page links the file (streamed through the gateway) or says why it
failed. "My exports" lists the person's recent jobs of every service keeping them.

A job and its file are its requester's (and admins'): the services' rules decide, and the
page of a stranger's job is their refusal.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from gateway_service.auth.identity import Identity, PageUser
from gateway_service.pages.common import (
    UpstreamError,
    api,
    download,
    fetch,
    parse_id,
    read_form,
    redirect,
)
from gateway_service.settings import GatewaySettings
from gateway_service.web import render
from obcms_platform.errors import NotFoundError
from obcms_platform.formatting import format_day, label, quoted
from obcms_platform.links import export_link
from obcms_platform.registry import SERVICES
from obcms_platform.vocabulary import ExportJobStatus

router = APIRouter()

EXPORTS_PAGE = "/exports/"
# Service -> the API collection of its export jobs (the registry's).
COLLECTIONS = {
    service.name: service.exports_resource for service in SERVICES if service.exports_resource
}
# A job's form fields naming the list's filters: ``filter.<name>``, repeated for a filter of
# several values.
FILTER_FIELD = "filter."
# What htmx stops an "every" trigger on (it still swaps the answer in).
STOP_POLLING = 286
UNFINISHED = (ExportJobStatus.QUEUED.value, ExportJobStatus.RUNNING.value)
RECENT = 20
# The lists as the pages name them; another one by its words (``funding tranches``).
LIST_NAMES = {
    "tasks": "the task list",
    "ppas": "the PPA list",
    "needs": "the need list",
    "assessments": "the assessment list",
}


@dataclass(frozen=True)
class BackgroundExport:
    """What an Export menu posts to start a job: to `action`, the list's `resource` name and
    the page's `filters` (as the service reads them); `total` rows."""

    action: str
    resource: str
    filters: list[tuple[str, str]]
    total: int


def background_export(
    request: Request,
    service: str,
    resource: str,
    filters: Iterable[tuple[str, str]],
    total: int,
) -> BackgroundExport | None:
    """The job an Export menu starts for a list of `total` rows, when it is too long to
    download at once; None for a direct download."""
    settings: GatewaySettings = request.app.state.settings
    if total <= settings.export_inline_max_rows:
        return None
    return BackgroundExport(f"{EXPORTS_PAGE}{service}/", resource, list(filters), total)


def _collection(service: str) -> str:
    resource = COLLECTIONS.get(service)
    if resource is None:
        raise NotFoundError("exports of", service, field="service")
    return f"/{resource}"


def _filter_words(filters: dict[str, Any]) -> list[tuple[str, str]]:
    """A job's filters as people read them: "Search: “clinic”", "Status: Not started, …",
    days as days."""
    shown = []
    for name, value in sorted(filters.items()):
        values = value if isinstance(value, list) else [value]
        if name == "q":
            shown.append(("Search", quoted(str(value))))
            continue
        words = []
        for one in values:
            text = str(one)
            try:
                words.append(format_day(date.fromisoformat(text)))
            except ValueError:
                words.append(label(text))
        shown.append((label(name), ", ".join(words)))
    return shown


def _shown(service: str, job: dict[str, Any]) -> dict[str, Any]:
    """A job as the pages show it: with its page, its list's name and what to do next."""
    return {
        **job,
        "service": service,
        "page": export_link(service, job["id"]),
        "list_name": LIST_NAMES.get(job["resource"], job["resource"].replace("-", " ")),
        "filter_words": _filter_words(job["filters"]),
        "unfinished": job["status"] in UNFINISHED,
        "expired": job["status"] == ExportJobStatus.DONE and not job["downloadable"],
    }


async def _job(request: Request, user: Identity, service: str, export_id: str) -> dict[str, Any]:
    path = f"{_collection(service)}/{parse_id(export_id, 'export')}"
    return _shown(service, await fetch(request, user, service, path))


@router.post(EXPORTS_PAGE + "{service}/")
async def start_export(request: Request, service: str, user: PageUser) -> Response:
    """Start a job exporting the list the form names, as its page filtered it: to its page."""
    collection = _collection(service)
    form, submitted = await read_form(request)
    filters: dict[str, list[str]] = {}
    for name, value in submitted.multi_items():
        if name.startswith(FILTER_FIELD) and isinstance(value, str) and value:
            filters.setdefault(name.removeprefix(FILTER_FIELD), []).append(value)
    body = {
        "resource": form.get("resource", ""),
        "format": form.get("format", ""),
        # A filter given once is one value (the service reads it as a list where it takes one).
        "filters": {
            name: values[0] if len(values) == 1 else values for name, values in filters.items()
        },
    }
    reply = await api(request, user, service, "POST", collection, json=body)
    if not reply.ok:
        raise UpstreamError(reply.status, reply.message, field=reply.field)
    return redirect(export_link(service, reply.body["id"]))


@router.get(EXPORTS_PAGE + "{service}/{export_id}/")
async def export_page(request: Request, service: str, export_id: str, user: PageUser) -> Response:
    """The job's page; asked by htmx (``HX-Request``), only its progress part."""
    job = await _job(request, user, service, export_id)
    headers = {"Vary": "HX-Request", "Cache-Control": "no-store"}
    if request.headers.get("HX-Request") == "true":
        status = 200 if job["unfinished"] else STOP_POLLING
        return render(
            request, "_export_progress.html", {"job": job}, status_code=status, headers=headers
        )
    return render(request, "export_job.html", {"job": job}, headers=headers)


@router.get(EXPORTS_PAGE + "{service}/{export_id}/download/")
async def export_download(
    request: Request, service: str, export_id: str, user: PageUser
) -> Response:
    """The job's file, streamed from its service as it comes."""
    path = f"{_collection(service)}/{parse_id(export_id, 'export')}/content"
    return await download(request, user, service, path, "the export")


@router.get(EXPORTS_PAGE)
async def my_exports(request: Request, user: PageUser) -> Response:
    """The person's recent jobs of every service, newest first."""
    jobs = []
    for service, resource in COLLECTIONS.items():
        body = await fetch(request, user, service, f"/{resource}", params={"limit": RECENT})
        jobs += [_shown(service, job) for job in body["items"]]
    jobs.sort(key=lambda job: datetime.fromisoformat(job["created_at"]), reverse=True)
    return render(request, "exports.html", {"jobs": jobs[:RECENT]})
