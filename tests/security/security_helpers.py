"""Helpers of the security suite: the operations of an app's OpenAPI document with the role
each one needs (read from its dependencies), concrete paths for them, and bad tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from inspect import getclosurevars
from typing import Any

import jwt
from fastapi import FastAPI, routing
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from obcms_platform import registry
from obcms_platform.auth import Role, require_role, sign_internal_token
from obcms_platform.auth.dev_keys import DEV_INTERNAL_PRIVATE_KEY, DEV_INTERNAL_PUBLIC_KEY
from obcms_platform.auth.tokens import SERVICE_AUDIENCES
from obcms_platform.authz import RULE_ATTRIBUTE, Rule
from obcms_platform.registry import Deployable
from obcms_platform.settings import RunMode
from obcms_platform.testing.auth import other_private_key
from obcms_platform.testing.service_fixtures import service_app

# The services behind the gateway, by name, in the registry's order.
SERVICES: dict[str, Deployable] = {service.name: service for service in registry.SERVICES}


@cache
def schema_app(name: str) -> FastAPI:
    """An app built only to read its OpenAPI document at collection time (no database)."""
    deployable = registry.by_name(name)
    return service_app(deployable, deployable.settings_type()(mode=RunMode.TEST))


# Open to anyone: probes, the gateway's aggregated health and the token endpoint (login).
PUBLIC = frozenset(
    {
        ("GET", "/healthz"),
        ("GET", "/readyz"),
        ("GET", "/health/"),
        ("POST", "/api/v1/auth/token"),
    }
)
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# Path parameter values by OpenAPI type/format; enums take their first value.
SAMPLE_VALUES = {"uuid": "5f0c3c1e-8a4b-4c39-9d1b-2f7a1e3b9c10", "date": "2026-03-02"}


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # the OpenAPI template, /api/v1/tasks/{task_id}
    spec: dict[str, Any]
    route: APIRoute
    required_role: Role | None

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def is_public(self) -> bool:
        return (self.method, self.path) in PUBLIC

    def url(self) -> str:
        """The path with a well-formed value for each path parameter."""
        path = self.path
        for parameter in self.spec.get("parameters", []):
            if parameter["in"] == "path":
                path = path.replace(f"{{{parameter['name']}}}", sample(parameter["schema"]))
        return path

    def body(self) -> dict[str, Any] | None:
        """An (empty) JSON body for operations that take one: auth is checked before it."""
        return {} if "requestBody" in self.spec else None


def sample(schema: dict[str, Any]) -> str:
    schema = next(iter(schema.get("anyOf", [])), schema)
    if "enum" in schema:
        return str(schema["enum"][0])
    return SAMPLE_VALUES.get(schema.get("format", ""), "sample")


def _dependencies(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for dependency in dependant.dependencies:
        if dependency.call is not None:
            yield dependency.call
        yield from _dependencies(dependency)


_ROLE_CHECK = require_role(Role.STAFF).__qualname__


def role_of(call: Callable[..., Any], extra_checks: dict[Callable[..., Any], Role]) -> Role | None:
    """The role a dependency demands: a `require_role` check, an `Authorize` rule that no
    ownership satisfies, or one of `extra_checks`."""
    if call in extra_checks:
        return extra_checks[call]
    rule = getattr(call, RULE_ATTRIBUTE, None)
    if isinstance(rule, Rule):
        return None if rule.owners or rule.role is Role.STAFF else rule.role
    if getattr(call, "__qualname__", None) == _ROLE_CHECK:
        role = getclosurevars(call).nonlocals["role"]
        assert isinstance(role, Role)
        return role
    return None


def required_role(route: APIRoute, extra_checks: dict[Callable[..., Any], Role]) -> Role | None:
    """The highest role any dependency of `route` demands (None: any signed-in caller)."""
    ranks = [Role.STAFF, Role.MANAGER, Role.ADMIN]
    roles = [
        role for call in _dependencies(route.dependant) if (role := role_of(call, extra_checks))
    ]
    return max(roles, key=ranks.index) if roles else None


def api_routes(app: FastAPI) -> list[APIRoute]:
    """Every APIRoute of `app`, those of included routers too, with their full paths."""
    # FastAPI keeps included routers nested; its OpenAPI generator flattens them so.
    return [
        route
        for route in routing._iter_included_route_candidates(app.routes)
        if isinstance(route, APIRoute)
    ]


def operations(
    app: FastAPI, extra_checks: dict[Callable[..., Any], Role] | None = None
) -> list[Operation]:
    """Every operation of `app`'s OpenAPI document, with its route and required role."""
    routes = {
        (method, route.path_format): route for route in api_routes(app) for method in route.methods
    }
    found = []
    for path, item in app.openapi()["paths"].items():
        for method, spec in item.items():
            route = routes[(method.upper(), path)]
            role = required_role(route, extra_checks or {})
            found.append(Operation(method.upper(), path, spec, route, role))
    return found


