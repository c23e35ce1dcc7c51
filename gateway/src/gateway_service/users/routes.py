"""User routes: the caller's own record; creating and listing users (admin)."""

from __future__ import annotations

from fastapi import APIRouter, Request, status
from sqlalchemy.orm import Session

from gateway_service.auth.identity import AdminUser, ApiUser, in_session
from gateway_service.settings import GatewaySettings
from gateway_service.users import service
from gateway_service.users.schemas import UserCreate, UserRead
from obcms_platform.app import API_PREFIX
from obcms_platform.errors import NotFoundError, error_responses
from obcms_platform.pagination import Page, Pagination

router = APIRouter(prefix=f"{API_PREFIX}/users", tags=["users"], responses=error_responses(401))


@router.get("/me", response_model=UserRead)
async def me(request: Request, identity: ApiUser) -> UserRead:
    def load(session: Session) -> UserRead:
        user = service.get_user(session, identity.id)
        if user is None:
            raise NotFoundError("user", identity.id)
        return UserRead.model_validate(user)

    return await in_session(request, load)


@router.post(
    "",
    response_model=UserRead,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(403, 409, 422),
)
async def create_user(request: Request, data: UserCreate, _: AdminUser) -> UserRead:
    settings: GatewaySettings = request.app.state.settings

    def create(session: Session) -> UserRead:
        user = service.create_user(session, data, min_password_length=settings.min_password_length)
        return UserRead.model_validate(user)

    return await in_session(request, create, commit=True)


@router.get("", response_model=Page[UserRead], responses=error_responses(403))
async def list_users(request: Request, _: AdminUser, page: Pagination) -> Page[UserRead]:
    def load(session: Session) -> Page[UserRead]:
        items, total = service.list_users(session, page)
        return Page[UserRead](
            items=[UserRead.model_validate(u) for u in items],
            total=total,
            limit=page.limit,
            offset=page.offset,
        )

    return await in_session(request, load)
