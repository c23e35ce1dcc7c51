"""Internal authentication: signing helper for the gateway/tests, verification for services."""

from obcms_platform.auth.dependencies import CurrentPrincipal, require_role
from obcms_platform.auth.tokens import (
    InternalTokenVerifier,
    InvalidTokenError,
    Principal,
    Role,
    sign_internal_token,
)

__all__ = [
    "CurrentPrincipal",
    "InternalTokenVerifier",
    "InvalidTokenError",
    "Principal",
    "Role",
    "require_role",
    "sign_internal_token",
]
