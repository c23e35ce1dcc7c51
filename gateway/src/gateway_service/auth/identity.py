"""Who is calling: a bearer token (API clients) or the session cookie (browsers)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, TypeVar

from cachetools import TTLCache
from fastapi import Depends, Request
from sqlalchemy.orm import Session

from gateway_service.auth.store import CredentialStore
from gateway_service.settings import GatewaySettings
from gateway_service.users import service as users
from obcms_platform.auth import Principal, Role
from obcms_platform.db import Database
from obcms_platform.errors import AppError, ForbiddenError, UnauthorizedError

SESSION_COOKIE = GatewaySettings.session_cookie_name
T = TypeVar("T")


@dataclass(frozen=True)
class Identity:
    id: uuid.UUID
    username: str
    full_name: str
    role: Role

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset({self.role})

    @property
    def display_name(self) -> str:
        return self.full_name or self.username

    @property
    def principal(self) -> Principal:
        return Principal(user_id=self.id, roles=self.roles)

    def has_role(self, role: Role) -> bool:
        return self.principal.has_role(role)


class IdentityCache:
    """Resolved users by id, kept `ttl_seconds` per worker.

    An authenticated request then costs one Redis lookup (its credential) and no database
    round trip. Only active users are kept, so a credential of a missing or deactivated
    user is checked against the database every time.
    """

    def __init__(self, ttl_seconds: float, max_users: int = 10_000) -> None:
        self._identities: TTLCache[uuid.UUID, Identity] | None = (
            TTLCache(maxsize=max_users, ttl=ttl_seconds) if ttl_seconds > 0 else None
        )

    def get(self, user_id: uuid.UUID) -> Identity | None:
        return None if self._identities is None else self._identities.get(user_id)

    def put(self, identity: Identity) -> None:
        if self._identities is not None:
            self._identities[identity.id] = identity


class LoginRequiredError(AppError):
    """A page needs a signed-in user: the handler redirects to the login form."""

    status_code = 401
    code = "unauthorized"


async def in_session(request: Request, work: Callable[[Session], T], *, commit: bool = False) -> T:
    """Run `work` with a database session in a worker thread (the ORM is synchronous)."""
    database: Database = request.app.state.database

    def run() -> T:
        with database.session() as session:
            result = work(session)
            if commit:
                session.commit()
            return result

    return await asyncio.to_thread(run)


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def resolve_identity(request: Request) -> Identity | None:
    """The caller's identity, or None; a bearer header wins over the session cookie."""
    if hasattr(request.state, "identity"):
        identity: Identity | None = request.state.identity
        return identity
    token = bearer_token(request)
    user_id: uuid.UUID | None = None
    if token is not None:
        tokens: CredentialStore = request.app.state.tokens
        user_id = await tokens.resolve(token)
    elif request.cookies.get(SESSION_COOKIE):
        sessions: CredentialStore = request.app.state.sessions
        user_id = await sessions.resolve(request.cookies[SESSION_COOKIE])
    identity = None if user_id is None else await _identity_of(request, user_id)
    request.state.identity = identity
    return identity


async def _identity_of(request: Request, user_id: uuid.UUID) -> Identity | None:
    """The active user `user_id`, from this worker's cache or the database."""
    cache: IdentityCache = request.app.state.identities
    if (identity := cache.get(user_id)) is not None:
        return identity

    def load(session: Session) -> Identity | None:
        user = users.get_user(session, user_id)
        if user is None or not user.is_active:
            return None
        return Identity(user.id, user.username, user.full_name, user.role)

    identity = await in_session(request, load)
    if identity is not None:
        cache.put(identity)
    return identity


async def _api_user(request: Request) -> Identity:
    identity = await resolve_identity(request)
    if identity is None:
        if bearer_token(request) is not None:
            raise UnauthorizedError("invalid or expired bearer token")
        raise UnauthorizedError(
            "authentication required: send 'Authorization: Bearer <token>' "
            "(POST /api/v1/auth/token) or sign in"
        )
    return identity


async def _page_user(request: Request) -> Identity:
    identity = await resolve_identity(request)
    if identity is None:
        raise LoginRequiredError("sign in to continue")
    return identity


async def _admin(identity: Annotated[Identity, Depends(_api_user)]) -> Identity:
    if not identity.has_role(Role.ADMIN):
        raise ForbiddenError("this action needs the admin role")
    return identity


ApiUser = Annotated[Identity, Depends(_api_user)]
AdminUser = Annotated[Identity, Depends(_admin)]
PageUser = Annotated[Identity, Depends(_page_user)]
OptionalUser = Annotated[Identity | None, Depends(resolve_identity)]
