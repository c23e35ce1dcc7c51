"""Resource and booking pages: resources (managers create them), bookings with the book
form (a 409 overlap names the conflicting booking), approve / reject / cancel by role, and
each resource's page: its week of bookings (FullCalendar) and a book form."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.responses import Response

from gateway_service import formatting
from gateway_service.auth.identity import PageUser
from gateway_service.pages import home
from gateway_service.pages.activity import activity
from gateway_service.pages.common import (
    BOOKING_STATUSES,
    RESOURCE_TYPES,
    UUID_PATTERN,
    FormError,
    api,
    create_payload,
    ensure_may_decide,
    fetch,
    fetch_items,
    fetch_page,
    is_manager,
    parse_id,
    query_filters,
    read_form,
    redirect,
    refusal_errors,
    user_names,
)
from gateway_service.pages.events import RESOURCES, viewer_zone
from gateway_service.web import render
from obcms_platform.feed import make_window, max_window_days

BOOKING_PAGE = RESOURCES + "bookings/{booking_id}/"
# The new-resource form's inputs of the calendar's fields (its refusals go beside them).
RESOURCE_INPUTS = {name: name for name in ("name", "resource_type", "capacity", "location")}
DECISIONS = ("approve", "reject", "cancel")
DECIDED = {"approve": "approved", "reject": "rejected", "cancel": "cancelled"}

router = APIRouter(include_in_schema=False)


def booking_url(booking_id: str) -> str:
    return BOOKING_PAGE.format(booking_id=booking_id)


@dataclass(frozen=True)
class BookingRefusal:
    """Why a book form was refused: the problems beside its inputs (input -> message, every
    one at once), what belongs to none, and the bookings in the way (their ids, linked beside
    the input the clash is about)."""

    errors: dict[str, str]
    general: str | None = None
    in_the_way: tuple[str, ...] = ()
    status: int = 422


NOT_REFUSED = BookingRefusal({})


def booking_problems(
    form: Mapping[str, str], *, choosing_resource: bool
) -> tuple[dict[str, str], dict[str, datetime]]:
    """What a book form can tell before asking the service, every problem at once, in words
    (`choosing_resource`: the form has a resource to choose), and the times typed."""
    found: dict[str, str] = {}
    if choosing_resource and not UUID_PATTERN.fullmatch(form.get("resource_id", "")):
        found["resource_id"] = "Choose a resource"
    times: dict[str, datetime] = {}
    for name in ("start", "end"):
        value = form.get(name, "")
        if not value:
            found[name] = f"Give the {name}"
            continue
        try:
            # A datetime-local input's value; an offset typed in is not the form's (dropped).
            times[name] = datetime.fromisoformat(value).replace(tzinfo=None)
        except ValueError:
            found[name] = "Enter a date and time, e.g. 2026-12-14 09:00"
    if len(times) == 2 and times["end"] <= times["start"]:
        found["end"] = "The end must be after the start"
    return found, times


async def _book(
    request: Request, user: PageUser, form: Mapping[str, str], *, resource_id: str | None
) -> Response | BookingRefusal:
    """Book from a book form (`resource_id`: the resource page's own, else the one chosen):
    to the new booking's page, or why not. The times typed are the viewer's (their zone)."""
    problems, times = booking_problems(form, choosing_resource=resource_id is None)
    if problems:
        return BookingRefusal(problems)
    zone = viewer_zone(user)
    payload = {
        "resource_id": resource_id or form["resource_id"],
        "notes": form.get("notes", ""),
        **{name: moment.replace(tzinfo=zone).isoformat() for name, moment in times.items()},
    }
    reply = await api(request, user, "calendar", "POST", "/bookings", json=payload)
    if reply.ok:
        return _booked(reply.body)
    # The resource page has no resource to choose: a refusal of it is said above the form.
    inputs = {name: name for name in ("start", "end", *(() if resource_id else ("resource_id",)))}
    errors, general = refusal_errors(reply, inputs)
    return BookingRefusal(errors, general, tuple(reply.as_error().related_ids), reply.status)


async def _resources_page(
    request: Request,
    user: PageUser,
    *,
    section: str | None = None,
    error: FormError | None = None,
    refusal: BookingRefusal | None = None,
    form: dict[str, str] | None = None,
    new_resource: Refused | None = None,
) -> Response:
    resources = await fetch_items(request, user, "calendar", "/resources")
    filters = query_filters(request, ("status", "resource_id", "mine"))
    bookings, pages, list_error = await fetch_page(request, user, "calendar", "/bookings", filters)
    names = await user_names(request, [b["booked_by"] for b in bookings])
    status = (
        refusal.status
        if refusal
        else error.status
        if error
        else new_resource.status
        if new_resource
        else (list_error.status if list_error else 200)
    )
    return render(
        request,
        "resources.html",
        {
            "resources": resources,
            "resource_names": {r["id"]: r["name"] for r in resources},
            "bookings": bookings,
            "names": names,
            "pages": pages,
            "filters": dict(filters),
            "section": section,
            "error": error,
            "new_resource": new_resource or Refused({}),
            "booking": refusal or NOT_REFUSED,
            "list_error": list_error,
            "form": form or {},
            "can_manage": is_manager(user),
            "resource_types": RESOURCE_TYPES,
            "booking_statuses": BOOKING_STATUSES,
            "saved_subject": "Resource",
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
    errors: dict[str, str] = {} if form.get("name") else {"name": "Give the resource a name"}
    if form.get("capacity") and not form["capacity"].isdigit():
        errors["capacity"] = "Give a whole number of people or seats, e.g. 12 (or leave it empty)"
    refused = Refused(errors)
    if not errors:
        reply = await api(request, user, "calendar", "POST", "/resources", json=payload)
        if reply.ok:
            return redirect(f"{RESOURCES}?saved=created")
        refused = Refused(*refusal_errors(reply, RESOURCE_INPUTS), status=reply.status)
    return await _resources_page(request, user, section="resource", new_resource=refused, form=form)


@dataclass(frozen=True)
class Refused:
    """A form's refusal: beside its inputs (`errors`), above them (`general`), its status."""

    errors: dict[str, str]
    general: str | None = None
    status: int = 422


def _booked(booking: dict[str, Any]) -> Response:
    """To the new booking's page, saying whether it holds the resource or waits."""
    said = "booking-requested" if booking["status"] == "pending" else "booked"
    return redirect(f"{booking_url(booking['id'])}?saved={said}")


@router.post(RESOURCES + "bookings/create/")
async def booking_create(request: Request, user: PageUser) -> Response:
    form, _ = await read_form(request)
    booked = await _book(request, user, form, resource_id=None)
    if isinstance(booked, Response):
        return booked
    return await _resources_page(request, user, refusal=booked, form=form)


async def _booking_page(
    request: Request, user: PageUser, booking_id: str, *, error: FormError | None = None
) -> Response:
    booking = await fetch(request, user, "calendar", f"/bookings/{booking_id}")
    reply = await api(request, user, "calendar", "GET", f"/resources/{booking['resource_id']}")
    resource = reply.body if reply.ok else None
    names = await user_names(request, [booking["booked_by"], booking["approved_by"]])
    changes, change_count = await activity(request, user, "calendar", f"/bookings/{booking_id}")
    holding = booking["status"] in ("pending", "approved")
    actions = []
    if user.may_decide(booking["booked_by"]) and booking["status"] == "pending":
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
            "activity": changes,
            "activity_total": change_count,
            "error": error,
            "saved_subject": "Booking",
        },
        status_code=error.status if error else 200,
    )


