"""The registry (`obcms_platform.registry`) against what the deployables and the chart are:
their packages, settings classes, OpenAPI documents and the chart's per-service values."""

from __future__ import annotations

import importlib
import importlib.util
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi import FastAPI

from gateway_service.proxy.routes import ROUTE_TABLE
from gateway_service.settings import GatewaySettings
from obcms_platform import migrations
from obcms_platform.app import API_PREFIX
from obcms_platform.registry import DEPLOYABLES, GATEWAY, SERVICES, Deployable
from obcms_platform.settings import RunMode, ServiceSettings

VALUES = Path(__file__).resolve().parents[1] / "charts" / "obcms" / "values.yaml"
NAMES = {deployable.name for deployable in DEPLOYABLES}


@cache
def _values() -> dict[str, Any]:
    values: dict[str, Any] = yaml.safe_load(VALUES.read_text())
    return values


@cache
def _service_app(name: str) -> FastAPI:
    service = next(s for s in SERVICES if s.name == name)
    app: FastAPI = importlib.import_module(f"{service.package}.app").create_app(
        service.settings_type()(mode=RunMode.TEST)
    )
    return app


def _resources(app: FastAPI) -> set[str]:
    """The first path segments under /api/v1 that `app` serves."""
    return {
        path.removeprefix(f"{API_PREFIX}/").split("/", 1)[0]
        for path in app.openapi()["paths"]
        if path.startswith(f"{API_PREFIX}/")
    }


def test_chart_per_service_values_name_exactly_the_deployables() -> None:
    values = _values()
    assert set(values["apis"]) == NAMES
    assert set(values["database"]["keys"]) == NAMES
    assert set(values["database"]["urls"]) == NAMES
    assert set(values["workers"]) == {d.name for d in DEPLOYABLES if d.has_worker}
    assert set(values["relay"]["sources"]) == {d.name for d in DEPLOYABLES if d.publishes}


def test_every_proxied_resource_is_served_by_its_service() -> None:
    for resource, service in ROUTE_TABLE.items():
        assert resource in _resources(_service_app(service)), f"{service} has no /{resource}"


@pytest.mark.parametrize("deployable", DEPLOYABLES, ids=lambda d: d.name)
def test_settings_class_is_the_deployables(deployable: Deployable) -> None:
    settings = deployable.settings_type()
    assert settings.env_prefix == deployable.env_prefix
    assert settings.service_name == deployable.name
    assert settings.__module__.split(".", 1)[0] == deployable.package
    # Its default database is the one the registry names (dev stack, obcmsctl, the chart).
    default_url = settings.model_fields["database_url"].default
    assert default_url.rsplit("/", 1)[1] == deployable.database


@pytest.mark.parametrize("deployable", DEPLOYABLES, ids=lambda d: d.name)
def test_package_has_a_command_line_and_a_migration_history(deployable: Deployable) -> None:
    """The dev stack runs ``python -m <package>.cli``; obcmsctl migrates <package>:migrations."""
    assert importlib.util.find_spec(f"{deployable.package}.cli") is not None
    assert migrations.head_revision(deployable.package)


def test_gateway_settings_have_exactly_the_backend_fields_the_registry_implies() -> None:
    """One URL and one timeout per service, one feed timeout per feed source (the variables
    OBCMS_GATEWAY_<SERVICE>_URL ... that the chart and operators set)."""
    fields = GatewaySettings.model_fields
    own = set(fields) - set(ServiceSettings.model_fields)  # the shared ones: database, redis...
    urls = {name.removesuffix("_url") for name in own if name.endswith("_url")}
    assert urls == {s.name for s in SERVICES}
    feed_timeouts = {
        name.removesuffix("_feed_timeout_seconds")
        for name in own
        if name.endswith("_feed_timeout_seconds")
    }
    assert feed_timeouts == {s.name for s in SERVICES if s.feed_modules}
    for service in SERVICES:
        assert fields[f"{service.name}_url"].default == service.default_url
        assert f"{service.name}_timeout_seconds" in fields
    assert fields["port"].default == GATEWAY.default_port
