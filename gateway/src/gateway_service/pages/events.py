"""Event pages: the new-event and edit forms, the event page, cancel and delete with a
confirmation step, and the people picker's search (`people.json`).

The forms are full pages, or only the form's HTML when the request says ``X-Fragment: form``
(the calendar's dialog fetches and submits it; a success is then JSON, not a redirect).
Times are typed in the viewer's zone (their profile's, the office's by default); an all-day
event's dates are those of the event's own zone, its last day inclusive as people say it.

An occurrence dropped on the calendar is saved by the edit form's POST with ``dropped=1``,
its new times as the edit form's query has them (``?occurrence=&start=&end=``) and the scope
the calendar's small question chose: the form is then the event's own at those times.

A series is changed at one of three scopes (the calendar service's routes):
this occurrence (``PUT /events/{id}/occurrences/{day}``), this and following
(``POST /events/{id}/split``) or all occurrences (``PATCH /events/{id}``), each with
``If-Match`` of the version the form was read at, so nobody's change is overwritten unseen.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import Response

from gateway_service import formatting
from gateway_service.auth.identity import Identity, PageUser
from gateway_service.db import in_session
from gateway_service.pages.collaboration import panel
from gateway_service.pages.common import (
    CHOICES_LIMIT,
    EVENT_TYPES,
    PEOPLE_JSON,
    UUID_PATTERN,
    FormError,
    Reply,
    api,
    fetch,
    fetch_items,
    in_words,
    is_manager,
    merged_form,
    parse_id,
    read_form,
    read_state,
    redirect,
    refusal_errors,
    user_names,
    who_changed,
)
from gateway_service.static_files import STATIC_DIR, static_url
from gateway_service.time_zones import zone_choices
from gateway_service.users.models import User
from gateway_service.users.service import Names
from gateway_service.web import render
from obcms_platform.errors import ForbiddenError, NotFoundError
from obcms_platform.feed import OFFICE_TIMEZONE
from obcms_platform.repeats import POSITIONS, UNITS, WEEKDAYS, Repeat
from obcms_platform.vocabulary import BookingStatus, TaskStatus

EVENTS = "/oobc-management/calendar/events/"
EVENT_NEW = EVENTS + "new/"
EVENT_PAGE = EVENTS + "{event_id}/"
CALENDAR_PAGE = "/oobc-management/staff/calendar/"
RESOURCES = "/oobc-management/resources/"
PEOPLE_LIMIT = 20
FRAGMENT_HEADER = "x-fragment"
TOM_SELECT = ("vendor/tom-select/tom-select.complete.min.js", "vendor/tom-select/tom-select.css")

# Recurrence choices (the calendar service validates), each with its unit ("every 2 weeks").
FREQUENCIES = UNITS
SCOPES = {
    "this": "This occurrence",
    "following": "This and following",
    "all": "All occurrences",
}
ENDINGS = {"never": "Never", "on": "On", "after": "After"}
# What one occurrence of a series may have of its own (an override).
OCCURRENCE_FIELDS = frozenset({"title", "venue", "start", "end"})
# The calendar service's input limits, checked here too so that every error shows at once
# (the service's own bounds, such as a series' longest `until`, come back from it).
MAX_TITLE = 300
MAX_VENUE = 300
MAX_DESCRIPTION = 20_000
MAX_INTERVAL = 1000
MAX_COUNT = 5000

# Who `?saved=<word>` (the layout's vocabulary) speaks of, by the scope of the change.
SAVED_SUBJECTS = {"this": "Occurrence", "following": "This and following occurrences"}
STALE = "Someone changed this event meanwhile — reload to see their change"
STALE_KEPT = (
    "Their change is in the form now; what you changed is kept below, not saved yet: save "
    "again to keep yours as well"
)

# The service's input names -> the form's (a refusal is shown beside the input at fault).
FORM_FIELDS = {
    "title": "title",
    "description": "description",
    "event_type": "event_type",
    "venue": "venue",
    "start": "start",
    "end": "end",
    "all_day": "all_day",
    "timezone": "timezone",
    "participant_ids": "participant_ids",
    "organizer_id": "participant_ids",
    "recurrence": "repeats",
    "recurrence.freq": "repeats",
    "recurrence.interval": "interval",
    "recurrence.by_weekday": "weekdays",
    "recurrence.by_monthday": "monthly_by",
    "recurrence.by_setpos": "monthly_by",
    "recurrence.count": "count",
    "recurrence.until": "until",
    "recurrence.exdates": "repeats",
    "from_date": "scope",
    "day": "scope",
    "resource_id": "resource_id",
}

router = APIRouter(include_in_schema=False)


# Conflict lines an event's page and its save message show at most.
CONFLICT_NOTES = 10


def event_url(event_id: str, **query: str) -> str:
    params = "&".join(f"{name}={value}" for name, value in query.items() if value)
    return EVENT_PAGE.format(event_id=event_id) + (f"?{params}" if params else "")


@lru_cache(maxsize=1)
def time_zones() -> frozenset[str]:
    """What the calendar service accepts: every name, its aliases too (an event stored with
    one keeps it); the form offers `zone_choices`."""
    return frozenset(available_timezones())


def viewer_zone(user: Identity) -> ZoneInfo:
    return formatting.zone_named(getattr(user, "time_zone", None))


def may_change(user: Identity, event: dict[str, Any]) -> bool:
    """The calendar's EVENT_WRITE rule (organizer, creator, managers), to offer the buttons;
    the service stays the judge."""
    return is_manager(user) or str(user.id) in (event["organizer_id"], event["created_by"])


def wants_fragment(request: Request) -> bool:
    return request.headers.get(FRAGMENT_HEADER, "").lower() == "form"


def tom_select_assets() -> dict[str, str] | None:
    """Tom Select's script and stylesheet when vendored (without it the people picker is a
    plain multi-select)."""
    script, style = TOM_SELECT
    if not (STATIC_DIR / script).is_file():
        return None
    return {"script": static_url(script), "style": static_url(style)}


# --- people -------------------------------------------------------------------------------


async def active_people(
    request: Request,
    query: str = "",
    limit: int = PEOPLE_LIMIT,
    *,
    everyone: bool = False,
    without: uuid.UUID | None = None,
) -> list[dict[str, str]]:
    """Active users whose full name or username contains `query`: those with a word that
    begins with it first ("No" finds Norhana before Amina Datumanong), then by name. With
    `everyone`, deactivated accounts too, after the active ones and named "(inactive)" (a
    filter finds the work a person left); `without` that person (a hand-over's own)."""
    escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = "%" + escaped + "%"
    name = func.coalesce(func.nullif(User.full_name, ""), User.username)
    word_begins = or_(
        name.ilike(escaped + "%"),
        name.ilike("% " + escaped + "%"),
        User.username.ilike(escaped + "%"),
    )

    def load(session: Session) -> list[dict[str, str]]:
        statement = select(User.id, User.username, User.full_name, User.is_active)
        if without is not None:
            statement = statement.where(User.id != without)
        ordering: list[Any] = [func.lower(name), User.id]
        if everyone:
            ordering.insert(0, User.is_active.desc())
        else:
            statement = statement.where(User.is_active.is_(True))
        if query:
            statement = statement.where(
                or_(User.full_name.ilike(pattern), User.username.ilike(pattern))
            )
            ordering.insert(1 if everyone else 0, word_begins.desc())
        rows = session.execute(statement.order_by(*ordering).limit(limit))
        return [
            {"id": str(row.id), "name": Names(row.username, row.full_name, row.is_active).shown}
            for row in rows
        ]

    return await in_session(request, load)


@router.get(PEOPLE_JSON)
async def people(
    request: Request,
    user: PageUser,
    q: str = "",
    everyone: bool = False,
    without: uuid.UUID | None = None,
) -> JSONResponse:
    """The people picker's search: ``[{"id", "name"}]``, at most 20; `everyone`: deactivated
    accounts too (the task list's filters); `without`: not that person (a hand-over's)."""
    found = await active_people(request, q.strip()[:100], everyone=everyone, without=without)
    return JSONResponse(found)


# --- the form -----------------------------------------------------------------------------


@dataclass
class EventForm:
    """The form's inputs as typed (strings, lists of strings)."""

    title: str = ""
    event_type: str = "meeting"
    venue: str = ""
    description: str = ""
    participant_ids: list[str] = field(default_factory=list)
    all_day: bool = False
    start: str = ""
    end: str = ""
    timezone: str = OFFICE_TIMEZONE
    repeats: str = ""  # "" = does not repeat
    interval: str = "1"
    weekdays: list[str] = field(default_factory=list)
    monthly_by: str = "date"  # or "weekday": "second Tuesday", "last Friday"
    setpos: str = "1"
    setpos_weekday: str = "1"
    ends: str = "never"
    until: str = ""
    count: str = ""
    resource_id: str = ""
    # A new event: the tasks its type comes with made for its organizer (not on edits).
    prepare_tasks: bool = True


LIST_INPUTS = frozenset({"participant_ids", "weekdays"})


def opened_form(state: dict[str, Any] | None) -> EventForm | None:
    """The edit form as it was opened (`common.read_state`); None when not given, or when a
    value is not of its input's kind."""
    if state is None:
        return None
    blank = EventForm()
    values: dict[str, Any] = {}
    for item in fields(EventForm):
        value = state.get(item.name, getattr(blank, item.name))
        kind = type(getattr(blank, item.name))
        if type(value) is not kind or (
            isinstance(value, list) and not all(isinstance(each, str) for each in value)
        ):
            return None
        values[item.name] = value
    return EventForm(**values)


def read_event_form(values: dict[str, str], submitted: FormData) -> EventForm:
    form = EventForm()
    for item in fields(EventForm):
        if item.name in LIST_INPUTS:
            chosen = [str(v).strip() for v in submitted.getlist(item.name) if str(v).strip()]
            setattr(form, item.name, list(dict.fromkeys(chosen)))
        elif item.name in ("all_day", "prepare_tasks"):  # ticked boxes are sent, others not
            setattr(form, item.name, bool(values.get(item.name)))
        elif item.name in values:
            setattr(form, item.name, values[item.name])
    return form


def _local_input(moment: datetime) -> str:
    """A ``datetime-local`` input's value."""
    return moment.strftime("%Y-%m-%dT%H:%M")


def _monthly_defaults(day: date) -> tuple[str, str]:
    """The "nth weekday" a date is: its position (the last for the month's last week)."""
    position = (day.day - 1) // 7 + 1
    if position > 4 or (day + timedelta(days=7)).month != day.month:
        position = -1
    return str(position), str(day.isoweekday())


def with_times(
    form: EventForm, start: datetime, end: datetime, all_day: bool, zone: ZoneInfo
) -> EventForm:
    """`form` showing `start`-`end` (aware; an all-day end exclusive) in `zone`."""
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    if all_day:
        last = local_end.date() - timedelta(days=1)
        end_value = max(last, local_start.date()).isoformat()
        start_value = local_start.date().isoformat()
    else:
        start_value, end_value = _local_input(local_start), _local_input(local_end)
    setpos, setpos_weekday = _monthly_defaults(local_start.date())
    changes: dict[str, Any] = {"start": start_value, "end": end_value, "all_day": all_day}
    if form.monthly_by != "weekday":
        changes.update(setpos=setpos, setpos_weekday=setpos_weekday)
    if not form.weekdays:
        changes["weekdays"] = [str(local_start.isoweekday())]
    return replace(form, **changes)


def _query_moment(value: str | None, zone: ZoneInfo) -> datetime | None:
    """A ``?start=``/``?end=`` of the calendar: ISO with or without offset (then the
    viewer's time) or a date."""
    if not value:
        return None
    text = value.strip()
    if "T" in text and " " in text:  # the "+" of an offset, decoded as a space
        text = text.replace(" ", "+")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.astimezone(zone) if moment.tzinfo else moment.replace(tzinfo=zone)


def new_event_form(request: Request, zone: ZoneInfo) -> EventForm:
    """The new-event form, prefilled from the calendar's selection (``start``, ``end``,
    ``all_day``) or at the next full hour."""
    query = request.query_params
    all_day = query.get("all_day", "") in ("1", "true", "on")
    start = _query_moment(query.get("start"), zone)
    if start is None:
        now = datetime.now(UTC).astimezone(zone)
        start = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    end = _query_moment(query.get("end"), zone)
    if end is None or end <= start:
        end = start + (timedelta(days=1) if all_day else timedelta(hours=1))
    return with_times(EventForm(timezone=zone.key), start, end, all_day, zone)


def _moment(value: str) -> datetime:
    return datetime.fromisoformat(value)


@dataclass(frozen=True)
class Occurrence:
    """One occurrence of a series: its original local date (the key of overrides) and its
    times now."""

    day: date
    start: datetime
    end: datetime
    cancelled: bool = False
    title: str | None = None
    venue: str | None = None


def occurrence_of(event: dict[str, Any], day: date) -> Occurrence:
    """The occurrence of `event` on `day` as the series (or its override) has it."""
    zone = ZoneInfo(event["timezone"])
    first, last = _moment(event["start"]), _moment(event["end"])
    local_time = first.astimezone(zone).timetz().replace(tzinfo=None)
    start = datetime.combine(day, local_time, zone)
    end = start + (last - first)
    for override in event["overrides"]:
        if override["occurrence_date"] == day.isoformat():
            if override["cancelled"]:
                return Occurrence(day, start, end, cancelled=True)
            return Occurrence(
                day,
                _moment(override["start"]),
                _moment(override["end"]),
                title=override["title"],
                venue=override["venue"],
            )
    return Occurrence(day, start, end)


def form_of_event(
    event: dict[str, Any], occurrence: Occurrence | None, zone: ZoneInfo
) -> EventForm:
    """The edit form of `event` (at `occurrence` of a series), as it is now."""
    form = EventForm(
        title=event["title"],
        event_type=event["event_type"],
        venue=event["venue"],
        description=event["description"],
        participant_ids=[str(p) for p in event["participant_ids"]],
        timezone=event["timezone"],
    )
    rule = event["recurrence"]
    if rule:
        by_weekday = [str(d) for d in rule["by_weekday"]]
        by_setpos = rule.get("by_setpos") or []
        monthly_by_weekday = rule["freq"] == "monthly" and bool(by_setpos and by_weekday)
        form = replace(
            form,
            repeats=rule["freq"],
            interval=str(rule["interval"]),
            weekdays=by_weekday if rule["freq"] == "weekly" else [],
            monthly_by="weekday" if monthly_by_weekday else "date",
            setpos=str(by_setpos[0]) if monthly_by_weekday else form.setpos,
            setpos_weekday=by_weekday[0] if monthly_by_weekday else form.setpos_weekday,
            ends="on" if rule["until"] else "after" if rule["count"] else "never",
            until=rule["until"] or "",
            count=str(rule["count"] or ""),
        )
    if occurrence is not None:
        form = replace(
            form,
            title=occurrence.title or form.title,
            venue=occurrence.venue if occurrence.venue is not None else form.venue,
        )
        start, end = occurrence.start, occurrence.end
    else:
        start, end = _moment(event["start"]), _moment(event["end"])
    shown_in = ZoneInfo(event["timezone"]) if event["all_day"] else zone
    return with_times(form, start, end, event["all_day"], shown_in)


@dataclass(frozen=True)
class ParsedEvent:
    """A valid form as the calendar service's event fields."""

    body: dict[str, Any]  # EventCreate's fields, times as aware datetimes
    start: datetime
    end: datetime  # an all-day event's: exclusive

    def json(self, names: set[str] | frozenset[str] | None = None) -> dict[str, Any]:
        return {
            name: value.isoformat() if isinstance(value, datetime) else value
            for name, value in self.body.items()
            if names is None or name in names
        }


def _whole_number(value: str, low: int, high: int) -> int | None:
    text = value.strip()
    if not text.isdigit() or not low <= int(text) <= high:
        return None
    return int(text)


def _times(
    form: EventForm, viewer: ZoneInfo, event_zone: ZoneInfo, errors: dict[str, str]
) -> tuple[datetime, datetime] | None:
    if form.all_day:
        days: list[date | None] = []
        for name in ("start", "end"):
            try:
                days.append(date.fromisoformat(getattr(form, name)[:10]))
            except ValueError:
                days.append(None)
                errors[name] = "Give a date" if not getattr(form, name) else "Not a date"
        first, last = days
        if first is None or last is None:
            return None
        if last < first:
            errors["end"] = "The last day is before the first"
            return None
        return (
            datetime.combine(first, time.min, event_zone),
            datetime.combine(last + timedelta(days=1), time.min, event_zone),
        )
    moments: list[datetime | None] = []
    for name in ("start", "end"):
        try:
            moments.append(datetime.fromisoformat(getattr(form, name)).replace(tzinfo=viewer))
        except ValueError:
            moments.append(None)
            given = getattr(form, name)
            errors[name] = "Give a date and time" if not given else "Not a date and time"
    start, end = moments
    if start is None or end is None:
        return None
    if end <= start:
        errors["end"] = "The end must be after the start"
        return None
    return start, end


def _recurrence(
    form: EventForm, first_day: date | None, errors: dict[str, str]
) -> dict[str, Any] | None:
    if not form.repeats:
        return None
    if form.repeats not in FREQUENCIES:
        errors["repeats"] = "Choose how often it repeats"
        return None
    rule: dict[str, Any] = {"freq": form.repeats}
    interval = _whole_number(form.interval, 1, MAX_INTERVAL)
    if interval is None:
        errors["interval"] = f"A whole number from 1 to {MAX_INTERVAL}"
    rule["interval"] = interval
    if form.repeats == "weekly":
        if any(_whole_number(d, 1, 7) is None for d in form.weekdays):
            errors["weekdays"] = "Choose days of the week from the list"
        elif form.weekdays:
            rule["by_weekday"] = sorted({int(d) for d in form.weekdays})
    if form.repeats == "monthly" and form.monthly_by == "weekday":
        position = form.setpos.strip()
        weekday = _whole_number(form.setpos_weekday, 1, 7)
        if position not in {str(p) for p in POSITIONS} or weekday is None:
            errors["monthly_by"] = "Choose which weekday of the month"
        else:
            rule["by_weekday"], rule["by_setpos"] = [weekday], [int(position)]
    elif form.repeats == "monthly" and form.monthly_by != "date":
        errors["monthly_by"] = "Choose by date or by weekday"
    if form.ends == "on":
        try:
            until = date.fromisoformat(form.until)
        except ValueError:
            errors["until"] = (
                "Give the date of the last occurrence" if not form.until else "Not a date"
            )
        else:
            if first_day is not None and until < first_day:
                errors["until"] = "The series cannot end before it starts"
            rule["until"] = until.isoformat()
    elif form.ends == "after":
        count = _whole_number(form.count, 1, MAX_COUNT)
        if count is None:
            errors["count"] = f"How many times? A whole number from 1 to {MAX_COUNT}"
        rule["count"] = count
    elif form.ends != "never":
        errors["ends"] = "Choose when the series ends"
    return rule


def parse_event_form(
    form: EventForm, viewer: ZoneInfo, known_people: set[str]
) -> tuple[ParsedEvent | None, dict[str, str]]:
    """The form checked whole: every input's error at once, in words."""
    errors: dict[str, str] = {}
    title = form.title.strip()
    if not title:
        errors["title"] = "Give the event a title"
    elif len(title) > MAX_TITLE:
        errors["title"] = f"At most {MAX_TITLE} characters"
    if form.event_type not in EVENT_TYPES:
        errors["event_type"] = "Choose a type from the list"
    if len(form.venue) > MAX_VENUE:
        errors["venue"] = f"At most {MAX_VENUE} characters"
    if len(form.description) > MAX_DESCRIPTION:
        errors["description"] = f"At most {MAX_DESCRIPTION} characters"
    if form.timezone not in time_zones():
        errors["timezone"] = "Choose a time zone from the list"
    unknown = [p for p in form.participant_ids if p not in known_people]
    if unknown:
        errors["participant_ids"] = "Choose people from the list (someone chosen is not a user)"
    event_zone = ZoneInfo(form.timezone) if "timezone" not in errors else viewer
    times = _times(form, viewer, event_zone, errors)
    first_day = times[0].astimezone(event_zone).date() if times else None
    recurrence = _recurrence(form, first_day, errors)
    if errors or times is None:
        return None, errors
    body: dict[str, Any] = {
        "title": title,
        "event_type": form.event_type,
        "venue": form.venue.strip(),
        "description": form.description.strip(),
        "participant_ids": form.participant_ids,
        "all_day": form.all_day,
        "start": times[0],
        "end": times[1],
        "timezone": form.timezone,
        "recurrence": recurrence,
    }
    return ParsedEvent(body, times[0], times[1]), errors


async def _changed_by(request: Request, event: dict[str, Any]) -> str:
    return f"This event was changed by {await who_changed(request, event)} since you opened it"


FORBIDDEN_CHANGE = (
    "You may not change this event: only its organizer, its creator or a manager may change it."
)


def errors_of(reply: Reply, forbidden: str = FORBIDDEN_CHANGE) -> tuple[dict[str, str], str | None]:
    """`refusal_errors` beside the event form's inputs (`forbidden`: what a 403 says)."""
    return refusal_errors(
        reply, FORM_FIELDS, nested_under="changes", stale=STALE, forbidden=forbidden
    )


# --- rendering ------------------------------------------------------------------------------


async def _form_response(
    request: Request,
    user: Identity,
    form: EventForm,
    *,
    action: str,
    errors: dict[str, str] | None = None,
    general: str | None = None,
    status: int = 200,
    event: dict[str, Any] | None = None,
    occurrence: Occurrence | None = None,
    version: str = "",
    scope: str = "",
    opened: EventForm | None = None,
    moved: tuple[datetime, datetime] | None = None,
) -> Response:
    """The event form; an edit carries `opened`, the values it was opened with (`form` when
    not given), and `moved`, the times an occurrence was dropped at on the calendar."""
    people = await active_people(request, limit=CHOICES_LIMIT)
    listed = {person["id"] for person in people}
    missing = [p for p in form.participant_ids if p not in listed]
    if missing:
        names = await user_names(request, missing)
        people += [{"id": p, "name": names.get(p, p)} for p in missing]
    resources = []
    if event is None:
        resources = await fetch_items(request, user, "calendar", "/resources")
    is_series = bool(event and event["recurrence"])
    zone = viewer_zone(user)
    context = {
        "form": form,
        "errors": errors or {},
        "general_error": general,
        "action": action,
        "event": event,
        "occurrence": occurrence,
        "moved": moved,
        "is_series": is_series,
        "version": version,
        "read_state": json.dumps(asdict(opened or form)) if event else "",
        "scope": scope,
        "scopes": SCOPES,
        "people": people,
        "resources": resources,
        "event_types": EVENT_TYPES,
        "frequencies": FREQUENCIES,
        "weekdays": WEEKDAYS,
        "positions": POSITIONS,
        "time_zones": zone_choices(form.timezone, zone.key),
        "viewer_zone": zone.key,
        "month_day": _month_day(form),
        "tom_select": tom_select_assets(),
        "back": event_url(event["id"]) if event else CALENDAR_PAGE,
    }
    if wants_fragment(request):
        return render(request, "_event_form.html", context, status_code=status)
    return render(request, "event_form.html", context, status_code=status)


def _month_day(form: EventForm) -> int | None:
    try:
        return date.fromisoformat(form.start[:10]).day
    except ValueError:
        return None


async def _known_people(request: Request, chosen: list[str]) -> set[str]:
    """Which of the chosen ids are users (a picker only offers users; a forged id is not)."""
    ids = []
    for value in chosen:
        try:
            ids.append(uuid.UUID(value))
        except ValueError:
            continue
    if not ids:
        return set()

    def load(session: Session) -> set[str]:
        return {str(row) for row in session.scalars(select(User.id).where(User.id.in_(ids)))}

    return await in_session(request, load)


def _saved(
    request: Request,
    url: str,
    message: str,
    warnings: list[str],
    status: int,
    notes: list[dict[str, Any]] | None = None,
) -> Response:
    """Success: JSON for the calendar's dialog (`notes`: what the change did besides, each
    with links to act on it), else the event page."""
    if wants_fragment(request):
        body = {
            "url": url.split("?")[0],
            "message": message,
            "warnings": warnings,
            "notes": notes or [],
        }
        return JSONResponse(body, status_code=status)
    return redirect(url)


# --- what a move did besides: the bookings and tasks of the occurrence moved -----------------

SERIES_STAY = "a repeating event's bookings stay where they are when the series moves"
HOLDING = (BookingStatus.PENDING, BookingStatus.APPROVED)


def _note(text: str, links: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    return {"text": text, "links": [{"text": said, "href": href} for said, href in links or []]}


def _stays(user: Identity, booking: dict[str, Any], name: str, why: str) -> dict[str, Any]:
    """A booking left at its time: "Room A stays booked on … : why", to release or open."""
    zone = viewer_zone(user)
    when = formatting.format_span(booking["start"], booking["end"], False, zone)
    page = f"{RESOURCES}bookings/{booking['id']}/"
    links = [("Open the booking", page)]
    if is_manager(user) or str(booking["booked_by"]) == str(user.id):
        links.insert(0, ("Release it", page + "cancel/"))
    return _note(f"{name} stays booked on {when}: {why}", links)


def followed_notes(user: Identity, followed: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What moving one occurrence did to its bookings (the calendar's answer), in words."""
    zone = viewer_zone(user)
    notes = []
    for item in followed:
        name = item["resource_name"]
        if item["moved"]:
            when = formatting.format_span(item["start"], item["end"], False, zone)
            awaiting = " (awaiting approval)" if item["status"] == BookingStatus.PENDING else ""
            notes.append(_note(f"{name} moved with it: booked {when}{awaiting}"))
        elif item["kept_because"]:
            booking = {**item, "id": item["booking_id"]}
            notes.append(_stays(user, booking, name, in_words(item["kept_because"])))
    return notes


async def _bookings_on(
    request: Request, user: Identity, event: dict[str, Any], occurrence: Occurrence
) -> list[dict[str, Any]]:
    """The event's bookings holding a resource on `occurrence`'s days and not over (those a
    whole series' move leaves where they are)."""
    zone = ZoneInfo(event["timezone"])
    first = datetime.combine(occurrence.start.astimezone(zone).date(), time.min, zone)
    last = datetime.combine(
        (occurrence.end - timedelta(microseconds=1)).astimezone(zone).date(), time.min, zone
    )
    params: list[tuple[str, Any]] = [("event_id", event["id"]), ("limit", CHOICES_LIMIT)]
    params += [("status", status.value) for status in HOLDING]
    after = max(first, datetime.now(UTC))
    before = last + timedelta(days=1)
    params += [("ends_after", after.isoformat()), ("starts_before", before.isoformat())]
    reply = await api(request, user, "calendar", "GET", "/bookings", params=params)
    return list(reply.body["items"]) if reply.ok else []


async def _left_notes(
    request: Request, user: Identity, left: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The bookings a series' move left on the occurrence's day, each said with its links."""
    if not left:
        return []
    resources = await fetch_items(request, user, "calendar", "/resources")
    names = {resource["id"]: resource["name"] for resource in resources}
    return [
        _stays(user, booking, names.get(booking["resource_id"], "A resource"), SERIES_STAY)
        for booking in left
    ]


async def _tasks_stay_note(
    request: Request, user: Identity, event_id: str
) -> dict[str, Any] | None:
    """Moving the first occurrence alone leaves the event's open tasks (its preparation
    tasks are due around it) as they are: the tasks service moves them with the series'
    start only. Said, with how many and the first one's due date."""
    params: list[tuple[str, Any]] = [("related_event_id", event_id), ("limit", CHOICES_LIMIT)]
    params += [("status", status.value) for status in TaskStatus if status != TaskStatus.COMPLETED]
    reply = await api(request, user, "tasks", "GET", "/tasks", params=params)
    tasks = reply.body["items"] if reply.ok else []
    if not tasks:
        return None
    due = sorted(task["due_date"] for task in tasks if task.get("due_date"))
    first = formatting.format_day(due[0]) if due else ""
    if len(tasks) == 1:
        said = f"Its open task keeps its due date{f', {first}' if first else ''}"
        them = "it"
    else:
        said = f"Its {len(tasks)} open tasks keep their due dates"
        said += f", the first {first}" if first else ""
        them = "them"
    return _note(
        f"{said}: tasks follow a move of the whole series only; change {them} on the "
        "event's page to follow this one"
    )


# --- conflicts and bookings -----------------------------------------------------------------


async def conflict_notes(
    request: Request, user: Identity, event_id: str
) -> list[dict[str, str]] | None:
    """The event's conflicts in words, each with the page of the other record (None when
    the calendar could not say): one line per person and record in the way (a series met
    on many days is one line, "and 9 more times"), the earliest `CONFLICT_NOTES`."""
    reply = await api(request, user, "calendar", "GET", f"/events/{event_id}/conflicts")
    if not reply.ok:
        return None
    items: list[dict[str, Any]] = reply.body["items"]
    names = await user_names(request, [item.get("user_id") for item in items])
    zone = viewer_zone(user)
    meetings: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for item in items:  # earliest first: a group's first is its earliest
        key = (item["kind"], str(item.get("user_id")), str(item["record_id"]))
        meetings.setdefault(key, []).append(item)
    notes = []
    for (kind, person_id, _), group in meetings.items():
        item, more = group[0], len(group) - 1
        when = formatting.format_span(item["start"], item["end"], item["all_day"], zone)
        me = person_id == str(user.id)  # the organizer reads of themselves as "you"
        person = "You" if me else names.get(person_id, "Someone")
        if kind == "leave":
            text = (
                f"{person} {'have' if me else 'has'} asked for leave {when} (not yet decided)"
                if item.get("tentative")
                else f"{person} {'are' if me else 'is'} on leave {when}"
            )
        elif kind == "booking":
            # The calendar titles it "<resource> booking".
            text = f"{item['title'].removesuffix(' booking')} is booked {when}"
            text += " (awaiting approval)" if item.get("tentative") else ""
        else:
            text = f"{person} {'are' if me else 'is'} in ‘{item['title']}’ {when}"  # noqa: RUF001
        if more:
            text += f" and {more} more time{'s' if more > 1 else ''}"
        notes.append({"text": text, "url": str(item.get("url") or "")})
    if len(notes) > CONFLICT_NOTES:
        hidden = len(notes) - CONFLICT_NOTES + 1
        notes[CONFLICT_NOTES - 1 :] = [{"text": f"… and {hidden} more conflicts", "url": ""}]
    return notes


async def book_for_event(
    request: Request, user: Identity, event: dict[str, Any], resource_id: str
) -> FormError | None:
    """Book `resource_id` for the event's (first occurrence's) time; the refusal, if any."""
    body = {
        "resource_id": resource_id,
        "start": event["start"],
        "end": event["end"],
        "event_id": event["id"],
        "notes": f"For the event “{event['title']}”",
    }
    reply = await api(request, user, "calendar", "POST", "/bookings", json=body)
    return None if reply.ok else reply.as_error()


def booking_warning(resource_name: str, status: int) -> str:
    """Why the resource chosen on the form was not booked (the service's status)."""
    if status == 409:
        return f"{resource_name} was not booked: it is already booked at that time"
    return f"{resource_name} was not booked: the calendar refused it; book it from its page"


# --- new --------------------------------------------------------------------------------------


@router.get(EVENT_NEW)
async def event_new(request: Request, user: PageUser) -> Response:
    return await _form_response(
        request, user, new_event_form(request, viewer_zone(user)), action=EVENT_NEW
    )


@router.post(EVENT_NEW)
async def event_create(request: Request, user: PageUser) -> Response:
    form = read_event_form(*await read_form(request))
    known = await _known_people(request, form.participant_ids)
    parsed, errors = parse_event_form(form, viewer_zone(user), known)
    resources = await fetch_items(request, user, "calendar", "/resources")
    resource_names = {r["id"]: r["name"] for r in resources}
    if form.resource_id and form.resource_id not in resource_names:
        errors["resource_id"] = "Choose a resource from the list"
    if parsed is None or errors:
        return await _form_response(
            request, user, form, action=EVENT_NEW, errors=errors, status=422
        )
    body = {**parsed.json(), "prepare_tasks": form.prepare_tasks}
    reply = await api(request, user, "calendar", "POST", "/events", json=body)
    if not reply.ok:
        field_errors, general = errors_of(reply, "You may not create events")
        return await _form_response(
            request,
            user,
            form,
            action=EVENT_NEW,
            errors=field_errors,
            general=general,
            status=reply.status,
        )
    event = reply.body
    query = {"saved": "created"}
    warnings = []
    if form.resource_id:
        refusal = await book_for_event(request, user, event, form.resource_id)
        if refusal is not None:
            warnings.append(booking_warning(resource_names[form.resource_id], refusal.status))
            query.update(unbooked=form.resource_id, refusal=str(refusal.status))
            query["clash"] = next(iter(refusal.related_ids), "")
    warnings += [note["text"] for note in await conflict_notes(request, user, event["id"]) or []]
    message = f"Event “{event['title']}” created"
    return _saved(request, event_url(event["id"], **query), message, warnings, 201)


# --- the event page -------------------------------------------------------------------------


def describe_recurrence(rule: dict[str, Any], first: datetime, zone: ZoneInfo) -> str:
    """ "Every week on Monday and Wednesday, until Fri 30 Jan 2027"."""
    return Repeat.of_rule(rule).described(first.astimezone(zone).date())


async def _occurrence_param(
    request: Request, user: Identity, event: dict[str, Any]
) -> Occurrence | None:
    """The ``?occurrence=YYYY-MM-DD`` of a series (404 for a day it has no occurrence on)."""
    raw = request.query_params.get("occurrence") or ""
    if not raw or not event["recurrence"]:
        return None
    missing = NotFoundError(f"occurrence of event {event['id']} on", raw)
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise missing from None
    overridden = any(o["occurrence_date"] == raw for o in event["overrides"])
    if not overridden:
        around = {
            "start": (day - timedelta(days=1)).isoformat(),
            "end": (day + timedelta(days=2)).isoformat(),
        }
        found = await fetch(
            request, user, "calendar", f"/events/{event['id']}/occurrences", params=around
        )
        if not any(o["occurrence_date"] == raw for o in found):
            raise missing
    return occurrence_of(event, day)


@router.get(EVENT_PAGE)
async def event_detail(request: Request, user: PageUser, event_id: str) -> Response:
    event_id = parse_id(event_id, "event")
    event = await fetch(request, user, "calendar", f"/events/{event_id}")
    gone: date | None = None
    try:
        occurrence = await _occurrence_param(request, user, event)
    except NotFoundError:
        # A link to an occurrence the series no longer has (moved to another weekday, the
        # series split or shortened): the series, saying so, not "not here any more".
        occurrence = None
        with contextlib.suppress(ValueError):
            gone = date.fromisoformat(request.query_params.get("occurrence") or "")
    tasks = await fetch_items(request, user, "tasks", "/tasks", {"related_event_id": event_id})
    bookings = await fetch_items(request, user, "calendar", "/bookings", {"event_id": event_id})
    resources = await fetch_items(request, user, "calendar", "/resources")
    resource_names = {r["id"]: r["name"] for r in resources}
    names = await user_names(
        request,
        [
            event["organizer_id"],
            event["created_by"],
            *event["participant_ids"],
            *(b["booked_by"] for b in bookings),
        ],
    )
    zone = viewer_zone(user)
    query = request.query_params
    warnings = []
    resource_id = query.get("unbooked", "")
    if resource_id in resource_names:
        # The form's booking was refused: say why, with the booking in the way or the
        # resource's own page to book it from.
        status = 409 if query.get("refusal") == "409" else 422
        clash = UUID_PATTERN.fullmatch(query.get("clash", ""))
        url = f"{RESOURCES}{resource_id}/"
        if clash:
            url = f"{RESOURCES}bookings/{clash.group(0)}/"
        text = booking_warning(resource_names[resource_id], status)
        warnings.append({"text": text, "url": url})
    first = _moment(event["start"])
    repeats = (
        describe_recurrence(event["recurrence"], first, ZoneInfo(event["timezone"]))
        if event["recurrence"]
        else None
    )
    collab, split = await asyncio.gather(
        panel(request, user, "event", event_id), _split_halves(request, user, event)
    )
    return render(
        request,
        "event_detail.html",
        {
            "event": event,
            "split": split,
            "moved_dates": _moved_dates(event),
            "activity": collab.entries,
            "activity_total": collab.history_total,
            "collab": collab,
            "occurrence": occurrence,
            "gone": gone,
            "repeats": repeats,
            "tasks": tasks,
            "names": names,
            "bookings": bookings,
            "resource_names": resource_names,
            "conflicts": await conflict_notes(request, user, event_id),
            "may_change": may_change(user, event),
            "saved_subject": SAVED_SUBJECTS.get(query.get("scope", ""), "Event"),
            "warnings": warnings,
            "calendar_page": CALENDAR_PAGE,
            "occurrence_query": f"?occurrence={occurrence.day.isoformat()}" if occurrence else "",
            "other_zone": event["timezone"] != zone.key,
            "viewer_zone": zone.key,
        },
    )


async def _split_halves(
    request: Request, user: Identity, event: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """The other halves of a series split by "this and following": the series it continues
    (``earlier``) and the nearest one continuing it (``later``), where there are."""
    if not event["recurrence"]:
        return {}

    async def earlier() -> dict[str, Any] | None:
        if not event.get("split_from_id"):
            return None
        reply = await api(request, user, "calendar", "GET", f"/events/{event['split_from_id']}")
        return reply.body if reply.ok else None

    async def later() -> dict[str, Any] | None:
        params = {"split_from": event["id"], "limit": 1}
        reply = await api(request, user, "calendar", "GET", "/events", params=params)
        return reply.body["items"][0] if reply.ok and reply.body["items"] else None

    found = dict(zip(("earlier", "later"), await asyncio.gather(earlier(), later()), strict=True))
    return {side: half for side, half in found.items() if half is not None}


# --- edit -------------------------------------------------------------------------------------


async def _event_and_occurrence(
    request: Request, user: Identity, event_id: str
) -> tuple[dict[str, Any], Occurrence | None]:
    event = await fetch(request, user, "calendar", f"/events/{event_id}")
    return event, await _occurrence_param(request, user, event)


def _edit_action(event_id: str, occurrence: Occurrence | None) -> str:
    suffix = f"?occurrence={occurrence.day.isoformat()}" if occurrence else ""
    return EVENT_PAGE.format(event_id=event_id) + "edit/" + suffix


def _first_day(event: dict[str, Any]) -> date:
    return _moment(event["start"]).astimezone(ZoneInfo(event["timezone"])).date()


@router.get(EVENT_PAGE + "edit/")
async def event_edit(request: Request, user: PageUser, event_id: str) -> Response:
    event_id = parse_id(event_id, "event")
    event, occurrence = await _event_and_occurrence(request, user, event_id)
    if not may_change(user, event):  # refused before anyone types their changes
        raise ForbiddenError(FORBIDDEN_CHANGE)
    zone = viewer_zone(user)
    opened = form_of_event(event, occurrence, zone)
    moved = _dropped_at(request, occurrence, zone)
    form = opened
    if moved is not None and occurrence is not None:
        form = with_times(opened, *moved, bool(event["all_day"]), zone)
    return await _form_response(
        request,
        user,
        form,
        action=_edit_action(event_id, occurrence),
        event=event,
        occurrence=occurrence,
        version=str(event["version"]),
        # A drop on the calendar changed only the times: this occurrence, unless told more.
        scope="this" if moved is not None else "",
        opened=opened,
        moved=moved,
    )


def _dropped_at(
    request: Request, occurrence: Occurrence | None, zone: ZoneInfo
) -> tuple[datetime, datetime] | None:
    """The new times of an occurrence dropped on the calendar (``?start=&end=``): the
    calendar's question saves them at the scope chosen, or this form asks."""
    start = _query_moment(request.query_params.get("start"), zone)
    end = _query_moment(request.query_params.get("end"), zone)
    if occurrence is None or start is None or end is None or end <= start:
        return None
    return start, end


def _shifted_series(
    event: dict[str, Any], before: ParsedEvent, after: ParsedEvent, zone: ZoneInfo
) -> tuple[datetime, datetime]:
    """The series' new first start and end when one occurrence (`before`) was changed to
    `after` for all occurrences: the same change of day and time of day, the new length."""
    first = _moment(event["start"]).astimezone(zone)
    days = after.start.astimezone(zone).date() - before.start.astimezone(zone).date()
    clock = after.start.astimezone(zone).timetz().replace(tzinfo=None)
    start = datetime.combine(first.date() + days, clock, zone)
    return start, start + (after.end - after.start)


def _changes(before: ParsedEvent, after: ParsedEvent) -> set[str]:
    """The fields the form changed; a list (participants) changed only if its members did,
    not their order (the picker lists people by name, the event as they were added)."""

    def same(old: Any, new: Any) -> bool:
        if isinstance(old, list) and isinstance(new, list):
            return sorted(map(str, old)) == sorted(map(str, new))
        return bool(old == new)

    return {name for name, value in after.body.items() if not same(before.body.get(name), value)}


def _rule_on_other_days(rule: dict[str, Any], days: int) -> dict[str, Any] | None:
    """`rule` for a series moved `days` days later (earlier: negative), when what it names
    moves with it: a weekly rule's weekdays shift too (moved from Wednesday to Thursday, it
    repeats on Thursdays). None when the rule names days that cannot follow (a monthly rule
    on "the second Tuesday"): the person then says the new days themselves."""
    if days % 7 == 0 or not rule["by_weekday"]:
        return rule
    if rule["freq"] != "weekly" or rule["by_setpos"]:
        return None
    shifted = sorted({(weekday - 1 + days) % 7 + 1 for weekday in rule["by_weekday"]})
    return {**rule, "by_weekday": shifted}


@router.post(EVENT_PAGE + "edit/")
async def event_update(request: Request, user: PageUser, event_id: str) -> Response:
    event_id = parse_id(event_id, "event")
    event, occurrence = await _event_and_occurrence(request, user, event_id)
    values, submitted = await read_form(request)
    version, scope = values.get("version", ""), values.get("scope", "")
    zone = viewer_zone(user)
    action = _edit_action(event_id, occurrence)
    dropped = bool(values.get("dropped"))
    moved = _dropped_at(request, occurrence, zone) if dropped else None
    if dropped:
        # Dropped on the calendar: the occurrence at its new times, nothing else changed.
        opened = form_of_event(event, occurrence, zone)
        form = opened if moved is None else with_times(opened, *moved, bool(event["all_day"]), zone)
    else:
        form = read_event_form(values, submitted)
        # What the person changed is what differs from the form they opened (a colleague's
        # change since is theirs, not to be undone by this save).
        opened = opened_form(read_state(values)) or form_of_event(event, occurrence, zone)

    async def again(
        errors: dict[str, str], general: str | None = None, status: int = 422
    ) -> Response:
        return await _form_response(
            request,
            user,
            form,
            action=action,
            errors=errors,
            general=general,
            status=status,
            event=event,
            occurrence=occurrence,
            version=version,
            scope=scope,
            opened=opened,
            moved=moved,
        )

    if dropped and moved is None:
        return await again({"start": "Drop it on the calendar again: its new times were lost"})
    known = await _known_people(request, form.participant_ids)
    known |= {str(p) for p in event["participant_ids"]}
    parsed, errors = parse_event_form(form, zone, known)
    is_series = bool(event["recurrence"])
    if is_series and scope not in SCOPES:
        errors["scope"] = "Choose which occurrences to change"
    if scope in ("this", "following") and occurrence is None:
        errors["scope"] = "Open the occurrence to change from the calendar to change only it"
    if not version.isdigit():
        return await again(errors, STALE, 412)
    if parsed is None or errors:
        return await again(errors)
    before, _ = parse_event_form(opened, zone, known | set(opened.participant_ids))
    if before is None:  # an opened form that no longer reads: the event as it is now
        before, _ = parse_event_form(form_of_event(event, occurrence, zone), zone, known)
    assert before is not None  # the event as it is: valid
    changed = _changes(before, parsed)
    if is_series and scope == "following" and occurrence and occurrence.day == _first_day(event):
        scope = "all"  # from the first occurrence on: the whole series
    if_match = {"If-Match": f'"{version}"'}
    if not changed:
        return _saved(request, event_url(event_id, saved="saved"), "No changes", [], 200)
    target_id = event_id
    notes: list[dict[str, Any]] = []
    left: list[dict[str, Any]] = []  # the occurrence's bookings a series' move leaves
    if is_series and scope != "this" and occurrence and {"start", "end", "all_day"} & changed:
        left = await _bookings_on(request, user, event, occurrence)
    if is_series and scope == "this" and occurrence is not None:
        own = changed - OCCURRENCE_FIELDS
        if own:
            words = "Choose “All occurrences” or “This and following” to change this"
            return await again({FORM_FIELDS[name]: words for name in own})
        body = {
            "start": parsed.start.isoformat(),
            "end": parsed.end.isoformat(),
            "title": parsed.body["title"] if parsed.body["title"] != event["title"] else None,
            "venue": parsed.body["venue"] if parsed.body["venue"] != event["venue"] else None,
        }
        path = f"/events/{event_id}/occurrences/{occurrence.day.strftime('%Y%m%d')}"
        reply = await api(request, user, "calendar", "PUT", path, json=body, headers=if_match)
        query = {"saved": "saved", "scope": "this", "occurrence": occurrence.day.isoformat()}
        if reply.ok:
            notes = followed_notes(user, reply.body["bookings"])
            if {"start", "end"} & changed and occurrence.day == _first_day(event):
                tasks = await _tasks_stay_note(request, user, event_id)
                notes += [tasks] if tasks else []
    elif is_series and scope == "following" and occurrence is not None:
        changes = parsed.json(changed)
        if changes.get("recurrence"):
            changes["recurrence"]["exdates"] = [
                d for d in event["recurrence"]["exdates"] if d >= occurrence.day.isoformat()
            ]
        body = {"from_date": occurrence.day.isoformat(), "changes": changes}
        path = f"/events/{event_id}/split"
        reply = await api(request, user, "calendar", "POST", path, json=body, headers=if_match)
        if reply.ok:
            target_id = str(reply.body["after"]["id"])
        query = {"saved": "saved", "scope": "following"}
    else:
        changes = parsed.json(changed)
        if {"start", "end", "all_day"} & changed and occurrence is not None:
            # All-day dates are the event's own zone's (as the form shows them).
            shift_zone = ZoneInfo(event["timezone"]) if parsed.body["all_day"] else zone
            start, end = _shifted_series(event, before, parsed, shift_zone)
            changes.update(start=start.isoformat(), end=end.isoformat())
            moved_days = (start.date() - _moment(event["start"]).astimezone(shift_zone).date()).days
            if event["recurrence"] and "recurrence" not in changed:
                rule = _rule_on_other_days(event["recurrence"], moved_days)
                if rule is None:
                    words = (
                        "This series repeats on named days: choose its new days under Repeats too"
                    )
                    return await again({"start": words})
                if rule != event["recurrence"]:
                    # The occurrences deleted before move with the rest.
                    exdates = [
                        (date.fromisoformat(day) + timedelta(days=moved_days)).isoformat()
                        for day in rule["exdates"]
                    ]
                    changes["recurrence"] = {**rule, "exdates": exdates}
        if "recurrence" in changed and changes.get("recurrence") and event["recurrence"]:
            changes["recurrence"]["exdates"] = event["recurrence"]["exdates"]
        path = f"/events/{event_id}"
        reply = await api(request, user, "calendar", "PATCH", path, json=changes, headers=if_match)
        query = {"saved": "saved"}
    if reply.status == 412:
        # What was typed stays where it was changed, their change elsewhere, at the version
        # now stored: saving again keeps both.
        event, occurrence = await _event_and_occurrence(request, user, event_id)
        stored = form_of_event(event, occurrence, zone)
        merged = merged_form(asdict(form), asdict(opened), asdict(stored))
        return await _form_response(
            request,
            user,
            EventForm(**merged),
            opened=stored,
            action=action,
            errors={},
            general=f"{await _changed_by(request, event)}. {STALE_KEPT}",
            status=412,
            event=event,
            occurrence=occurrence,
            version=str(event["version"]),
            scope=scope,
        )
    if not reply.ok:
        field_errors, general = errors_of(reply)
        return await again(field_errors, general, reply.status)
    warnings = [note["text"] for note in await conflict_notes(request, user, target_id) or []]
    message = f"Event “{parsed.body['title']}” saved"
    notes += await _left_notes(request, user, left)
    return _saved(request, event_url(target_id, **query), message, warnings, 200, notes)


def _moved_dates(event: dict[str, Any]) -> set[str]:
    """The dates of the series' changed occurrences that are not at the series' own time (a
    renamed one is renamed, not "moved to" the time it always had)."""
    zone = ZoneInfo(event["timezone"])
    first = _moment(event["start"]).astimezone(zone)
    moved = set()
    for override in event.get("overrides") or []:
        if override["cancelled"] or not override.get("start"):
            continue
        day = date.fromisoformat(override["occurrence_date"])
        own_time = datetime.combine(day, first.time().replace(tzinfo=None), zone)
        if _moment(override["start"]) != own_time:
            moved.add(override["occurrence_date"])
    return moved


# --- cancel and delete --------------------------------------------------------------------

ACTIONS = {
    # The button says what happens: "Cancel" beside "Keep it" reads as "never mind".
    "cancel": ("Cancel the event", "Cancel the event"),
    "delete": ("Delete the event", "Delete the event"),
}
# What the button of a series' cancel or delete says for each choice of occurrences.
SCOPE_BUTTONS = {
    "this": "{verb} this occurrence",
    "following": "{verb} this and the following occurrences",
    "all": "{verb} every occurrence",
}
DONE = {"cancel": "cancelled", "delete": "deleted"}


async def _confirm_page(
    request: Request,
    event: dict[str, Any],
    occurrence: Occurrence | None,
    action: str,
    *,
    error: str | None = None,
    scope_error: str | None = None,
    scope: str = "",
    status: int = 200,
) -> Response:
    verb, title = ACTIONS[action]
    query = f"?occurrence={occurrence.day.isoformat()}" if occurrence else ""
    scopes = dict(SCOPES) if occurrence else {"all": SCOPES["all"]}
    return render(
        request,
        "event_confirm.html",
        {
            "event": event,
            "occurrence": occurrence,
            "action": action,
            "verb": verb,
            "title": title,
            "scope_buttons": {
                value: said.format(verb=action.capitalize())
                for value, said in SCOPE_BUTTONS.items()
            },
            "is_series": bool(event["recurrence"]),
            "scopes": scopes,
            "scope": scope or ("all" if not occurrence else ""),
            "error": error,
            "scope_error": scope_error,
            "post_to": EVENT_PAGE.format(event_id=event["id"]) + f"{action}/{query}",
            "back": event_url(event["id"], occurrence=occurrence.day.isoformat())
            if occurrence
            else event_url(event["id"]),
        },
        status_code=status,
    )


def _action(action: str) -> str:
    if action not in ACTIONS:
        raise NotFoundError("page", action)
    return action


@router.get(EVENT_PAGE + "{action}/")
async def event_confirm(request: Request, user: PageUser, event_id: str, action: str) -> Response:
    event_id = parse_id(event_id, "event")
    action = _action(action)
    event, occurrence = await _event_and_occurrence(request, user, event_id)
    return await _confirm_page(request, event, occurrence, action)


@router.post(EVENT_PAGE + "{action}/")
async def event_cancel_or_delete(
    request: Request, user: PageUser, event_id: str, action: str
) -> Response:
    event_id = parse_id(event_id, "event")
    action = _action(action)
    event, occurrence = await _event_and_occurrence(request, user, event_id)
    values, _ = await read_form(request)
    version = values.get("version", "")
    scope = values.get("scope", "") if event["recurrence"] else "all"
    if scope not in SCOPES or (scope != "all" and occurrence is None):
        return await _confirm_page(
            request,
            event,
            occurrence,
            action,
            scope_error="Choose which occurrences",
            status=422,
        )
    if version != str(event["version"]):
        stale = f"{await _changed_by(request, event)}: review it before you {action} it"
        return await _confirm_page(
            request, event, occurrence, action, error=stale, scope=scope, status=412
        )
    if scope == "following" and occurrence is not None and occurrence.day == _first_day(event):
        scope = "all"
    reply, done = await _cancel_or_delete(request, user, event, occurrence, action, scope)
    if reply.ok:
        return redirect(done)
    _, general = errors_of(reply)
    return await _confirm_page(
        request,
        event,
        occurrence,
        action,
        error=general or reply.message,
        scope=scope,
        status=reply.status,
    )


async def _cancel_or_delete(
    request: Request,
    user: Identity,
    event: dict[str, Any],
    occurrence: Occurrence | None,
    action: str,
    scope: str,
) -> tuple[Reply, str]:
    """Cancel or delete at `scope`: the service's answer and the page to go to after."""
    event_id = str(event["id"])
    if_match = {"If-Match": f'"{event["version"]}"'}
    path = f"/events/{event_id}"
    if scope == "all" and action == "cancel":
        body: dict[str, Any] = {"status": "cancelled"}
        reply = await api(request, user, "calendar", "PATCH", path, json=body, headers=if_match)
        return reply, event_url(event_id, saved="cancelled")
    if scope == "all":
        reply = await api(request, user, "calendar", "DELETE", path, headers=if_match)
        return reply, f"{CALENDAR_PAGE}?saved=deleted"
    assert occurrence is not None
    day = occurrence.day
    done = event_url(event_id, saved=DONE[action], scope=scope)
    if action == "cancel" and scope == "this":
        occurrence_path = f"{path}/occurrences/{day.strftime('%Y%m%d')}"
        body = {"cancelled": True}
        reply = await api(
            request, user, "calendar", "PUT", occurrence_path, json=body, headers=if_match
        )
    elif action == "cancel":
        split = {"from_date": day.isoformat(), "changes": {"status": "cancelled"}}
        reply = await api(
            request, user, "calendar", "POST", f"{path}/split", json=split, headers=if_match
        )
    else:
        # Deleting one occurrence removes its date from the series (an exdate); deleting
        # the following ones ends the series the day before.
        rule = dict(event["recurrence"])
        if scope == "this":
            rule["exdates"] = sorted({*rule["exdates"], day.isoformat()})
        else:
            rule["until"], rule["count"] = (day - timedelta(days=1)).isoformat(), None
        body = {"recurrence": rule}
        reply = await api(request, user, "calendar", "PATCH", path, json=body, headers=if_match)
    return reply, done
