"""Maintenance mode (stored in Redis, env default) and the aggregated health endpoint."""

from __future__ import annotations

from gateway_helpers import ADMIN_PASSWORD, login, token_for


def test_health_reports_database_cache_and_each_service(make_client):
    response = make_client().get("/health/")
    assert response.status_code == 200
    assert response.json() == {
        "status": "healthy",
        "database": "ok",
        "cache": "ok",
        "services": {"tasks": "ok", "portfolio": "ok"},
    }


def test_probes_and_metrics_answer(make_client):
    client = make_client()
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "redis": "ok"}
    metrics = client.get("/metrics")
    assert metrics.status_code == 200
    assert 'obcms_http_requests_total{method="GET",route="/readyz",service="gateway"' in (
        metrics.text
    )


def test_maintenance_on_and_off(make_client, admin_headers, staff):
    client = make_client()
    browser = make_client()
    assert login(browser, "admin", ADMIN_PASSWORD).status_code == 303
    assert client.get("/api/v1/admin/maintenance", headers=admin_headers).json() == {
        "enabled": False,
        "message": "OBCMS is undergoing scheduled maintenance. Please come back soon.",
    }
    switched = client.put(
        "/api/v1/admin/maintenance",
        json={"enabled": True, "message": "Upgrading to 2.0"},
        headers=admin_headers,
    )
    assert switched.status_code == 200
    assert switched.json() == {"enabled": True, "message": "Upgrading to 2.0"}

    page = browser.get("/oobc-management/staff/tasks/")
    assert page.status_code == 503
    assert "Scheduled Maintenance" in page.text
    assert "Upgrading to 2.0" in page.text
    assert int(page.headers["retry-after"]) > 0
    assert browser.get("/accounts/login/").status_code == 503
    api = client.get("/api/v1/tasks", headers=staff["headers"])
    assert api.status_code == 503
    assert api.json()["error"]["code"] == "maintenance"
    assert "retry-after" in api.headers
    for path in ("/healthz", "/readyz", "/metrics", "/health/"):
        assert client.get(path).status_code == 200, path
    # An operator can still get a token and read or flip the switch.
    operator = token_for(make_client(), "admin", ADMIN_PASSWORD)
    assert client.get("/api/v1/admin/maintenance", headers=operator).json()["enabled"] is True

    off = client.put("/api/v1/admin/maintenance", json={"enabled": False}, headers=operator)
    assert off.status_code == 200
    assert off.json()["enabled"] is False
    assert browser.get("/oobc-management/staff/tasks/").status_code == 200
    assert client.get("/api/v1/tasks", headers=staff["headers"]).status_code == 200


def test_the_environment_default_applies_until_an_admin_switches(in_process):
    client = in_process(maintenance_mode=True, maintenance_message="Back at noon")
    page = client.get("/accounts/login/")
    assert page.status_code == 503
    assert "Back at noon" in page.text
    assert client.get("/health/").status_code == 200
    headers = token_for(client, "admin", ADMIN_PASSWORD)
    assert client.get("/api/v1/admin/maintenance", headers=headers).json()["enabled"] is True
    client.put("/api/v1/admin/maintenance", json={"enabled": False}, headers=headers)
    assert client.get("/accounts/login/").status_code == 200


def test_maintenance_switch_validates_its_input(make_client, admin_headers):
    response = make_client().put(
        "/api/v1/admin/maintenance", json={"enabled": "sometimes"}, headers=admin_headers
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "enabled"
