"""Production hardening: HTTPS redirect, HSTS, secure cookies, headers, hosts, check-deploy."""

from __future__ import annotations

import pytest
from gateway_helpers import ADMIN_PASSWORD, HOST, production, real_keys
from pydantic import ValidationError
from typer.testing import CliRunner

from gateway_service.app import create_app
from gateway_service.cli import app as cli
from gateway_service.security.checks import deploy_problems
from gateway_service.settings import GatewaySettings
from obcms_platform.settings import InsecureSettingsError, RunMode


def test_every_response_carries_the_security_headers(in_process):
    response = in_process().get("/accounts/login/")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "same-origin"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert "strict-transport-security" not in response.headers  # plain HTTP in test mode


def test_production_redirects_http_to_https(in_process):
    client = in_process(base_url=f"http://{HOST}", **production())
    response = client.get("/oobc-management/staff/tasks/?status=completed")
    assert response.status_code == 308
    assert response.headers["location"] == (
        f"https://{HOST}/oobc-management/staff/tasks/?status=completed"
    )


def test_behind_a_trusted_proxy_https_is_honoured_with_hsts_and_secure_cookies(in_process):
    # The TestClient's peer is "testclient"; production refuses "*".
    client = in_process(base_url=f"http://{HOST}", **production(trusted_proxies=["testclient"]))
    https = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
    page = client.get("/accounts/login/", headers=https)
    assert page.status_code == 200
    assert page.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
    csrf_cookie = page.headers["set-cookie"]
    assert csrf_cookie.startswith("csrftoken=")
    assert "Secure" in csrf_cookie
    response = client.post(
        "/accounts/login/",
        data={"username": "admin", "password": ADMIN_PASSWORD},
        headers=https,
    )
    assert response.status_code == 303
    session = next(c for c in response.headers.get_list("set-cookie") if c.startswith("sessionid="))
    assert "Secure" in session
    assert "HttpOnly" in session
    assert "SameSite=lax" in session


def test_forwarded_headers_from_an_untrusted_peer_are_ignored(in_process):
    client = in_process(base_url=f"http://{HOST}", **production())  # trusts 127.0.0.1 only
    response = client.get("/accounts/login/", headers={"X-Forwarded-Proto": "https"})
    assert response.status_code == 308


def test_probes_skip_the_redirect_and_the_host_check(in_process):
    client = in_process(base_url="http://10.1.2.3:8000", **production())
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert client.get("/metrics").status_code == 200


def test_unknown_hosts_are_refused(in_process):
    client = in_process(base_url="https://attacker.example", **production())
    assert client.get("/accounts/login/").status_code == 400


def test_check_deploy_lists_every_insecure_setting():
    problems = deploy_problems(GatewaySettings(mode=RunMode.TEST, session_cookie_secure=False))
    text = "\n".join(problems)
    for expected in (
        "OBCMS_GATEWAY_MODE",
        "INTERNAL_TOKEN_PRIVATE_KEY is the development default",
        "INTERNAL_TOKEN_PUBLIC_KEY is the development default",
        "SECRET_KEY is the development default",
        "ALLOWED_HOSTS is empty",
        "SECURE_SSL_REDIRECT is off",
        "SESSION_COOKIE_SECURE is off",
        "CSRF_COOKIE_SECURE is off",
        "SECURE_HSTS_SECONDS",
    ):
        assert expected in text, expected
    assert deploy_problems(GatewaySettings(**production())) == []


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ({"session_cookie_secure": False}, "SESSION_COOKIE_SECURE"),
        ({"csrf_cookie_secure": False}, "CSRF_COOKIE_SECURE"),
        ({"secure_ssl_redirect": False}, "SECURE_SSL_REDIRECT"),
        ({"secure_hsts_seconds": 3600}, "SECURE_HSTS_SECONDS"),
        ({"allowed_hosts": ["*"]}, "ALLOWED_HOSTS"),
        ({"secret_key": "short"}, "SECRET_KEY"),
        ({"argon2_memory_cost_kib": 1024}, "ARGON2"),
    ],
)
def test_production_refuses_to_start_with_an_insecure_setting(override, named):
    with pytest.raises(InsecureSettingsError, match=named):
        create_app(GatewaySettings(**production(**override)))


def test_production_refuses_the_dev_signing_key():
    _, public = real_keys()
    with pytest.raises(ValidationError, match="INTERNAL_TOKEN_PRIVATE_KEY"):
        GatewaySettings(
            mode=RunMode.PRODUCTION, internal_token_public_key=public, secret_key="s" * 64
        )


def test_check_deploy_command(monkeypatch):
    runner = CliRunner()
    monkeypatch.setenv("OBCMS_MODE", "production")
    refused = runner.invoke(cli, ["check-deploy"])
    assert refused.exit_code == 1
    assert "development default" in refused.output
    private, public = real_keys()
    for name, value in {
        "OBCMS_GATEWAY_INTERNAL_TOKEN_PRIVATE_KEY": private,
        "OBCMS_INTERNAL_TOKEN_PUBLIC_KEY": public,
        "OBCMS_GATEWAY_SECRET_KEY": "C74C1Al9nJQuadytkAyemwMz-39MzJq3VWyue-zes_rvNmD2woIup7u",
        "OBCMS_UNSUBSCRIBE_SECRET": "wq8Vb3LrZtX0n6Pk1JdYc9HfMs4UaGe7o2TiRyQ5lBhNvK-DxW_Ej",
    }.items():
        monkeypatch.setenv(name, value)
    no_hosts = runner.invoke(cli, ["check-deploy"])
    assert no_hosts.exit_code == 1
    assert "ALLOWED_HOSTS is empty" in no_hosts.output
    monkeypatch.setenv("OBCMS_GATEWAY_ALLOWED_HOSTS", f"{HOST}, www.{HOST}")
    passed = runner.invoke(cli, ["check-deploy"])
    assert passed.exit_code == 0, passed.output
    assert "no problems found" in passed.output
