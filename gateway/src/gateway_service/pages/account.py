"""Account pages: "My account" (profile, password) for everyone; "People" (accounts: role,
active, password reset) for admins.

They call the same user service as `/api/v1/users`, with the same effects: deactivating,
changing a role or setting a password ends the user's sessions and tokens; changing one's
own password ends the others and keeps this browser signed in with a new session.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import Response

from gateway_service.auth.identity import (
    PageAdmin,
    PageUser,
    profile_changed,
    sign_out_everywhere,
)
from gateway_service.db import history, in_hashing_session, in_session
from gateway_service.feed import subscriptions
from gateway_service.pages.activity import SHOWN, stream
from gateway_service.pages.common import (
    CHOICES_LIMIT,
    PAGE_SIZE,
    PEOPLE_JSON,
    FormError,
    offset_param,
    page_links,
    parse_id,
    read_form,
    redirect,
    sentence,
)
from gateway_service.pages.events import active_people, tom_select_assets
from gateway_service.pages.handover import (
    TASK_LIST,
    HandedOver,
    LeftBehind,
    Versioned,
    counted,
    hand_over,
    left_behind,
)
from gateway_service.pages.home import OPEN_TASK_STATUSES
from gateway_service.settings import GatewaySettings
from gateway_service.time_zones import zone_choices
from gateway_service.users import service
from gateway_service.users.models import User
from gateway_service.users.schemas import ProfileUpdate, UserCreate, UserUpdate, time_zone_names
from gateway_service.web import render
from obcms_platform.auth import Role
from obcms_platform.errors import (
    AppError,
    InvalidInputError,
    NotFoundError,
    PreconditionFailedError,
    field_path,
    plain_message,
)
from obcms_platform.feed import OFFICE_TIMEZONE
from obcms_platform.history import HistoryEntry
from obcms_platform.pagination import Page, PageParams

MY_ACCOUNT = "/accounts/me/"
PEOPLE = "/accounts/people/"
PERSON = PEOPLE + "{user_id}/"
ROLES = tuple(role.value for role in Role)

# What the page says after a successful form (the redirect names it: ?done=<key>).
DONE = {
    "profile": "Your profile was saved.",
    "password": "Your password was changed. Your other sessions and API tokens were ended.",
    "saved": "The account was saved.",
    "signed_out": "The account was saved. Its sessions and API tokens were ended: a new "
    "role applies from its next sign-in.",
    "deactivated": "The account was deactivated and its sessions and API tokens were ended. "
    "Reassign the work it leaves, listed on this page.",
    "reactivated": "The account was reactivated: it can sign in again.",
    "reset": "The password was set. Tell it to its owner; their sessions and API tokens "
    "were ended.",
    "calendar": "Your calendar address was regenerated: the old one no longer works. "
    "Subscribe again with the new one.",
    "created": "The account was created. Give its owner their user name and password: they "
    "sign in with them and may change the password under My account.",
}

router = APIRouter(include_in_schema=False)


def person_url(user_id: uuid.UUID | str) -> str:
    return PERSON.format(user_id=user_id)


def _done(request: Request) -> str | None:
    return DONE.get(request.query_params.get("done", ""))


def _min_length(request: Request) -> int:
    settings: GatewaySettings = request.app.state.settings
    return settings.min_password_length


def _form_error(exc: AppError | ValidationError) -> FormError:
    if isinstance(exc, AppError):
        return FormError(exc.status_code, exc.message, exc.field)
    first = exc.errors()[0]
    field = field_path(first["loc"])
    return FormError(422, f"{field}: {plain_message(first)}", field)


# A stale save: the page shows the account as it is now rather than the values typed over
# the older one (a save again would silently undo the other change, a role above all).
STALE_ACCOUNT = (
    "Someone changed this account since you opened the page. It is shown below as it is now "
    "(its changes are listed under Activity): make your change again if it is still needed."
)


def _refused(exc: AppError | ValidationError, form: dict[str, str]) -> tuple[FormError, Any]:
    """What a refused save shows: its error, and the form's values (None: the stored ones)."""
    if isinstance(exc, PreconditionFailedError):
        return FormError(412, STALE_ACCOUNT), None
    return _form_error(exc), form


def _expected_version(form: dict[str, str]) -> int | None:
    raw = form.get("version", "")
    if not raw:
        return None
    if not raw.isdigit():
        raise InvalidInputError("version: not a version number; reload the page", field="version")
    return int(raw)


