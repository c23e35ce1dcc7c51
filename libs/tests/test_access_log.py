"""The access log names what was asked for, but never a credential in the path."""

from __future__ import annotations

import logging

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from obcms_platform.metrics import RequestTelemetryMiddleware


def _app() -> FastAPI:
    app = FastAPI()

    @app.get("/calendar/ics/{token}/mine.ics")
    def subscription(token: str) -> dict[str, str]:
        return {"ok": "yes"}

    @app.get("/items/{item_id}")
    def item(item_id: str) -> dict[str, str]:
        return {"id": item_id}

    app.add_middleware(RequestTelemetryMiddleware, service="under-test")
    return app


def test_a_secret_path_parameter_is_logged_as_its_template(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="obcms.access"), TestClient(_app()) as client:
        assert client.get("/calendar/ics/s3cr3t-token-value/mine.ics").status_code == 200
        assert client.get("/items/visible-id").status_code == 200
    lines = [record.getMessage() for record in caplog.records if record.name == "obcms.access"]
    assert lines == [
        "GET /calendar/ics/{token}/mine.ics 200",
        "GET /items/visible-id 200",
    ]