def _claims(**overrides: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "iss": "obcms-gateway",
        "aud": list(SERVICE_AUDIENCES),
        "sub": str(uuid.uuid4()),
        "roles": [Role.ADMIN.value],
        "iat": now,
        "exp": now + timedelta(seconds=60),
    }
    claims.update(overrides)
    return {key: value for key, value in claims.items() if value is not None}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _hs256(claims: dict[str, Any], secret: bytes) -> str:
    """An HMAC-signed JWT, built by hand: PyJWT refuses a PEM key as an HMAC secret."""
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64(json.dumps(claims, default=lambda moment: int(moment.timestamp())).encode())
    signature = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(signature)}"


def bad_internal_tokens(service: str) -> dict[str, str]:
    """Internal tokens `service` must refuse, by what is wrong with them (all claim admin;
    but for the fault named, each is one every service would accept)."""
    user = uuid.uuid4()
    admin = [Role.ADMIN]
    now = datetime.now(UTC)
    an_hour_ago = now - timedelta(hours=1)
    everyone = SERVICE_AUDIENCES
    another_service = next(name for name in SERVICE_AUDIENCES if name != service)
    return {
        "expired": sign_internal_token(
            DEV_INTERNAL_PRIVATE_KEY, user, admin, audience=everyone, now=an_hour_ago
        ),
        "signed by another key": sign_internal_token(
            other_private_key(), user, admin, audience=everyone
        ),
        "wrong issuer": sign_internal_token(
            DEV_INTERNAL_PRIVATE_KEY, user, admin, audience=everyone, issuer="evil"
        ),
        "wrong audience": jwt.encode(
            _claims(aud="someone-else"), DEV_INTERNAL_PRIVATE_KEY, algorithm="EdDSA"
        ),
        "for another service": sign_internal_token(
            DEV_INTERNAL_PRIVATE_KEY, user, admin, audience=another_service
        ),
        "valid for 100 years": jwt.encode(
            _claims(exp=now + timedelta(days=36_525)), DEV_INTERNAL_PRIVATE_KEY, algorithm="EdDSA"
        ),
        "issued in the future": jwt.encode(
            _claims(iat=now + timedelta(hours=1), exp=now + timedelta(hours=1, minutes=1)),
            DEV_INTERNAL_PRIVATE_KEY,
            algorithm="EdDSA",
        ),
        "no subject": jwt.encode(_claims(sub=None), DEV_INTERNAL_PRIVATE_KEY, algorithm="EdDSA"),
        "subject not a uuid": jwt.encode(
            _claims(sub="admin"), DEV_INTERNAL_PRIVATE_KEY, algorithm="EdDSA"
        ),
        "unknown role": jwt.encode(
            _claims(roles=["root"]), DEV_INTERNAL_PRIVATE_KEY, algorithm="EdDSA"
        ),
        # Algorithm confusion: HMAC keyed with the (public) verification key.
        "HS256 with the public key": _hs256(_claims(), DEV_INTERNAL_PUBLIC_KEY.encode()),
        "unsigned (alg none)": jwt.encode(_claims(), None, algorithm="none"),
        "not a JWT": "not-a-token",
    }
