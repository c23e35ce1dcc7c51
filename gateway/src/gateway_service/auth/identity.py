"""Who is calling: a bearer token (API clients) or the session cookie (browsers)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Annotated

from cachetools import TTLCache
from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from gateway_service.auth.store import Credentials, CredentialStore
from gateway_service.db import in_session
from gateway_service.settings import GatewaySettings
from gateway_service.users import service as users
from gateway_service.users.models import User
from obcms_platform.auth import Principal, Role
from obcms_platform.errors import AppError, ForbiddenError, UnauthorizedError

SESSION_COOKIE = GatewaySettings.session_cookie_name


@dataclass(frozen=True)
class Identity:
    id: uuid.UUID
    username: str
    full_name: str
    role: Role
    time_zone: str | None = None  # IANA name; None = the office's

    @classmethod
    def of(cls, user: User) -> Identity:
        return cls(user.id, user.username, user.full_name, user.role, user.time_zone)

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset({self.role})

    @property
    def display_name(self) -> str:
        return users.Names(self.username, self.full_name).name

    @property
    def principal(self) -> Principal:
        return Principal(user_id=self.id, roles=self.roles)

    def has_role(self, role: Role) -> bool:
        return self.principal.has_role(role)

    def may_decide(self, requester: object) -> bool:
        """Whether this person approves or rejects a request `requester` asked for (leave, a
        booking): the calendar's rule, a manager and never for their own request."""
        return self.has_role(Role.MANAGER) and str(requester) != str(self.id)


class IdentityCache:
    """Resolved users by credential, kept `ttl_seconds` per worker.

    An authenticated request then costs one Redis lookup (its credential) and no database
    round trip. Only active users are kept, so a credential of a missing or deactivated
    user is checked against the database every time. Keyed by the credential, not the user:
    the changes that alter who a user is (role, deactivation, password) revoke the user's
    credentials, and the new credential of the next sign-in is read from the database. A
    profile change (name, time zone) keeps the credentials: `profile_changed` forgets the
    user here and gives the browser that made it a new session.
    """

    def __init__(self, ttl_seconds: float, max_entries: int = 10_000) -> None:
        self._identities: TTLCache[str, Identity] | None = (
            TTLCache(maxsize=max_entries, ttl=ttl_seconds) if ttl_seconds > 0 else None
        )

    def get(self, credential: str) -> Identity | None:
        return None if self._identities is None else self._identities.get(credential)

    def put(self, credential: str, identity: Identity) -> None:
        if self._identities is not None:
            self._identities[credential] = identity

    def forget_user(self, user_id: uuid.UUID) -> None:
        """Drop every cached identity of `user_id` (its profile changed)."""
        if self._identities is not None:
            stale = [key for key, known in self._identities.items() if known.id == user_id]
            for key in stale:
                self._identities.pop(key, None)


class LoginRequiredError(AppError):
    """A page needs a signed-in user: the handler redirects to the login form."""

    status_code = 401
    code = "unauthorized"


# RFC 6750 b64token: what a bearer token may look like.
BEARER_TOKEN_SYNTAX = re.compile(r"[A-Za-z0-9\-._~+/]+=*")


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or None.

    A blank or malformed token is no bearer token: such a request is not a bearer call, so
    the CSRF check is not skipped for it (security/csrf.py asks this function).
    """
    scheme, _, token = request.headers.get("authorization", "").strip().partition(" ")
    token = token.lstrip(" ")
    if scheme.lower() != "bearer" or not BEARER_TOKEN_SYNTAX.fullmatch(token):
        return None
    return token


def presented_credential(request: Request) -> tuple[CredentialStore, str] | None:
    """The credential of the request and its store: a bearer header wins over the cookie."""
    if (token := bearer_token(request)) is not None:
        return request.app.state.tokens, token
    if session_id := request.cookies.get(SESSION_COOKIE):
        return request.app.state.sessions, session_id
    return None


async def resolve_identity(request: Request) -> Identity | None:
    """The caller's identity, or None."""
    if hasattr(request.state, "identity"):
        identity: Identity | None = request.state.identity
        return identity
    identity = None
    if (presented := presented_credential(request)) is not None:
        store, secret = presented
        if (user_id := await store.resolve(secret)) is not None:
            identity = await _identity_of(request, store.key(secret), user_id)
    request.state.identity = identity
    return identity


async def _identity_of(request: Request, credential: str, user_id: uuid.UUID) -> Identity | None:
    """The active user `user_id`, from this worker's cache or the database."""
    cache: IdentityCache = request.app.state.identities
    if (identity := cache.get(credential)) is not None:
        return identity

    def load(session: Session) -> Identity | None:
        user = users.get_user(session, user_id)
        if user is None or not user.is_active:
            return None
        return Identity.of(user)

    identity = await in_session(request, load)
    if identity is not None:
        cache.put(credential, identity)
    return identity


def set_session_cookie(response: Response, settings: GatewaySettings, session_id: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        max_age=settings.session_max_age_seconds,
        path="/",
        httponly=True,
        secure=settings.secure_session_cookie,
        samesite="lax",
    )


async def sign_out_everywhere(
    request: Request, user_id: uuid.UUID, *, keep_caller: Response | None = None
) -> None:
    """End `user_id`'s sessions and tokens after a committed change to the account.

    With `keep_caller` (the response to the user's own change) the caller stays signed in:
    the bearer token of the request is kept, a browser session is replaced by a new one.
    """
    credentials: Credentials = request.app.state.credentials
    presented = presented_credential(request) if keep_caller is not None else None
    keep = presented[1] if presented and presented[0] is credentials.tokens else None
    await credentials.revoke_user(user_id, keep=keep)
    if keep_caller is not None and presented and presented[0] is credentials.sessions:
        session_id = await credentials.sessions.issue(user_id)
        set_session_cookie(keep_caller, request.app.state.settings, session_id)


async def profile_changed(
    request: Request, user_id: uuid.UUID, *, own_change: Response | None = None
) -> None:
    """After a committed change to `user_id`'s profile (full name, time zone): this worker
    serves no cached identity of theirs any more, and with `own_change` (the response to
    the user's own change from a browser) the browser gets a new session, unknown to every
    worker's cache, so its next page reads the new profile wherever it lands (the other
    workers' cached identities of the user's other credentials expire after
    `identity_cache_seconds`)."""
    cache: IdentityCache = request.app.state.identities
    cache.forget_user(user_id)
    presented = presented_credential(request)
    credentials: Credentials = request.app.state.credentials
    if own_change is None or presented is None or presented[0] is not credentials.sessions:
        return
    session_id = await credentials.sessions.issue(user_id)
    set_session_cookie(own_change, request.app.state.settings, session_id)
    await credentials.sessions.revoke(presented[1])


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


async def _page_admin(identity: Annotated[Identity, Depends(_page_user)]) -> Identity:
    if not identity.has_role(Role.ADMIN):
        raise ForbiddenError("this page needs the admin role")
    return identity


ApiUser = Annotated[Identity, Depends(_api_user)]
AdminUser = Annotated[Identity, Depends(_admin)]
PageUser = Annotated[Identity, Depends(_page_user)]
PageAdmin = Annotated[Identity, Depends(_page_admin)]
