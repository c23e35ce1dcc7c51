"""Login form, logout and API bearer tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel
from starlette.responses import Response

from gateway_service.auth.identity import (
    SESSION_COOKIE,
    ApiUser,
    Identity,
    bearer_token,
    set_session_cookie,
)
from gateway_service.auth.store import CredentialStore
from gateway_service.auth.throttle import LoginThrottle, LoginThrottledError
from gateway_service.security.csrf import rotate_csrf_token
from gateway_service.settings import GatewaySettings
from gateway_service.users import service as users
from gateway_service.users.passwords import HashingPool, HashingPoolFullError
from gateway_service.web import render, safe_next
from obcms_platform.app import API_PREFIX
from obcms_platform.db import Database
from obcms_platform.errors import UnauthorizedError, error_response, error_responses

LOGIN_PATH = "/accounts/login/"
INVALID_CREDENTIALS = "Please enter a correct username and password."

router = APIRouter(tags=["auth"])


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


def _client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def _check_credentials(request: Request, username: str, password: str) -> Identity | None:
    """The identity these credentials name, or None.

    Raises LoginThrottledError when the account or the address is over its limit, before
    any hashing, and HashingPoolFullError when the hashing threads are all taken. The user
    lookup and the hash (a dummy one for an unknown username, so that timing does not tell
    which usernames exist) run on the hashing pool, never on the threads that serve
    signed-in requests.
    """
    if not username or not password:
        return None
    throttle: LoginThrottle = request.app.state.login_throttle
    hashing: HashingPool = request.app.state.password_hashing
    database: Database = request.app.state.database
    address = _client_address(request)
    await throttle.reserve(username, address)

    def check() -> Identity | None:
        with database.session() as session:
            user = users.authenticate(session, username, password)
            session.commit()
            if user is None:
                return None
            return Identity.of(user)

    try:
        identity = await hashing.run(check)
    except Exception:
        await throttle.release(username, address)  # never judged: not a failure
        raise
    if identity is not None:
        await throttle.succeeded(username, address)
    return identity


@router.get(LOGIN_PATH, include_in_schema=False)
async def login_form(request: Request, next: str = "/") -> Response:
    return render(request, "login.html", {"next": safe_next(next), "username": ""})


@router.post(LOGIN_PATH, include_in_schema=False)
async def login(
    request: Request,
    username: Annotated[str, Form(max_length=150)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    settings: GatewaySettings = request.app.state.settings
    target = safe_next(next)
    context = {"next": target, "username": username}
    try:
        identity = await _check_credentials(request, username.strip(), password)
    except LoginThrottledError as exc:
        return render(
            request,
            "login.html",
            {**context, "error": exc.message},
            status_code=429,
            headers={"Retry-After": str(exc.retry_after)},
        )
    except HashingPoolFullError as exc:
        return render(
            request,
            "login.html",
            {**context, "error": exc.message},
            status_code=exc.status_code,
            headers=exc.headers(),
        )
    if identity is None:
        return render(
            request, "login.html", {**context, "error": INVALID_CREDENTIALS}, status_code=401
        )
    sessions: CredentialStore = request.app.state.sessions
    # Rotate: a session id known before the login (fixation) never becomes authenticated.
    if old := request.cookies.get(SESSION_COOKIE):
        await sessions.revoke(old)
    session_id = await sessions.issue(identity.id)
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, settings, session_id)
    rotate_csrf_token(response, settings)
    return response


@router.post("/accounts/logout/", include_in_schema=False)
async def logout(request: Request) -> Response:
    sessions: CredentialStore = request.app.state.sessions
    if session_id := request.cookies.get(SESSION_COOKIE):
        await sessions.revoke(session_id)
    response = RedirectResponse(LOGIN_PATH, status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post(
    f"{API_PREFIX}/auth/token",
    response_model=TokenResponse,
    responses=error_responses(401, 429, 503),
)
async def issue_token(
    request: Request,
    username: Annotated[str, Form(max_length=150)],
    password: Annotated[str, Form(max_length=1024)],
) -> Response | TokenResponse:
    settings: GatewaySettings = request.app.state.settings
    try:
        identity = await _check_credentials(request, username.strip(), password)
    except LoginThrottledError as exc:
        return error_response(
            429, "too_many_attempts", exc.message, headers={"Retry-After": str(exc.retry_after)}
        )
    if identity is None:
        raise UnauthorizedError("invalid username or password")
    tokens: CredentialStore = request.app.state.tokens
    token = await tokens.issue(identity.id)
    return TokenResponse(access_token=token, expires_in=settings.token_ttl_seconds)


@router.delete(
    f"{API_PREFIX}/auth/token",
    status_code=204,
    responses=error_responses(401),
)
async def revoke_token(request: Request, _: ApiUser) -> Response:
    """Revoke the bearer token of this request (an API client's logout)."""
    token = bearer_token(request)
    if token is None:
        raise UnauthorizedError("send the token to revoke as 'Authorization: Bearer <token>'")
    tokens: CredentialStore = request.app.state.tokens
    await tokens.revoke(token)
    return Response(status_code=204)
