"""User routes: the caller's own account (profile, password); managing accounts (admin).

Deactivating a user, changing their role or setting their password ends all their sessions
and bearer tokens once the change is committed; changing one's own password ends the others
and keeps the caller signed in (`auth.identity.sign_out_everywhere`).
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response, status
from sqlalchemy.orm import Session

from gateway_service.auth.identity import (
    AdminUser,
    ApiUser,
    profile_changed,
    sign_out_everywhere,
)
from gateway_service.db import history, in_hashing_session, in_session
from gateway_service.settings import GatewaySettings
from gateway_service.users import service
from gateway_service.users.models import User
from gateway_service.users.schemas import (
    PasswordChange,
    PasswordReset,
    ProfileUpdate,
    UserCreate,
    UserRead,
    UserUpdate,
)
from obcms_platform.app import API_PREFIX
from obcms_platform.auth import Role
from obcms_platform.errors import ForbiddenError, NotFoundError, error_responses
from obcms_platform.history import HistoryEntry
from obcms_platform.pagination import Page, Pagination
from obcms_platform.versioning import ExpectedVersion, set_etag

router = APIRouter(prefix=f"{API_PREFIX}/users", tags=["users"], responses=error_responses(401))


def _min_length(request: Request) -> int:
    settings: GatewaySettings = request.app.state.settings
    return settings.min_password_length


def _read(user: User, response: Response) -> UserRead:
    set_etag(response, user.version)
    return UserRead.model_validate(user)


async def _load(request: Request, response: Response, user_id: uuid.UUID) -> UserRead:
    def load(session: Session) -> UserRead:
        user = service.get_user(session, user_id)
        if user is None:
            raise NotFoundError("user", user_id)
        return _read(user, response)

    return await in_session(request, load)


@router.get("/me", response_model=UserRead)
async def me(request: Request, response: Response, identity: ApiUser) -> UserRead:
    return await _load(request, response, identity.id)


@router.patch("/me", response_model=UserRead, responses=error_responses(412, 422))
async def update_me(
    request: Request,
    response: Response,
    data: ProfileUpdate,
    identity: ApiUser,
    expected_version: ExpectedVersion,
) -> UserRead:
    """Change my full name, e-mail or time zone (an IANA name; null = the office's)."""

    def update(session: Session) -> UserRead:
        user = service.update_profile(session, identity.id, data, expected_version=expected_version)
        return _read(user, response)

    updated = await in_session(request, update, commit=True, actor=identity.id)
    await profile_changed(request, identity.id)
    return updated


@router.post("/me/password", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(422))
async def change_my_password(request: Request, data: PasswordChange, identity: ApiUser) -> Response:
    """Change my password (`current_password` is required). My other sessions and tokens
    end; this bearer token is kept, a browser session gets a new cookie."""
    min_length = _min_length(request)

    def change(session: Session) -> None:
        service.change_password(
            session,
            identity.id,
            data.current_password,
            data.new_password,
            min_password_length=min_length,
        )

    await in_hashing_session(request, change, commit=True, actor=identity.id)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    await sign_out_everywhere(request, identity.id, keep_caller=response)
    return response


@router.post(
    "",
    response_model=UserRead,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(403, 409, 422, 503),
)
async def create_user(
    request: Request, response: Response, data: UserCreate, admin: AdminUser
) -> UserRead:
    min_length = _min_length(request)

    def create(session: Session) -> UserRead:
        user = service.create_user(session, data, min_password_length=min_length)
        return _read(user, response)

    return await in_hashing_session(request, create, commit=True, actor=admin.id)


@router.get("", response_model=Page[UserRead], responses=error_responses(403))
async def list_users(request: Request, _: AdminUser, page: Pagination) -> Page[UserRead]:
    def load(session: Session) -> Page[UserRead]:
        items, total = service.list_users(session, page)
        return Page[UserRead].of(items, total, page)

    return await in_session(request, load)


@router.get("/{user_id}", response_model=UserRead, responses=error_responses(403, 404))
async def get_user(
    request: Request, response: Response, user_id: uuid.UUID, _: AdminUser
) -> UserRead:
    return await _load(request, response, user_id)


@router.get(
    "/{user_id}/history",
    response_model=Page[HistoryEntry],
    responses=error_responses(403, 404),
)
async def user_history(
    request: Request, user_id: uuid.UUID, identity: ApiUser, page: Pagination
) -> Page[HistoryEntry]:
    """The account's changes, newest first (an admin's, or one's own); never a password or
    token."""
    if user_id != identity.id and not identity.has_role(Role.ADMIN):
        raise ForbiddenError("this account's history is its owner's and admins'")

    def load(session: Session) -> Page[HistoryEntry]:
        if service.get_user(session, user_id) is None:
            raise NotFoundError("user", user_id)
        return history.entries(session, "user", user_id, page, may_read_private=True)

    return await in_session(request, load)


@router.patch(
    "/{user_id}", response_model=UserRead, responses=error_responses(403, 404, 409, 412, 422)
)
async def update_user(
    request: Request,
    response: Response,
    user_id: uuid.UUID,
    data: UserUpdate,
    admin: AdminUser,
    expected_version: ExpectedVersion,
) -> UserRead:
    """Change a user's role, active flag, full name or e-mail. Deactivating or changing the
    role ends the user's sessions and tokens; the last active admin stays one (409)."""

    def update(session: Session) -> tuple[UserRead, bool]:
        change = service.update_user(session, user_id, data, expected_version=expected_version)
        return _read(change.user, response), change.signs_out

    user, signs_out = await in_session(request, update, commit=True, actor=admin.id)
    if signs_out:
        await sign_out_everywhere(request, user_id)
    else:
        await profile_changed(request, user_id)
    return user


@router.post(
    "/{user_id}/password",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(403, 404, 422, 503),
)
async def reset_password(
    request: Request, user_id: uuid.UUID, data: PasswordReset, admin: AdminUser
) -> Response:
    """Set a user's password (tell it to them); their sessions and tokens end."""
    min_length = _min_length(request)

    def reset(session: Session) -> None:
        service.reset_password(session, user_id, data.password, min_password_length=min_length)

    await in_hashing_session(request, reset, commit=True, actor=admin.id)
    await sign_out_everywhere(request, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
