"""Staff leave pages (my requests, the request form, managers' pending queue with approve /
reject).

The request form says every problem beside its input, all at once, in words (dates given,
the last day not before the first); a manager files leave for someone picked by name. A
rejection asks first, on its own page, with the reason the requester is told. Every action
says it worked (``?saved=``: "Leave request sent", "… approved", "… rejected").
"""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from gateway_service.auth.identity import PageUser
from gateway_service.pages import home
from gateway_service.pages.activity import activity
from gateway_service.pages.common import (
    CHOICES_LIMIT,
    LEAVE_TYPES,
    FormError,
    api,
    create_payload,
    ensure_may_decide,
    fetch,
    fetch_items,
    if_match,
    is_manager,
    parse_id,
    read_form,
    redirect,
    refusal_errors,
    user_names,
)
from gateway_service.pages.events import active_people, tom_select_assets, viewer_zone
from gateway_service.web import render
from obcms_platform.errors import ServiceUnavailableError
from obcms_platform.formatting import format_span, label

LEAVE = "/oobc-management/staff/leave/"
LEAVE_PAGE = LEAVE + "{leave_id}/"
SUBJECT = "Leave request"
# The service's fields -> the form's inputs (a refusal naming one is said beside it).
INPUTS = {
    "leave_type": "leave_type",
    "start_date": "start_date",
    "end_date": "end_date",
    "user_id": "user",
    "reason": "reason",
}
DATES = {"start_date": "the first day", "end_date": "the last day"}
# A decision -> the word the page says it with ("Leave rejected").
DECIDED = {"approve": "approved", "reject": "rejected"}

router = APIRouter(include_in_schema=False)


def leave_url(leave_id: str, saved: str = "") -> str:
    return LEAVE_PAGE.format(leave_id=leave_id) + (f"?saved={saved}" if saved else "")


def form_problems(form: dict[str, str]) -> dict[str, str]:
    """What the request form can tell before asking the service (every problem at once)."""
    found: dict[str, str] = {}
    days: dict[str, date] = {}
    for name, day in DATES.items():
        value = form.get(name, "")
        if not value:
            found[name] = f"Give {day}"
            continue
        try:
            days[name] = date.fromisoformat(value)
        except ValueError:
            found[name] = "Enter a date, e.g. 2026-12-14"
    if len(days) == len(DATES) and days["end_date"] < days["start_date"]:
        found["end_date"] = "The last day must not be before the first day"
    if form.get("leave_type", "vacation") not in LEAVE_TYPES:
        found["leave_type"] = "Choose a type of leave"
    return found


async def _leave_page(
    request: Request,
    user: PageUser,
    *,
    errors: dict[str, str] | None = None,
    general: str | None = None,
    form: dict[str, str] | None = None,
    decision_error: FormError | None = None,
    in_the_way: list[str] | None = None,
    status: int = 200,
) -> Response:
    """The leave page; after a refused request, its problems beside the inputs and the
    requests `in_the_way` (their ids: the ones the days overlap) linked beside "From"."""
    mine = await fetch_items(request, user, "calendar", "/leaves", {"mine": "true"})
    pending: list[dict[str, Any]] = []
    people: list[dict[str, str]] = []
    if is_manager(user):
        pending = await fetch_items(request, user, "calendar", "/leaves", {"status": "pending"})
        people = await active_people(request, limit=CHOICES_LIMIT)
    names = await user_names(request, [leave["user_id"] for leave in pending])
    return render(
        request,
        "leave.html",
        {
            "mine": mine,
            "pending": pending,
            "names": names,
            "people": people,
            "tom_select": tom_select_assets() if people else None,
            "can_manage": is_manager(user),
            "errors": errors or {},
            "general_error": general,
            "decision_error": decision_error,
            "form": form or {},
            "in_the_way": in_the_way or [],
            "leave_types": LEAVE_TYPES,
            "saved_subject": SUBJECT,
        },
        status_code=decision_error.status if decision_error else status,
    )


@router.get(LEAVE)
async def leave_list(request: Request, user: PageUser) -> Response:
    return await _leave_page(request, user)


@router.post(LEAVE + "create/")
async def leave_create(request: Request, user: PageUser) -> Response:
    form, _ = await read_form(request)
    problems = form_problems(form)
    if problems:
        return await _leave_page(request, user, errors=problems, form=form, status=422)
    payload = create_payload(form, ("leave_type", "start_date", "end_date", "reason"))
    if form.get("user") and form["user"] != str(user.id):
        payload["user_id"] = form["user"]
    reply = await api(request, user, "calendar", "POST", "/leaves", json=payload)
    if reply.ok:
        return redirect(leave_url(reply.body["id"], "sent"))
    errors, general = refusal_errors(reply, INPUTS)
    return await _leave_page(
        request,
        user,
        errors=errors,
        general=general,
        form=form,
        in_the_way=reply.as_error().related_ids,
        status=reply.status,
    )


