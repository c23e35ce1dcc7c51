"""FastAPI dependencies: every service route needs a valid internal token.

They are ``async def`` although they do no I/O: FastAPI runs a plain ``def`` dependency in
the thread pool, and a hop there and back costs more than verifying the token.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from obcms_platform.auth.tokens import InternalTokenVerifier, InvalidTokenError, Principal, Role
from obcms_platform.errors import ForbiddenError, UnauthorizedError

_bearer = HTTPBearer(auto_error=False, description="Internal token signed by the gateway")


async def _principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None:
        raise UnauthorizedError("an internal bearer token is required")
    verifier: InternalTokenVerifier = request.app.state.token_verifier
    try:
        principal = verifier.verify(credentials.credentials)
    except InvalidTokenError as exc:
        raise UnauthorizedError(f"invalid internal token: {exc}") from exc
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(_principal)]


def require_role(role: Role) -> Callable[[Principal], Awaitable[Principal]]:
    """Dependency factory: the caller must hold `role` (or a higher one)."""

    async def check(principal: CurrentPrincipal) -> Principal:
        if not principal.has_role(role):
            raise ForbiddenError(f"this action needs the {role.value} role")
        return principal

    return check