def _password(submitted: FormData, name: str) -> str:
    """A password field as typed (`read_form` trims the other fields)."""
    value = submitted.get(name)
    return value if isinstance(value, str) else ""


def _optional(form: dict[str, str], names: tuple[str, ...]) -> dict[str, Any]:
    """The submitted fields of `names`; an emptied one becomes null (cleared)."""
    return {name: form[name] or None for name in names if name in form}


# --- My account ---------------------------------------------------------------------------


async def _account_page(
    request: Request,
    user: PageUser,
    *,
    profile_error: FormError | None = None,
    password_error: FormError | None = None,
    subscription_error: FormError | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    def load(session: Session) -> dict[str, Any]:
        account = service.get_user(session, user.id)
        if account is None:
            raise NotFoundError("user", user.id)
        links = subscriptions.account_links(request, session, account)
        return {"account": account, "calendar_links": links}

    context = await in_session(request, load, commit=True)  # a first look makes the token
    error = profile_error or password_error or subscription_error
    return render(
        request,
        "account.html",
        {
            **context,
            "form": form or {},
            "profile_error": profile_error,
            "password_error": password_error,
            "subscription_error": subscription_error,
            "time_zones": sorted(time_zone_names()),
            "office_time_zone": OFFICE_TIMEZONE,
            "min_length": _min_length(request),
            "notice": None if error else _done(request),
        },
        status_code=error.status if error else 200,
    )


@router.get(MY_ACCOUNT)
async def my_account(request: Request, user: PageUser) -> Response:
    return await _account_page(request, user)


@router.post(MY_ACCOUNT)
async def update_my_profile(request: Request, user: PageUser) -> Response:
    form, _ = await read_form(request)
    try:
        data = ProfileUpdate.model_validate(
            {
                **({"full_name": form["full_name"]} if "full_name" in form else {}),
                **_optional(form, ("email", "time_zone")),
            }
        )
        expected_version = _expected_version(form)

        def update(session: Session) -> None:
            service.update_profile(session, user.id, data, expected_version=expected_version)

        await in_session(request, update, commit=True, actor=user.id)
    except (AppError, ValidationError) as exc:
        error, shown = _refused(exc, form)
        return await _account_page(request, user, profile_error=error, form=shown)
    response = redirect(MY_ACCOUNT + "?done=profile")
    await profile_changed(request, user.id, own_change=response)
    return response


@router.post(MY_ACCOUNT + "password/")
async def change_my_password(request: Request, user: PageUser) -> Response:
    _, submitted = await read_form(request)
    current, new, confirm = (
        _password(submitted, name)
        for name in ("current_password", "new_password", "new_password_confirm")
    )
    min_length = _min_length(request)
    try:
        if not current:
            raise InvalidInputError(
                "current_password: enter your current password", field="current_password"
            )
        if new != confirm:
            raise InvalidInputError(
                "new_password_confirm: the two new passwords differ",
                field="new_password_confirm",
            )

        def change(session: Session) -> None:
            service.change_password(session, user.id, current, new, min_password_length=min_length)

        await in_hashing_session(request, change, commit=True, actor=user.id)
    except AppError as exc:
        return await _account_page(request, user, password_error=_form_error(exc))
    response = redirect(MY_ACCOUNT + "?done=password")
    await sign_out_everywhere(request, user.id, keep_caller=response)
    return response


@router.post(MY_ACCOUNT + "calendar-subscription/")
async def regenerate_my_calendar_subscription(request: Request, user: PageUser) -> Response:
    form, _ = await read_form(request)
    if form.get("confirm") != "yes":
        error = FormError(
            422, "confirm: tick the box to confirm that the old address stops working", "confirm"
        )
        return await _account_page(request, user, subscription_error=error)
    await subscriptions.regenerate(request, user.id)
    return redirect(MY_ACCOUNT + "?done=calendar")


# --- People (admins) ----------------------------------------------------------------------


NEW_PERSON = PEOPLE + "new/"
# The new-person form's inputs a refusal of the service may name (beside which it is shown).
NEW_PERSON_INPUTS = ("username", "full_name", "email", "role", "time_zone", "password")


@router.get(PEOPLE)
async def people(request: Request, admin: PageAdmin) -> Response:
    return await _people_page(request)


async def _people_page(
    request: Request,
    *,
    form: dict[str, str] | None = None,
    problems: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    offset = offset_param(request)

    def load(session: Session) -> tuple[list[User], int]:
        return service.list_users(session, PageParams(limit=PAGE_SIZE, offset=offset))

    users, total = await in_session(request, load)
    return render(
        request,
        "users.html",
        {
            "users": users,
            "pages": page_links(request, total, offset),
            "form": form or {},
            "problems": problems or {},
            "roles": ROLES,
            "time_zones": zone_choices(),  # the event form's picker
            "office_time_zone": OFFICE_TIMEZONE,
            "min_length": _min_length(request),
        },
        status_code=status,
    )


@router.post(NEW_PERSON)
async def create_person(request: Request, admin: PageAdmin) -> Response:
    """An administrator adds someone: every problem of the form beside its input, at once
    (those of its shape, and the service's: the password policy, a name or address taken)."""
    form, submitted = await read_form(request)
    password = _password(submitted, "password")
    problems: dict[str, str] = {}
    if not form.get("full_name"):
        problems["full_name"] = "Enter the person's full name, as colleagues know them."
    if password != _password(submitted, "password_confirm"):
        problems["password_confirm"] = "The two passwords differ."
    body = {
        "username": form.get("username", ""),
        "password": password,
        "full_name": form.get("full_name", ""),
        "role": form.get("role") or Role.STAFF.value,
        **_optional(form, ("email", "time_zone")),
    }
    data: UserCreate | None = None
    try:
        data = UserCreate.model_validate(body)
    except ValidationError as exc:
        for error in exc.errors():
            name = field_path(error["loc"]) or "username"
            problems.setdefault(name, sentence(plain_message(error)))
    min_length = _min_length(request)
    if data is None or problems:
        # The service's checks of the inputs that are well formed, said with the others.
        def check(session: Session) -> list[AppError]:
            return list(
                service.new_account_problems(
                    session,
                    username=None if "username" in problems else form.get("username"),
                    full_name=form.get("full_name", ""),
                    email=None if "email" in problems else form.get("email") or None,
                    password=password,
                    min_password_length=min_length,
                ).found
            )

        for refusal in await in_session(request, check):
            _add_refusal(problems, refusal)
        return await _people_page(request, form=form, problems=problems, status=422)
    created = data

    def create(session: Session) -> uuid.UUID:
        return service.create_user(session, created, min_password_length=min_length).id

    try:
        person_id = await in_hashing_session(request, create, commit=True, actor=admin.id)
    except AppError as exc:
        problems = {}
        _add_refusal(problems, exc)
        return await _people_page(request, form=form, problems=problems, status=exc.status_code)
    return redirect(person_url(person_id) + "?done=created")


def _add_refusal(problems: dict[str, str], refusal: AppError) -> None:
    """Each problem of the service's `refusal` beside the new-person input it is about (the
    user name's when it names none of them), unless that input already shows one."""
    for problem in refusal.problems():
        field = problem.field if problem.field in NEW_PERSON_INPUTS else "username"
        problems.setdefault(field, FormError(refusal.status_code, problem.message).reason)


async def _person_page(
    request: Request,
    admin: PageAdmin,
    user_id: uuid.UUID,
    *,
    error: FormError | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    def load(session: Session) -> tuple[User, Page[HistoryEntry]]:
        person = service.get_user(session, user_id)
        if person is None:
            raise NotFoundError("user", user_id)
        changes = history.entries(
            session, "user", user_id, PageParams(limit=SHOWN, offset=0), may_read_private=True
        )
        return person, changes

    person, changes = await in_session(request, load)
    (entries, change_count), leaves, colleagues = await asyncio.gather(
        stream(request, [entry.model_dump(mode="json") for entry in changes.items], changes.total),
        left_behind(request, admin, str(user_id)),
        active_people(request, limit=CHOICES_LIMIT, without=user_id),
    )
    return render(
        request,
        "users_detail.html",
        {
            "person": person,
            "form": form or {},
            "error": error,
            "roles": ROLES,
            "time_zones": sorted(time_zone_names()),
            "office_time_zone": OFFICE_TIMEZONE,
            "is_me": user_id == admin.id,
            "activity": entries,
            "activity_total": change_count,
            "left": leaves,
            "handover": _picker(user_id, colleagues),
            "tom_select": tom_select_assets(),
            "min_length": _min_length(request),
            "notice": None if error else _done(request),
        },
        status_code=error.status if error else 200,
    )


def _person_id(value: str) -> uuid.UUID:
    return uuid.UUID(parse_id(value, "user"))


@router.get(PERSON)
async def person(request: Request, admin: PageAdmin, user_id: str) -> Response:
    return await _person_page(request, admin, _person_id(user_id))


async def _change_person(
    request: Request,
    admin: PageAdmin,
    user_id: uuid.UUID,
    form: dict[str, str],
    data: dict[str, Any],
    done: str | None = None,
) -> Response:
    """Apply an admin's change; the success message is `done`, or says whether the user's
    credentials were ended."""
    try:
        update = UserUpdate.model_validate(data)
        expected_version = _expected_version(form)

        def change(session: Session) -> bool:
            result = service.update_user(
                session, user_id, update, expected_version=expected_version
            )
            return result.signs_out

        signs_out = await in_session(request, change, commit=True, actor=admin.id)
    except (AppError, ValidationError) as exc:
        error, shown = _refused(exc, form)
        return await _person_page(request, admin, user_id, error=error, form=shown)
    if signs_out:
        await sign_out_everywhere(request, user_id)
    else:
        await profile_changed(request, user_id)
    message = done or ("signed_out" if signs_out else "saved")
    return redirect(person_url(user_id) + f"?done={message}")


@router.post(PERSON)
async def update_person(request: Request, admin: PageAdmin, user_id: str) -> Response:
    person_id = _person_id(user_id)
    form, _ = await read_form(request)
    data = {
        **({"full_name": form["full_name"]} if "full_name" in form else {}),
        **({"role": form["role"]} if form.get("role") else {}),
        **_optional(form, ("email", "time_zone")),
    }
    return await _change_person(request, admin, person_id, form, data)


@router.post(PERSON + "deactivate/")
async def deactivate_person(request: Request, admin: PageAdmin, user_id: str) -> Response:
    person_id = _person_id(user_id)
    form, _ = await read_form(request)
    if form.get("confirm") != "yes":
        error = FormError(422, "confirm: tick the box to confirm the deactivation", field="confirm")
        return await _person_page(request, admin, person_id, error=error, form=form)
    return await _change_person(
        request, admin, person_id, form, {"is_active": False}, "deactivated"
    )


@router.post(PERSON + "reactivate/")
async def reactivate_person(request: Request, admin: PageAdmin, user_id: str) -> Response:
    person_id = _person_id(user_id)
    form, _ = await read_form(request)
    return await _change_person(request, admin, person_id, form, {"is_active": True}, "reactivated")


@router.post(PERSON + "password/")
async def reset_person_password(request: Request, admin: PageAdmin, user_id: str) -> Response:
    person_id = _person_id(user_id)
    _, submitted = await read_form(request)
    password = _password(submitted, "password")
    min_length = _min_length(request)
    try:
        if password != _password(submitted, "password_confirm"):
            raise InvalidInputError(
                "password_confirm: the two passwords differ", field="password_confirm"
            )

        def reset(session: Session) -> None:
            service.reset_password(session, person_id, password, min_password_length=min_length)

        await in_hashing_session(request, reset, commit=True, actor=admin.id)
    except AppError as exc:
        return await _person_page(request, admin, person_id, error=_form_error(exc))
    await sign_out_everywhere(request, person_id)
    return redirect(person_url(person_id) + "?done=reset")


# --- Hand-over (admins) -----------------------------------------------------------------------

HANDOVER = PERSON + "handover/"
# The colleague chosen, as the hand-over form names its input.
COLLEAGUE = "to"


def handover_url(user_id: uuid.UUID | str) -> str:
    return HANDOVER.format(user_id=user_id)


def _picker(
    user_id: uuid.UUID, colleagues: list[dict[str, str]], error: FormError | None = None
) -> dict[str, Any]:
    """The hand-over form's colleague picker: the active people but the person (its search
    too), and the refusal beside it."""
    return {
        "action": handover_url(user_id),
        "colleagues": colleagues,
        "people_url": f"{PEOPLE_JSON}?without={user_id}",
        "error": error,
    }


def _name(user: User) -> str:
    return user.full_name or user.username


def _colleague(session: Session, person: User, chosen: str) -> User:
    """The colleague the form chose to take over `person`'s work; refused beside the picker
    (422) when there is none, or they cannot take it."""

    def refused(reason: str) -> InvalidInputError:
        return InvalidInputError(f"{COLLEAGUE}: {reason}", field=COLLEAGUE)

    if not chosen:
        raise refused("choose the colleague who takes over")
    try:
        colleague = service.get_user(session, uuid.UUID(chosen))
    except ValueError:
        colleague = None
    if colleague is None:
        raise refused("choose the colleague from the list: nobody has this account")
    if colleague.id == person.id:
        raise refused(f"choose someone else: {_name(person)} cannot take over from themself")
    if not colleague.is_active:
        raise refused(f"{_name(colleague)} is deactivated: choose an active colleague")
    return colleague


async def _handover_page(
    request: Request,
    admin: PageAdmin,
    user_id: uuid.UUID,
    chosen: str | None,
    *,
    done: HandedOver | None = None,
) -> Response:
    """The hand-over of `user_id`'s work: the colleague to choose (none `chosen` yet, or
    refused beside the picker), the question once chosen, or what was `done`."""

    def load(session: Session) -> tuple[User, User | None, FormError | None]:
        person = service.get_user(session, user_id)
        if person is None:
            raise NotFoundError("user", user_id)
        if chosen is None:
            return person, None, None
        try:
            return person, _colleague(session, person, chosen), None
        except AppError as exc:
            return person, None, _form_error(exc)

    person, colleague, error = await in_session(request, load)
    left: LeftBehind | None = None
    colleagues: list[dict[str, str]] = []
    if done is None:
        left, colleagues = await asyncio.gather(
            left_behind(request, admin, str(user_id)),
            active_people(request, limit=CHOICES_LIMIT, without=user_id),
        )
    context: dict[str, Any] = {
        "person": person,
        "name": _name(person),
        "base": person_url(user_id),
        "left": left,
        "handover": _picker(user_id, colleagues, error),
        "chosen": chosen or "",
        "colleague": colleague,
        "done": done,
        "tom_select": tom_select_assets(),
    }
    # What there is to hand over ("14 open tasks and 2 PPAs"), asked about once a colleague
    # is chosen; nothing while a part could not be read (the page says which).
    what = ""
    if left is not None and left.tasks is not None and left.ppas is not None:
        what = counted(len(left.tasks), len(left.ppas), open_tasks=True)
    context["what"] = what
    context["colleague_name"] = _name(colleague) if colleague else ""
    context["question"] = (
        f"Hand over {what} from {_name(person)} to {_name(colleague)}?"
        if colleague and what
        else None
    )
    if done is not None and colleague is not None:
        open_tasks = [("assignee", str(colleague.id))]
        open_tasks += [("status", status) for status in OPEN_TASK_STATUSES]
        context["colleague_tasks"] = f"{TASK_LIST}?{urlencode(open_tasks)}"
    return render(
        request, "users_handover.html", context, status_code=error.status if error else 200
    )


@router.get(HANDOVER)
async def handover(
    request: Request, admin: PageAdmin, user_id: str, to: str | None = None
) -> Response:
    """Choose the colleague (the people page's form sends `to`), then the question."""
    return await _handover_page(request, admin, _person_id(user_id), to)


@router.post(HANDOVER)
async def hand_over_work(request: Request, admin: PageAdmin, user_id: str) -> Response:
    """The question's yes: the tasks and PPAs it listed, at the versions it showed."""
    person_id = _person_id(user_id)
    form, submitted = await read_form(request)
    chosen = form.get(COLLEAGUE, "")

    def load(session: Session) -> tuple[User, User]:
        person = service.get_user(session, person_id)
        if person is None:
            raise NotFoundError("user", person_id)
        return person, _colleague(session, person, chosen)

    try:
        person, colleague = await in_session(request, load)
    except InvalidInputError:
        return await _handover_page(request, admin, person_id, chosen)

    def listed(name: str) -> list[Versioned]:
        return Versioned.parsed([str(value) for value in submitted.getlist(name)])

    done = await hand_over(
        request,
        admin,
        person_id=str(person_id),
        colleague_id=str(colleague.id),
        reason=f"handed over from {_name(person)}"[:300],
        tasks=listed("task"),
        ppas=listed("ppa"),
        colleague=_name(colleague),
    )
    return await _handover_page(request, admin, person_id, chosen, done=done)