# Leave whose days still matter to the person's work and colleagues.
STANDING = frozenset({"pending", "approved"})


async def _while_away(
    request: Request, user: PageUser, leave: dict[str, Any]
) -> tuple[list[dict[str, str]], list[dict[str, Any]], list[dict[str, Any]]]:
    """What the leave's days hold, for its person filing it and the manager deciding: the
    events the person organises or attends then (linked), the colleagues away then too
    (their leave pending or approved), and the person's open tasks due then. Nothing of
    what the calendar or the tasks service cannot say."""
    first, last = date.fromisoformat(leave["start_date"]), date.fromisoformat(leave["end_date"])
    params = {
        "start": first.isoformat(),
        "end": (last + timedelta(days=1)).isoformat(),
        "participant_ids": leave["user_id"],
    }
    around = [("from_date", first.isoformat()), ("to_date", last.isoformat())]
    around += [("status", status) for status in sorted(STANDING)]
    # The questions at once: none waits for another's answer.
    busy, away, tasks = await asyncio.gather(
        api(request, user, "calendar", "GET", "/events/conflicts", params=params),
        api(request, user, "calendar", "GET", "/leaves", params=[*around, ("limit", 50)]),
        _tasks_due(request, user, leave["user_id"], first, last),
    )
    zone = viewer_zone(user)
    events = [
        {
            "text": f"‘{item['title']}’ "  # noqa: RUF001 - the typographic quote
            + format_span(item["start"], item["end"], item["all_day"], zone),
            "url": str(item.get("url") or ""),
        }
        for item in (busy.body["items"] if busy.ok else [])
        if item["kind"] == "event"
    ]
    others = [
        other
        for other in (away.body["items"] if away.ok else [])
        if other["id"] != leave["id"] and other["user_id"] != leave["user_id"]
    ]
    return events, others, tasks


async def _tasks_due(
    request: Request, user: PageUser, person: str, first: date, last: date
) -> list[dict[str, Any]]:
    """The open tasks assigned to `person` due from `first` to `last`, soonest first; none
    when the tasks service cannot say (the leave is the calendar's: its page still shows)."""
    params = [
        ("assignee", person),
        *(("status", status) for status in home.OPEN_TASK_STATUSES),
        ("due_after", first.isoformat()),
        ("due_before", last.isoformat()),
        ("sort", "due_date"),
        ("limit", 50),
    ]
    try:
        reply = await api(request, user, "tasks", "GET", "/tasks", params=params)
    except ServiceUnavailableError:
        return []
    items: list[dict[str, Any]] = reply.body["items"] if reply.ok else []
    return items


async def _leave_detail(
    request: Request, user: PageUser, leave_id: str, *, error: FormError | None = None
) -> Response:
    leave = await fetch(request, user, "calendar", f"/leaves/{leave_id}")
    events, others, tasks = (
        await _while_away(request, user, leave) if leave["status"] in STANDING else ([], [], [])
    )
    names = await user_names(
        request, [leave["user_id"], leave["approved_by"], *(other["user_id"] for other in others)]
    )
    changes, change_count = await activity(request, user, "calendar", f"/leaves/{leave_id}")
    return render(
        request,
        "leave_detail.html",
        {
            "leave": leave,
            "names": names,
            "events_then": events,
            "others_away": others,
            "tasks_due": tasks,
            "can_decide": user.may_decide(leave["user_id"]) and leave["status"] == "pending",
            "withdraw": _withdrawal(user, leave),
            "activity": changes,
            "activity_total": change_count,
            "error": error,
            "saved_subject": SUBJECT,
        },
        status_code=error.status if error else 200,
    )


@router.get(LEAVE_PAGE)
async def leave_detail(request: Request, user: PageUser, leave_id: str) -> Response:
    return await _leave_detail(request, user, parse_id(leave_id, "leave request"))


def _withdrawal(user: PageUser, leave: dict[str, Any]) -> str | None:
    """The button that takes a leave back, as `user` may press it (the calendar's
    LEAVE_WITHDRAW: its owners while pending, a manager any time); None: no such button."""
    if is_manager(user):
        return "Cancel leave…"
    owners = {leave["user_id"], leave["created_by"]}
    if leave["status"] == "pending" and str(user.id) in owners:
        return "Withdraw request…"
    return None


async def _leave_and_whose(
    request: Request, user: PageUser, leave_id: str
) -> tuple[dict[str, Any], str]:
    """The leave and the full name of the person on leave (for a question about it)."""
    leave = await fetch(request, user, "calendar", f"/leaves/{leave_id}")
    names = await user_names(request, [leave["user_id"]])
    return leave, names.get(leave["user_id"], "unknown user")


