"""``GET /api/v1/openapi.json``: the whole public API in one OpenAPI document, as a client
of the gateway sees it: the gateway's own routes and every deployed service's, which the
gateway forwards under the same ``/api/v1`` paths. An integrator reaches the services only
through the gateway, so the services' own descriptions (each at its ``/openapi.json``, inside
the cluster) would leave them guessing.

Served when the gateway serves its own description (`GatewaySettings.serves_api_docs`: on in
development and tests, off in production unless asked). A schema two documents name alike
but describe differently is renamed after its service (``tasks__Page``), with the references
to it; a service that does not answer is left out and named in the document's description.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from gateway_service.proxy.clients import BackendClients
from obcms_platform.app import API_PREFIX
from obcms_platform.errors import AppError, NotFoundError

SCHEMAS_REF = "#/components/schemas/"

router = APIRouter(include_in_schema=False)


@router.get(f"{API_PREFIX}/openapi.json")
async def whole_api(request: Request) -> JSONResponse:
    if request.app.openapi_url is None:  # the gateway describes nothing here
        raise NotFoundError("page", request.url.path)
    backends: BackendClients = request.app.state.backends
    document = json.loads(json.dumps(request.app.openapi()))  # a copy to add to
    # The API alone: not the gateway's probes.
    document["paths"] = {
        path: operations
        for path, operations in document["paths"].items()
        if path.startswith(f"{API_PREFIX}/")
    }
    missing = []
    for service in sorted(backends.deployed):
        described = await service_description(backends, service)
        if described is None:
            missing.append(service)
        else:
            _add(document, service, described)
    document["info"]["title"] = "OBCMS API"
    if missing:
        document["info"]["description"] = (
            f"Not described: the {', '.join(missing)} service{'s' if len(missing) > 1 else ''} "
            "did not answer; their routes are still served."
        )
    return JSONResponse(document)


async def service_description(backends: BackendClients, service: str) -> dict[str, Any] | None:
    """`service`'s own OpenAPI document; None when it does not give one."""
    try:
        answer = await backends.forward(service, "GET", "/openapi.json", [], b"")
        try:
            await answer.aread()
        finally:
            await answer.aclose()
    except AppError:  # down: a 503 of its own
        return None
    if answer.status_code != 200:
        return None
    found: dict[str, Any] = json.loads(answer.content)
    return found


def _add(document: dict[str, Any], service: str, described: dict[str, Any]) -> None:
    """`described`'s API paths and schemas into `document` (a schema that clashes with one
    already there renamed after `service`, its references too)."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    theirs: dict[str, Any] = described.get("components", {}).get("schemas", {})
    renamed = {
        name: f"{service}__{name}"
        for name, schema in theirs.items()
        if name in schemas and schemas[name] != schema
    }
    text = json.dumps(described)
    for old, new in renamed.items():
        text = text.replace(f'"{SCHEMAS_REF}{old}"', f'"{SCHEMAS_REF}{new}"')
    described = json.loads(text)
    for name, schema in described.get("components", {}).get("schemas", {}).items():
        schemas[renamed.get(name, name)] = schema
    schemes = described.get("components", {}).get("securitySchemes", {})
    for name, scheme in schemes.items():
        document["components"].setdefault("securitySchemes", {}).setdefault(name, scheme)
    paths = document.setdefault("paths", {})
    for path, operations in described.get("paths", {}).items():
        if path.startswith(f"{API_PREFIX}/"):  # not its probes, metrics or docs
            paths.setdefault(path, operations)