@router.get(BOOKING_PAGE)
async def booking_detail(request: Request, user: PageUser, booking_id: str) -> Response:
    return await _booking_page(request, user, parse_id(booking_id, "booking"))


# What undoing a booking asks first (its question's verb, what follows, the note's label).
UNDOING = {
    "reject": ("Reject", "The booker is told that it was rejected, with your reason."),
    "cancel": ("Cancel", "The time is freed for others; the booker is told."),
}


@router.get(BOOKING_PAGE + "{undoing}/")
async def booking_undo_question(
    request: Request, user: PageUser, booking_id: str, undoing: str
) -> Response:
    """Reject or cancel a booking? Asked first, with a note saying why."""
    booking_id = parse_id(booking_id, "booking")
    if undoing not in UNDOING:
        return await _booking_page(
            request, user, booking_id, error=FormError(404, f"unknown action {undoing!r}")
        )
    return await _undo_question(
        request, user, booking_id, undoing, request.query_params.get("next", "")
    )


async def _undo_question(
    request: Request,
    user: PageUser,
    booking_id: str,
    undoing: str,
    next_page: str,
    *,
    note: str = "",
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    """The question before a rejection or cancellation; asked again (`errors` beside the
    note, what was typed kept) when the service refused it (a rejection says why)."""
    verb, consequence = UNDOING[undoing]
    booking = await fetch(request, user, "calendar", f"/bookings/{booking_id}")
    if undoing == "reject":
        ensure_may_decide(user, booking["booked_by"])
    reply = await api(request, user, "calendar", "GET", f"/resources/{booking['resource_id']}")
    resource = reply.body["name"] if reply.ok else "a resource"
    names = await user_names(request, [booking["booked_by"]])
    return render(
        request,
        "decision_confirm.html",
        {
            "question": f"{verb} the booking of {resource}?",
            "facts": [
                (
                    "When",
                    formatting.format_span(
                        booking["start"], booking["end"], False, viewer_zone(user)
                    ),
                ),
                ("Booked by", names.get(booking["booked_by"], "unknown user")),
            ],
            "consequence": consequence,
            "post_to": booking_url(booking_id) + f"{undoing}/",
            "next": next_page,
            "note_name": "notes",
            "note_required": undoing == "reject",  # a cancellation's note is optional
            "note_label": "Note (why)",
            "note": note,
            "errors": errors or {},
            "confirm": f"Yes, {verb.lower()} it",
            "keep": "Keep the booking",
            "back": home.HOME if next_page == "home" else booking_url(booking_id),
        },
        status_code=status,
    )


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
    if reply.status == 422 and action in UNDOING:
        # The note refused (a rejection says why): asked again, beside it.
        errors, _ = refusal_errors(reply, {"notes": "notes"})
        if errors:
            return await _undo_question(
                request,
                user,
                booking_id,
                action,
                form.get("next", ""),
                note=form.get("notes", ""),
                errors=errors,
                status=422,
            )
    if form.get("next") == "home":
        return await home.back_home(request, user, reply, "booking", DECIDED[action])
    if reply.ok:
        return redirect(booking_url(booking_id) + f"?saved={DECIDED[action]}")
    return await _booking_page(request, user, booking_id, error=reply.as_error())


# --- one resource: its week of bookings and a book form --------------------------------------

RESOURCE_PAGE = RESOURCES + "{resource_id}/"
# The bookings that hold a resource's time (rejected and cancelled ones free it).
HOLDING = ("pending", "approved")


async def _resource_page(
    request: Request,
    user: PageUser,
    resource_id: str,
    *,
    refusal: BookingRefusal | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    resource = await fetch(request, user, "calendar", f"/resources/{resource_id}")
    # The week shown first: ?date=YYYY-MM-DD (a booking's page links to it), else the day of
    # the booking just refused (the clash it names is in that week, not this one).
    asked = request.query_params.get("date") or (form or {}).get("start", "")[:10]
    try:
        first_day = date.fromisoformat(asked).isoformat()
    except ValueError:
        first_day = ""
    return render(
        request,
        "resource_detail.html",
        {
            "resource": resource,
            "booking": refusal or NOT_REFUSED,
            "form": form or {},
            "viewer_zone": viewer_zone(user).key,
            "bookings_url": RESOURCE_PAGE.format(resource_id=resource_id) + "bookings.json",
            "first_day": first_day,
        },
        status_code=refusal.status if refusal else 200,
    )


@router.get(RESOURCE_PAGE)
async def resource_detail(request: Request, user: PageUser, resource_id: str) -> Response:
    return await _resource_page(request, user, parse_id(resource_id, "resource"))


@router.get(RESOURCE_PAGE + "bookings.json")
async def resource_bookings(
    request: Request,
    user: PageUser,
    resource_id: str,
    start: str | None = None,
    end: str | None = None,
) -> JSONResponse:
    """The resource's bookings overlapping ``start``-``end`` as FullCalendar event objects
    (times with their offset; FullCalendar shows them in the viewer's zone)."""
    resource_id = parse_id(resource_id, "resource")
    window = make_window(start, end, max_days=max_window_days(request))
    bookings = await fetch_items(
        request,
        user,
        "calendar",
        "/bookings",
        [
            ("resource_id", resource_id),
            *(("status", status) for status in HOLDING),
            ("ends_after", window.start.isoformat()),
            ("starts_before", window.end.isoformat()),
        ],
    )
    names = await user_names(request, [b["booked_by"] for b in bookings])
    return JSONResponse(
        [
            {
                "id": b["id"],
                "title": names.get(b["booked_by"], "Booked")
                + (" (awaiting approval)" if b["status"] == "pending" else ""),
                "start": b["start"],
                "end": b["end"],
                "url": booking_url(b["id"]),
                "classNames": [f"booking-{b['status']}"],
                "extendedProps": {"status": b["status"], "eventId": b.get("event_id")},
            }
            for b in bookings
        ]
    )


@router.post(RESOURCE_PAGE + "book/")
async def resource_book(request: Request, user: PageUser, resource_id: str) -> Response:
    """Book this resource; the times are the viewer's (their zone, the office's by default)."""
    resource_id = parse_id(resource_id, "resource")
    form, _ = await read_form(request)
    booked = await _book(request, user, form, resource_id=resource_id)
    if isinstance(booked, Response):
        return booked
    return await _resource_page(request, user, resource_id, refusal=booked, form=form)