@router.get(LEAVE_PAGE + "withdraw/")
async def leave_withdraw_question(request: Request, user: PageUser, leave_id: str) -> Response:
    """Withdraw a request (or cancel leave)? Asked first."""
    leave_id = parse_id(leave_id, "leave request")
    leave, who = await _leave_and_whose(request, user, leave_id)
    pending = leave["status"] == "pending"
    return render(
        request,
        "decision_confirm.html",
        {
            "question": "Withdraw this leave request?"
            if pending
            else f"Cancel the leave of {who}?",
            "facts": [
                ("Who", who),
                (
                    "When",
                    format_span(leave["start_date"], leave["end_date"], zone=viewer_zone(user)),
                ),
            ],
            "consequence": "It leaves the calendar and waits for no decision."
            if pending
            else "It leaves the calendar; the days are no longer counted as leave.",
            "post_to": leave_url(leave_id) + "withdraw/",
            "next": "",
            "note_name": None,
            "confirm": "Yes, withdraw it" if pending else "Yes, cancel it",
            "keep": "Keep it",
            "back": leave_url(leave_id),
            "version": leave["version"],
        },
    )


@router.get(LEAVE_PAGE + "reject/")
async def leave_reject_question(request: Request, user: PageUser, leave_id: str) -> Response:
    """Reject a leave request? Asked first, with the reason the requester is told."""
    leave_id = parse_id(leave_id, "leave request")
    return await _reject_page(request, user, leave_id, request.query_params.get("next", ""))


async def _reject_page(
    request: Request,
    user: PageUser,
    leave_id: str,
    next_page: str,
    *,
    reason: str = "",
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    """The question before a rejection; asked again (`errors` beside the reason, what was
    typed kept) when the service refused it."""
    leave, who = await _leave_and_whose(request, user, leave_id)
    ensure_may_decide(user, leave["user_id"])
    back = {"home": home.HOME, "list": LEAVE}.get(next_page)
    return render(
        request,
        "decision_confirm.html",
        {
            "question": f"Reject the leave of {who}?",
            "facts": [
                ("Who", who),
                (
                    "When",
                    format_span(leave["start_date"], leave["end_date"], zone=viewer_zone(user)),
                ),
                # What a manager weighs (they may read them: the service sends them).
                ("Type", label(leave["leave_type"]) if leave["leave_type"] else "Private"),
                ("Their reason", leave["reason"] or "\N{EM DASH}"),
            ],
            "consequence": f"{who} is told that the request was rejected, with your reason.",
            "post_to": leave_url(leave_id) + "reject/",
            "next": next_page,
            "note_name": "reason",
            "note_required": True,
            "note_label": "Reason (the requester sees it)",
            "note": reason,
            "errors": errors or {},
            "confirm": "Yes, reject",
            "keep": "Keep it pending",
            "back": back or leave_url(leave_id),
        },
        status_code=status,
    )


@router.post(LEAVE_PAGE + "{action}/")
async def leave_decide(request: Request, user: PageUser, leave_id: str, action: str) -> Response:
    leave_id = parse_id(leave_id, "leave request")
    if action == "withdraw":
        return await _withdraw(request, user, leave_id)
    if action not in DECIDED:
        return await _leave_detail(
            request, user, leave_id, error=FormError(404, f"unknown action {action!r}")
        )
    form, _ = await read_form(request)
    body = {"reason": form["reason"]} if form.get("reason") else None
    reply = await api(request, user, "calendar", "POST", f"/leaves/{leave_id}/{action}", json=body)
    word = DECIDED[action]
    if reply.status == 422:
        # The reason refused (a rejection says why): asked again, beside it.
        errors, _ = refusal_errors(reply, {"reason": "reason"})
        if errors:
            return await _reject_page(
                request,
                user,
                leave_id,
                form.get("next", ""),
                reason=form.get("reason", ""),
                errors=errors,
                status=422,
            )
    if form.get("next") == "home":
        return await home.back_home(request, user, reply, "leave", word)
    if reply.ok:
        return redirect(
            f"{LEAVE}?saved={word}" if form.get("next") == "list" else leave_url(leave_id, word)
        )
    if form.get("next") == "list":
        return await _leave_page(request, user, decision_error=reply.as_error())
    return await _leave_detail(request, user, leave_id, error=reply.as_error())


async def _withdraw(request: Request, user: PageUser, leave_id: str) -> Response:
    form, _ = await read_form(request)
    headers = if_match(form.get("version", ""))
    reply = await api(request, user, "calendar", "DELETE", f"/leaves/{leave_id}", headers=headers)
    if reply.ok:
        return redirect(f"{LEAVE}?saved=withdrawn")
    return await _leave_detail(request, user, leave_id, error=reply.as_error())
