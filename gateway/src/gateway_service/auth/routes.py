"""Login form, logout and API bearer tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session
from starlette.responses import Response

from gateway_service.auth.identity import (
    SESSION_COOKIE,
    ApiUser,
    Identity,
    bearer_token,
    in_session,
)
from gateway_service.auth.store import CredentialStore
from gateway_service.auth.throttle import LoginThrottle
from gateway_service.settings import GatewaySettings
from gateway_service.users import service as users
from gateway_service.web import csrf_token, render, safe_next
from obcms_platform.app import API_PREFIX
from obcms_platform.errors import UnauthorizedError, error_response, error_responses

LOGIN_PATH = "/accounts/login/"
INVALID_CREDENTIALS = "Please enter a correct username and password."

router = APIRouter(tags=["auth"])


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class ThrottledError(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after

    @property
    def message(self) -> str:
        minutes = max(1, round(self.retry_after / 60))
        return (
            "Too many failed login attempts for this username from your address. "
            f"Try again in {minutes} minute{'s' if minutes != 1 else ''}."
        )


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def _check_credentials(request: Request, username: str, password: str) -> Identity | None:
    """Throttled credential check; raises ThrottledError when blocked."""
    throttle: LoginThrottle = request.app.state.login_throttle
    ip = _client_ip(request)
    blocked = await throttle.blocked_for(username, ip)
    if blocked:
        raise ThrottledError(blocked)

    def check(session: Session) -> Identity | None:
        user = users.authenticate(session, username, password)
        return None if user is None else Identity(user.id, user.username, user.full_name, user.role)

    identity = await in_session(request, check, commit=True) if username and password else None
    if identity is None:
        await throttle.failed(username, ip)
    else:
        await throttle.succeeded(username, ip)
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
    except ThrottledError as exc:
        return render(
            request,
            "login.html",
            {**context, "error": exc.message},
            status_code=429,
            headers={"Retry-After": str(exc.retry_after)},
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
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        max_age=settings.session_max_age_seconds,
        path="/",
        httponly=True,
        secure=settings.secure_session_cookie,
        samesite="lax",
    )
    csrf_token(request)  # make sure the csrftoken cookie is set along with the session
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
    responses=error_responses(401, 429),
)
async def issue_token(
    request: Request,
    username: Annotated[str, Form(max_length=150)],
    password: Annotated[str, Form(max_length=1024)],
) -> Response | TokenResponse:
    settings: GatewaySettings = request.app.state.settings
    try:
        identity = await _check_credentials(request, username.strip(), password)
    except ThrottledError as exc:
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
