"""Resource and booking pages: resources (managers create them), bookings with the book
form (a 409 overlap names the conflicting booking), approve / reject / cancel by role."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from gateway_service.auth.identity import PageUser
from gateway_service.pages.common import (
    BOOKING_STATUSES,
    PAGE_SIZE,
    RESOURCE_TYPES,
    FormError,
    api,
    create_payload,
    fetch,
    fetch_items,
    is_manager,
    offset_param,
    page_links,
    parse_id,
    read_form,
    redirect,
    user_names,
)
from gateway_service.web import render

RESOURCES = "/oobc-management/resources/"
BOOKING_PAGE = RESOURCES + "bookings/{booking_id}/"
DECISIONS = ("approve", "reject", "cancel")

router = APIRouter(include_in_schema=False)


def booking_url(booking_id: str) -> str:
    return BOOKING_PAGE.format(booking_id=booking_id)


async def _resources_page(
    request: Request,
    user: PageUser,
    *,
    section: str | None = None,
    error: FormError | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    resources = await fetch_items(request, user, "calendar", "/resources")
    keys = ("status", "resource_id", "mine")
    filters = [(k, v) for k, v in request.query_params.multi_items() if k in keys and v]
    offset = offset_param(request)
    reply = await api(
        request,
        user,
        "calendar",
        "GET",
        "/bookings",
        params=[*filters, ("limit", PAGE_SIZE), ("offset", offset)],
    )
    bookings: list[dict[str, Any]] = reply.body["items"] if reply.ok else []
    total = reply.body["total"] if reply.ok else 0
    list_error = None if reply.ok else reply.as_error()
    names = await user_names(request, [b["booked_by"] for b in bookings])
    status = error.status if error else (list_error.status if list_error else 200)
    return render(
        request,
        "resources.html",
        {
            "resources": resources,
            "resource_names": {r["id"]: r["name"] for r in resources},
            "bookings": bookings,
            "names": names,
            "pages": page_links(request, total, offset),
            "filters": dict(filters),
            "section": section,
            "error": error,
            "list_error": list_error,
            "form": form or {},
            "can_manage": is_manager(user),
            "resource_types": RESOURCE_TYPES,
            "booking_statuses": BOOKING_STATUSES,
        },
        status_code=status,
    )


@router.get(RESOURCES)
async def resources_page(request: Request, user: PageUser) -> Response:
    return await _resources_page(request, user)


@router.post(RESOURCES + "create/")
async def resource_create(request: Request, user: PageUser) -> Response:
    form, _ = await read_form(request)
    payload: dict[str, Any] = create_payload(
        form, ("name", "resource_type", "capacity", "location")
    )
    payload["booking_requires_approval"] = bool(form.get("booking_requires_approval"))
    payload["is_available"] = not form.get("unavailable")
    reply = await api(request, user, "calendar", "POST", "/resources", json=payload)
    if reply.ok:
        return redirect(RESOURCES)
    return await _resources_page(
        request, user, section="resource", error=reply.as_error(), form=form
    )


@router.post(RESOURCES + "bookings/create/")
async def booking_create(request: Request, user: PageUser) -> Response:
    form, _ = await read_form(request)
    payload = create_payload(form, ("resource_id", "start", "end", "notes"))
    reply = await api(request, user, "calendar", "POST", "/bookings", json=payload)
    if reply.ok:
        return redirect(booking_url(reply.body["id"]))
    return await _resources_page(
        request, user, section="booking", error=reply.as_error(), form=form
    )


async def _booking_page(
    request: Request, user: PageUser, booking_id: str, *, error: FormError | None = None
) -> Response:
    booking = await fetch(request, user, "calendar", f"/bookings/{booking_id}")
    reply = await api(request, user, "calendar", "GET", f"/resources/{booking['resource_id']}")
    resource = reply.body if reply.ok else None
    names = await user_names(request, [booking["booked_by"], booking["approved_by"]])
    holding = booking["status"] in ("pending", "approved")
    actions = []
    if is_manager(user) and booking["status"] == "pending":
        actions += ["approve", "reject"]
    if holding and (is_manager(user) or booking["booked_by"] == str(user.id)):
        actions.append("cancel")
    return render(
        request,
        "booking_detail.html",
        {
            "booking": booking,
            "resource": resource,
            "names": names,
            "actions": actions,
            "error": error,
        },
        status_code=error.status if error else 200,
    )


@router.get(BOOKING_PAGE)
async def booking_detail(request: Request, user: PageUser, booking_id: str) -> Response:
    return await _booking_page(request, user, parse_id(booking_id, "booking"))


@router.post(BOOKING_PAGE + "{action}/")
async def booking_decide(
    request: Request, user: PageUser, booking_id: str, action: str
) -> Response:
    booking_id = parse_id(booking_id, "booking")
    if action not in DECISIONS:
        return await _booking_page(
            request, user, booking_id, error=FormError(404, f"unknown action {action!r}")
        )
    form, _ = await read_form(request)
    body = {"notes": form["notes"]} if form.get("notes") else None
    reply = await api(
        request, user, "calendar", "POST", f"/bookings/{booking_id}/{action}", json=body
    )
    if reply.ok:
        return redirect(booking_url(booking_id))
    return await _booking_page(request, user, booking_id, error=reply.as_error())
