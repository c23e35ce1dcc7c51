"""Staff leave pages (my requests, the request form, managers' pending queue with approve /
reject)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from gateway_service.auth.identity import PageUser
from gateway_service.pages import home
from gateway_service.pages.activity import activity
from gateway_service.pages.common import (
    LEAVE_TYPES,
    FormError,
    api,
    create_payload,
    fetch,
    fetch_items,
    is_manager,
    parse_id,
    read_form,
    redirect,
    user_ids_for,
    user_names,
)
from gateway_service.web import render

LEAVE = "/oobc-management/staff/leave/"
LEAVE_PAGE = LEAVE + "{leave_id}/"

router = APIRouter(include_in_schema=False)


def leave_url(leave_id: str) -> str:
    return LEAVE_PAGE.format(leave_id=leave_id)


async def _leave_page(
    request: Request,
    user: PageUser,
    *,
    error: FormError | None = None,
    form: dict[str, str] | None = None,
    decision_error: FormError | None = None,
) -> Response:
    mine = await fetch_items(request, user, "calendar", "/leaves", {"mine": "true"})
    pending: list[dict[str, Any]] = []
    if is_manager(user):
        pending = await fetch_items(request, user, "calendar", "/leaves", {"status": "pending"})
    names = await user_names(request, [leave["user_id"] for leave in pending])
    shown = error or decision_error
    return render(
        request,
        "leave.html",
        {
            "mine": mine,
            "pending": pending,
            "names": names,
            "can_manage": is_manager(user),
            "error": error,
            "decision_error": decision_error,
            "form": form or {},
            "leave_types": LEAVE_TYPES,
        },
        status_code=shown.status if shown else 200,
    )


@router.get(LEAVE)
async def leave_list(request: Request, user: PageUser) -> Response:
    return await _leave_page(request, user)


@router.post(LEAVE + "create/")
async def leave_create(request: Request, user: PageUser) -> Response:
    form, _ = await read_form(request)
    payload = create_payload(form, ("leave_type", "start_date", "end_date", "reason"))
    if form.get("user"):
        ids, unknown = await user_ids_for(request, [form["user"]])
        if unknown:
            error = FormError(422, f"user_id: no user {unknown[0]!r}", "user_id")
            return await _leave_page(request, user, error=error, form=form)
        payload["user_id"] = ids[0]
    reply = await api(request, user, "calendar", "POST", "/leaves", json=payload)
    if reply.ok:
        return redirect(leave_url(reply.body["id"]))
    return await _leave_page(request, user, error=reply.as_error(), form=form)


async def _leave_detail(
    request: Request, user: PageUser, leave_id: str, *, error: FormError | None = None
) -> Response:
    leave = await fetch(request, user, "calendar", f"/leaves/{leave_id}")
    names = await user_names(request, [leave["user_id"], leave["approved_by"]])
    changes, change_count = await activity(request, user, "calendar", f"/leaves/{leave_id}")
    return render(
        request,
        "leave_detail.html",
        {
            "leave": leave,
            "names": names,
            "can_decide": is_manager(user) and leave["status"] == "pending",
            "activity": changes,
            "activity_total": change_count,
            "error": error,
        },
        status_code=error.status if error else 200,
    )


@router.get(LEAVE_PAGE)
async def leave_detail(request: Request, user: PageUser, leave_id: str) -> Response:
    return await _leave_detail(request, user, parse_id(leave_id, "leave request"))


@router.post(LEAVE_PAGE + "{action}/")
async def leave_decide(request: Request, user: PageUser, leave_id: str, action: str) -> Response:
    leave_id = parse_id(leave_id, "leave request")
    if action not in ("approve", "reject"):
        return await _leave_detail(
            request, user, leave_id, error=FormError(404, f"unknown action {action!r}")
        )
    form, _ = await read_form(request)
    body = {"reason": form["reason"]} if form.get("reason") else None
    reply = await api(request, user, "calendar", "POST", f"/leaves/{leave_id}/{action}", json=body)
    if form.get("next") == "home":
        return await home.back_home(request, user, reply, "leave", f"{action}d")
    if reply.ok:
        return redirect(LEAVE if form.get("next") == "list" else leave_url(leave_id))
    if form.get("next") == "list":
        return await _leave_page(request, user, decision_error=reply.as_error())
    return await _leave_detail(request, user, leave_id, error=reply.as_error())
