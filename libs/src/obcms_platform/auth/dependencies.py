"""FastAPI dependencies: every service route needs a valid internal token.

They are ``async def`` although they do no I/O: FastAPI runs a plain ``def`` dependency in
the thread pool, and a hop there and back costs more than verifying the token.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from obcms_platform.auth.tokens import InternalTokenVerifier, InvalidTokenError, Principal, Role
from obcms_platform.errors import ForbiddenError, UnauthorizedError

logger = logging.getLogger(__name__)
# One answer for every refused token: why it was refused (the library's words) goes to the
# log, not to the caller, who learns nothing about which check to get around.
INVALID_TOKEN_MESSAGE = "invalid internal token"

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
        # Only the gateway reaches a service: a refused token means a key or clock mismatch,
        # or a forgery, either worth an operator's look.
        logger.warning("internal token refused: %s", exc)
        raise UnauthorizedError(INVALID_TOKEN_MESSAGE) from exc
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
