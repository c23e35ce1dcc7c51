"""The person's notifications: the inbox page (grouped by day, mark one or all read), the
bell's count, the preferences page, the record links of messages (``/go/<record>/<id>``),
the one-click unsubscribe links of emails (``/unsubscribe/<token>``), and in development the
mailbox of what the platform "sent"."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.utils import parsedate_to_datetime
from itertools import groupby
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import JSONResponse, Response

from gateway_service.auth.identity import Identity, PageUser
from gateway_service.db import in_session
from gateway_service.pages.assessments import ASSESSMENT_PAGE, ASSESSMENTS, NEED_PAGE, NEEDS
from gateway_service.pages.common import (
    UpstreamError,
    api,
    fetch,
    fetch_page,
    if_match,
    parse_id,
    read_form,
    redirect,
    refusal_errors,
)
from gateway_service.pages.events import CALENDAR_PAGE, EVENT_PAGE, RESOURCES
from gateway_service.pages.leave import LEAVE, LEAVE_PAGE
from gateway_service.pages.portfolio import PPA_PAGE, PPAS
from gateway_service.pages.resources import BOOKING_PAGE
from gateway_service.pages.tasks import TASK_PAGE, TASKS_PAGE
from gateway_service.settings import GatewaySettings
from gateway_service.users.models import User
from gateway_service.web import render
from obcms_platform.errors import NotFoundError, ServiceUnavailableError
from obcms_platform.formatting import format_day, zone_named
from obcms_platform.links import LINK_PREFIX, OCCURRENCE_PARAM, Record
from obcms_platform.mailcatcher import read_maildir
from obcms_platform.settings import RunMode
from obcms_platform.unsubscribe import (
    UNSUBSCRIBE_PREFIX,
    WITHOUT_EMAIL,
    Unsubscription,
    emails_about,
    read_token,
)
from obcms_platform.vocabulary import NotificationChannel

NOTIFICATIONS = "/notifications/"
PREFERENCES = NOTIFICATIONS + "preferences/"
MAILBOX = "/dev/mailbox/"
SERVICE = "notifications"

# Where a message's record link lands.
RECORD_PAGES: dict[Record, str] = {
    Record.TASK: TASK_PAGE,
    Record.PPA: PPA_PAGE,
    Record.ASSESSMENT: ASSESSMENT_PAGE,
    Record.NEED: NEED_PAGE,
    Record.EVENT: EVENT_PAGE,
    Record.LEAVE: LEAVE_PAGE,
    Record.BOOKING: BOOKING_PAGE,
}
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
# A record's page, found by its path: the page's pattern up to the id, then an id.
RECORD_ID = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/"
)


@dataclass(frozen=True)
class Elsewhere:
    """What a record's page says when the record is not there (deleted since a message
    linked it): the record in words, and the page to look on instead."""

    thing: str
    page: str
    page_name: str


RECORDS_ELSEWHERE: dict[Record, Elsewhere] = {
    Record.TASK: Elsewhere("task", TASKS_PAGE, "the task list"),
    Record.PPA: Elsewhere("PPA", PPAS, "the PPA list"),
    Record.ASSESSMENT: Elsewhere("assessment", ASSESSMENTS, "the assessments"),
    Record.NEED: Elsewhere("need", NEEDS, "the needs"),
    Record.EVENT: Elsewhere("event", CALENDAR_PAGE, "the calendar"),
    Record.LEAVE: Elsewhere("leave request", LEAVE, "leave"),
    Record.BOOKING: Elsewhere("booking", RESOURCES, "rooms and equipment"),
}


def missing_record(path: str) -> Elsewhere | None:
    """What to say when the record whose page `path` is could not be found (None: `path` is
    not a record's page)."""
    for record, page in RECORD_PAGES.items():
        prefix = page.partition("{")[0]
        if path.startswith(prefix) and RECORD_ID.match(path, len(prefix)):
            return RECORDS_ELSEWHERE[record]
    return None


# What the page says after `?done=`: a fixed vocabulary, the query's text is never shown.
DONE = {
    "read": "Marked as read",
    "unread": "Marked as unread",
    "all_read": "All marked as read",
    "saved": "Preferences saved",
}
CHANNELS = ("both", "in_app", "email", "digest", "off")
PREFERENCE_INPUTS = ("digest_time", "quiet_start", "quiet_end", "event_lead_minutes")

router = APIRouter(include_in_schema=False)


@router.get(LINK_PREFIX + "{record}/{record_id}")
async def open_record(request: Request, record: str, record_id: str, user: PageUser) -> Response:
    """A message's link: the record's page (the login page first, when signed out); an
    event's, at the occurrence it names (a date: anything else is left out)."""
    try:
        kind = Record(record)
        page = RECORD_PAGES[kind]
    except ValueError:
        raise NotFoundError("record kind", record) from None
    url = PLACEHOLDER.sub(parse_id(record_id, record), page)
    occurrence = request.query_params.get(OCCURRENCE_PARAM, "")
    if kind is Record.EVENT and _is_date(occurrence):
        url += f"?{OCCURRENCE_PARAM}={occurrence}"
    return redirect(url)


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


@router.get(NOTIFICATIONS + "count.json")
async def unread_count(request: Request, user: PageUser) -> JSONResponse:
    """The bell's number (null while the notifications service cannot say)."""
    try:
        reply = await api(request, user, SERVICE, "GET", "/notifications/unread-count")
    except ServiceUnavailableError:
        return JSONResponse({"unread": None})
    return JSONResponse({"unread": reply.body["unread"] if reply.ok else None})


def _days(items: list[dict[str, Any]], zone_name: str | None) -> list[tuple[str, list[Any]]]:
    """The notifications under the day they came, in the viewer's zone: "Today",
    "Yesterday", then the date."""
    zone = zone_named(zone_name)
    today = datetime.now(zone).date()

    def day_of(item: dict[str, Any]) -> str:
        day = datetime.fromisoformat(item["created_at"]).astimezone(zone).date()
        if day == today:
            return "Today"
        if day == today - timedelta(days=1):
            return "Yesterday"
        return format_day(day)

    return [(day, list(group)) for day, group in groupby(items, key=day_of)]


@router.get(NOTIFICATIONS)
async def notifications_page(request: Request, user: PageUser) -> Response:
    unread_only = request.query_params.get("unread") == "1"
    filters = [("unread", "true")] if unread_only else []
    items, pages, error = await fetch_page(request, user, SERVICE, "/notifications", filters)
    count = await fetch(request, user, SERVICE, "/notifications/unread-count")
    return render(
        request,
        "notifications.html",
        {
            "days": _days(items, user.time_zone),
            "pages": pages,
            "error": error,
            "unread": count["unread"],
            "unread_only": unread_only,
            "notice": DONE.get(request.query_params.get("done", "")),
        },
        status_code=error.status if error else 200,
    )


def _back(form: dict[str, str], done: str) -> Response:
    """To the inbox as it was (the unread filter kept), saying what was done."""
    filtered = "unread=1&" if form.get("unread") == "1" else ""
    return redirect(f"{NOTIFICATIONS}?{filtered}done={done}")


async def _marked(
    request: Request, user: PageUser, notification_id: str, state: str
) -> dict[str, Any]:
    """Mark one of the user's notifications ``read`` or ``unread``: the notification."""
    notification_path = f"/notifications/{parse_id(notification_id, 'notification')}/{state}"
    reply = await api(request, user, SERVICE, "POST", notification_path)
    if not reply.ok:
        raise UpstreamError(reply.status, reply.message, field=reply.field)
    marked: dict[str, Any] = reply.body
    return marked


# A notification's link (opened in this tab or another, or copied): marks it read, then on
# to its record. A GET that changes state, on purpose: only the caller's own notification
# (the service refuses another's), only to read, and again changes nothing, so a prefetch
# or a forged link (it needs the notification's unguessable id) can at worst mark one read.
@router.get(NOTIFICATIONS + "{notification_id}/open/")
async def open_notification(request: Request, user: PageUser, notification_id: str) -> Response:
    marked = await _marked(request, user, notification_id, "read")
    return redirect(marked["link"] or f"{NOTIFICATIONS}?done=read")


@router.post(NOTIFICATIONS + "{notification_id}/{state}/")
async def mark(request: Request, user: PageUser, notification_id: str, state: str) -> Response:
    """Mark one notification ``read`` or ``unread`` (a button of the inbox)."""
    if state not in {"read", "unread"}:
        raise NotFoundError("action", state)
    form, _ = await read_form(request)
    await _marked(request, user, notification_id, state)
    return _back(form, state)


@router.post(NOTIFICATIONS + "read-all/")
async def mark_all(request: Request, user: PageUser) -> Response:
    form, _ = await read_form(request)
    reply = await api(request, user, SERVICE, "POST", "/notifications/read-all")
    if not reply.ok:
        raise UpstreamError(reply.status, reply.message, field=reply.field)
    return _back(form, "all_read")


def _preferences_page(
    request: Request,
    preferences: dict[str, Any],
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    general_error: str | None = None,
    status_code: int = 200,
) -> Response:
    shown = form or {
        **{name: _clock(preferences[name]) for name in PREFERENCE_INPUTS[:3]},
        "event_lead_minutes": str(preferences["event_lead_minutes"]),
        **{f"channel_{c['kind']}": c["channel"] for c in preferences["kinds"]},
    }
    return render(
        request,
        "notification_preferences.html",
        {
            "preferences": preferences,
            "form": shown,
            "errors": errors or {},
            "general_error": general_error,
            "channels": CHANNELS,
            "notice": DONE.get(request.query_params.get("done", "")),
        },
        status_code=status_code,
    )


def _clock(value: str | None) -> str:
    """``07:30:00`` as the time input shows it (``07:30``)."""
    return value[:5] if value else ""


@router.get(PREFERENCES)
async def preferences_page(request: Request, user: PageUser) -> Response:
    preferences = await fetch(request, user, SERVICE, "/notification-preferences")
    return _preferences_page(request, preferences)


@router.post(PREFERENCES)
async def save_preferences(request: Request, user: PageUser) -> Response:
    form, _ = await read_form(request)
    kinds = [name.removeprefix("channel_") for name in form if name.startswith("channel_")]
    payload: dict[str, Any] = {
        "digest_time": form.get("digest_time") or None,
        # Emptied quiet hours mean none.
        "quiet_start": form.get("quiet_start") or None,
        "quiet_end": form.get("quiet_end") or None,
        "event_lead_minutes": form.get("event_lead_minutes") or None,
        "channels": {kind: form[f"channel_{kind}"] for kind in kinds},
    }
    reply = await api(
        request,
        user,
        SERVICE,
        "PATCH",
        "/notification-preferences",
        json=payload,
        headers=if_match(form.get("version", "")),
    )
    if reply.ok:
        return redirect(PREFERENCES + "?done=saved")
    errors, general = refusal_errors(
        reply,
        {
            **{name: name for name in PREFERENCE_INPUTS},
            **{f"channels.{kind}": f"channel_{kind}" for kind in kinds},
        },
        stale="Someone changed your preferences meanwhile (another tab?): reload the page "
        "to see them, then save again",
    )
    preferences = await fetch(request, user, SERVICE, "/notification-preferences")
    return _preferences_page(
        request,
        preferences,
        form=form,
        errors=errors,
        general_error=general,
        status_code=reply.status,
    )


@router.get(MAILBOX)
async def mailbox_page(request: Request, user: PageUser) -> Response:
    """Development only: the email `make run` caught instead of sending, newest first."""
    settings: GatewaySettings = request.app.state.settings
    if settings.mode is RunMode.PRODUCTION or settings.dev_mailbox_dir is None:
        raise NotFoundError("page", MAILBOX)
    messages = [
        {
            "from": message["From"],
            "to": message["To"],
            "subject": message["Subject"],
            "date": parsedate_to_datetime(message["Date"]) if message["Date"] else None,
            "text": (message.get_body(("plain",)) or message).get_content(),
        }
        for message in reversed(read_maildir(settings.dev_mailbox_dir))
    ]
    return render(request, "dev_mailbox.html", {"messages": messages})


# The one-click unsubscribe of an email (RFC 8058): the token in the address is the
# credential, so neither the page nor its POST needs a session. A mail program POSTs
# "List-Unsubscribe=One-Click" without cookies (CSRF checks only requests with a session
# cookie: `security.csrf`); the page's own button, from a signed-in browser, sends the
# form's CSRF token like every form. The change is made as the person the token names,
# through their own preferences (the notifications service's rules apply).
UNSUBSCRIBE = UNSUBSCRIBE_PREFIX + "{token}"


async def _unsubscriber(request: Request, token: str) -> tuple[Identity, Unsubscription] | None:
    """The active person whose email `token` stops, and which; None for a link that was
    changed, signed with another secret, or whose person's account is closed."""
    settings: GatewaySettings = request.app.state.settings
    wanted = read_token(settings.unsubscribe_secret, token)
    if wanted is None:
        return None

    def person(session: Session) -> Identity | None:
        user = session.get(User, wanted.user_id)
        return Identity.of(user) if user is not None and user.is_active else None

    identity = await in_session(request, person)
    return None if identity is None else (identity, wanted)


def _stopped(preferences: dict[str, Any], wanted: Unsubscription) -> list[dict[str, Any]]:
    """The kinds the link is about: its kind, or (the digest's link) those sent in the digest."""
    if wanted.kind is None:
        return [c for c in preferences["kinds"] if c["channel"] == NotificationChannel.DIGEST]
    return [c for c in preferences["kinds"] if c["kind"] == wanted.kind]


def _unsubscribe_page(
    identity: Identity, wanted: Unsubscription, preferences: dict[str, Any]
) -> dict[str, Any]:
    label = None if wanted.kind is None else _stopped(preferences, wanted)[0]["label"]
    return {
        "what": emails_about(label),
        "person": identity.display_name,
        "preferences": PREFERENCES,
    }


def _bad_link(request: Request) -> Response:
    return render(
        request,
        "unsubscribe.html",
        {"broken": True, "preferences": PREFERENCES},
        status_code=404,
    )


@router.get(UNSUBSCRIBE)
async def unsubscribe_page(request: Request, token: str) -> Response:
    """What the email's "Stop emails ..." link opens: the question, and a button."""
    found = await _unsubscriber(request, token)
    if found is None:
        return _bad_link(request)
    identity, wanted = found
    preferences = await fetch(request, identity, SERVICE, "/notification-preferences")
    return render(
        request,
        "unsubscribe.html",
        {**_unsubscribe_page(identity, wanted, preferences), "action": request.url.path},
    )


@router.post(UNSUBSCRIBE)
async def unsubscribe(request: Request, token: str) -> Response:
    """The one-click POST of a mail program, or the page's button: email of the kind off
    (the notifications still reach the inbox); doing it again changes nothing."""
    found = await _unsubscriber(request, token)
    if found is None:
        return _bad_link(request)
    identity, wanted = found
    preferences = await fetch(request, identity, SERVICE, "/notification-preferences")
    changes = {
        choice["kind"]: without
        for choice in _stopped(preferences, wanted)
        if (without := WITHOUT_EMAIL[NotificationChannel(choice["channel"])]) != choice["channel"]
    }
    if changes:
        reply = await api(
            request,
            identity,
            SERVICE,
            "PATCH",
            "/notification-preferences",
            json={"channels": changes},
        )
        if not reply.ok:
            raise UpstreamError(reply.status, reply.message, field=reply.field)
    return render(
        request,
        "unsubscribe.html",
        {**_unsubscribe_page(identity, wanted, preferences), "done": True},
    )
