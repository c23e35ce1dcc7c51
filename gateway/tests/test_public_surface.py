"""What the gateway shows the internet: metrics and the API description stay off the public
port in production, signed-in answers are never stored by a cache, each backend gets a token
for itself alone, and check-deploy judges secrets by value."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import uuid

import httpx
import jwt
import pytest
from gateway_helpers import ADMIN_PASSWORD, HOST, production, real_keys, signed_in
from typer.testing import CliRunner

from gateway_service.auth.identity import Identity
from gateway_service.proxy.clients import BackendClients
from gateway_service.settings import DEV_SECRET_KEY
from gateway_service.static_files import static_url
from obcms_platform.auth import Role
from obcms_platform.auth.dev_keys import DEV_INTERNAL_PRIVATE_KEY
from obcms_platform.devstack.embedded import free_port
from obcms_platform.unsubscribe import DEV_UNSUBSCRIBE_SECRET

# --- metrics and the API description ---------------------------------------------------------


def test_production_serves_metrics_on_their_own_port_only(in_process):
    port = free_port()
    client = in_process(base_url=f"https://{HOST}", **production(metrics_port=port))
    assert client.get("/healthz").status_code == 200
    assert client.get("/metrics").status_code == 404
    scraped = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
    assert scraped.status_code == 200
    assert (
        'obcms_http_requests_total{method="GET",route="/healthz",service="gateway"' in scraped.text
    )


def test_the_whole_api_is_described_in_one_document(make_client):
    """An integrator sees every route the gateway serves under /api/v1 in one document: the
    gateway's own and the services' it forwards (their probes and metrics are not among them),
    every schema a reference names present."""
    whole = make_client().get("/api/v1/openapi.json")
    assert whole.status_code == 200
    document = whole.json()
    paths = document["paths"]
    for path in ("/api/v1/auth/token", "/api/v1/tasks", "/api/v1/ppas", "/api/v1/ppas/{ppa_id}"):
        assert path in paths, path
    assert all(path.startswith("/api/v1/") for path in paths)
    named = set(re.findall(r'"#/components/schemas/([^"]+)"', whole.text))
    assert named
    assert named <= document["components"]["schemas"].keys()


def test_production_keeps_the_api_description_off_unless_asked(in_process):
    client = in_process(base_url=f"https://{HOST}", **production())
    for path in ("/openapi.json", "/api/v1/openapi.json", "/docs", "/redoc"):
        assert client.get(path).status_code == 404, path
    opted_in = in_process(base_url=f"https://{HOST}", **production(api_docs=True))
    assert opted_in.get("/openapi.json").status_code == 200


def test_dev_and_test_modes_keep_metrics_and_the_description_on_the_main_port(in_process):
    client = in_process()
    assert client.get("/metrics").status_code == 200
    assert client.get("/openapi.json").status_code == 200


# --- no-store -----------------------------------------------------------------------------


def test_signed_in_answers_are_never_stored(make_client):
    client = make_client()
    token = client.post(
        "/api/v1/auth/token", data={"username": "admin", "password": ADMIN_PASSWORD}
    )
    assert token.status_code == 200, token.text
    assert token.headers["cache-control"] == "no-store"
    bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
    for path in ("/api/v1/users/me", "/api/v1/tasks"):  # the gateway's own, a proxied one
        response = client.get(path, headers=bearer)
        assert response.status_code == 200, path
        assert response.headers["cache-control"] == "no-store", path

    browser = signed_in(make_client(), "admin", ADMIN_PASSWORD)
    page = browser.get("/oobc-management/staff/tasks/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-store"


def test_static_files_keep_their_own_caching(make_client):
    client = make_client()
    versioned = client.get(static_url("obcms.css"))
    assert versioned.headers["cache-control"] == "public, max-age=31536000, immutable"
    plain = client.get("/static/obcms.css")
    assert plain.status_code == 200
    assert "no-store" not in plain.headers.get("cache-control", "")


def test_the_site_icon_is_served_to_pages_and_to_browsers_that_ask_for_it(make_client):
    client = make_client()
    login = client.get("/accounts/login/")
    icon_url = re.search(r'<link rel="icon" type="image/svg\+xml" href="([^"]+)"', login.text)
    assert icon_url, "the page links no icon"
    linked = client.get(icon_url.group(1))
    asked = client.get("/favicon.ico")  # what a browser asks for a PDF or a JSON answer
    for answer in (linked, asked):
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("image/svg+xml")
        assert answer.content.startswith(b"<svg")
    assert "no-store" not in asked.headers["cache-control"]


# --- one internal token per backend ---------------------------------------------------------


def test_each_backend_gets_a_token_valid_for_it_alone(
    make_settings, tasks_backend, portfolio_backend
):
    backends = BackendClients(make_settings())
    caller = Identity(id=uuid.uuid4(), username="someone", full_name="", role=Role.STAFF)
    for_tasks = backends.internal_headers("tasks", caller)
    for_portfolio = backends.internal_headers("portfolio", caller)
    assert backends.internal_headers("tasks", caller) == for_tasks  # reused, not re-signed
    assert for_portfolio != for_tasks
    assert httpx.get(f"{tasks_backend}/api/v1/tasks", headers=for_tasks).status_code == 200
    assert httpx.get(f"{portfolio_backend}/api/v1/ppas", headers=for_portfolio).status_code == 200
    # A token captured on its way to the tasks service opens nothing at the portfolio service.
    captured = httpx.get(f"{portfolio_backend}/api/v1/ppas", headers=for_tasks)
    assert captured.status_code == 401
    assert captured.json()["error"]["message"] == "invalid internal token"
    # A person's zone goes with their requests: what "today" is for them, in which time a
    # refusal names a time.
    in_london = Identity(
        id=caller.id, username="someone", full_name="", role=Role.STAFF, time_zone="Europe/London"
    )
    token = backends.internal_headers("tasks", in_london)["Authorization"].removeprefix("Bearer ")
    assert jwt.decode(token, options={"verify_signature": False})["tz"] == "Europe/London"


# --- check-deploy judges secrets by value ---------------------------------------------------


def check_deploy(monkeypatch: pytest.MonkeyPatch, **env: str) -> tuple[int, str]:
    private, public = real_keys()
    values = {
        "OBCMS_MODE": "production",
        "OBCMS_GATEWAY_INTERNAL_TOKEN_PRIVATE_KEY": private,
        "OBCMS_INTERNAL_TOKEN_PUBLIC_KEY": public,
        "OBCMS_GATEWAY_SECRET_KEY": secrets.token_urlsafe(48),
        "OBCMS_UNSUBSCRIBE_SECRET": secrets.token_urlsafe(48),
        "OBCMS_GATEWAY_ALLOWED_HOSTS": HOST,
        "OBCMS_GATEWAY_ARGON2_TIME_COST": "2",
        "OBCMS_GATEWAY_ARGON2_MEMORY_COST_KIB": "19456",
    }
    values.update(env)
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    from gateway_service.cli import app as cli  # here: its import reads the settings

    result = CliRunner().invoke(cli, ["check-deploy"])
    return result.exit_code, result.output


def test_check_deploy_passes_real_secrets(monkeypatch):
    code, output = check_deploy(monkeypatch)
    assert code == 0, output
    # A hexadecimal key (openssl rand -hex 32) is as good as any.
    code, output = check_deploy(monkeypatch, OBCMS_GATEWAY_SECRET_KEY=secrets.token_hex(32))
    assert code == 0, output


@pytest.mark.parametrize(
    ("env", "named"),
    [
        (
            {"OBCMS_GATEWAY_INTERNAL_TOKEN_PRIVATE_KEY": DEV_INTERNAL_PRIVATE_KEY.rstrip("\n")},
            "OBCMS_GATEWAY_INTERNAL_TOKEN_PRIVATE_KEY is the development default",
        ),
        (
            {
                "OBCMS_GATEWAY_INTERNAL_TOKEN_PRIVATE_KEY": DEV_INTERNAL_PRIVATE_KEY.replace(
                    "\n", "\r\n"
                )
            },
            "OBCMS_GATEWAY_INTERNAL_TOKEN_PRIVATE_KEY is the development default",
        ),
        (
            {"OBCMS_GATEWAY_INTERNAL_TOKEN_PRIVATE_KEY": "-----BEGIN PRIVATE KEY-----\nnope\n"},
            "OBCMS_GATEWAY_INTERNAL_TOKEN_PRIVATE_KEY is not a PEM Ed25519 private key",
        ),
        (
            {"OBCMS_GATEWAY_SECRET_KEY": DEV_SECRET_KEY + " "},
            "OBCMS_GATEWAY_SECRET_KEY is the development default",
        ),
        ({"OBCMS_GATEWAY_SECRET_KEY": "a" * 50}, "OBCMS_GATEWAY_SECRET_KEY is too predictable"),
        (
            {"OBCMS_GATEWAY_SECRET_KEY": "0123456789" * 6},
            "OBCMS_GATEWAY_SECRET_KEY is too predictable",
        ),
        (
            {"OBCMS_GATEWAY_SECRET_KEY": "correct-horse-" * 5},
            "OBCMS_GATEWAY_SECRET_KEY is too predictable",
        ),
        (
            {"OBCMS_GATEWAY_SECRET_KEY": "   " + secrets.token_urlsafe(30) + "   "},
            "OBCMS_GATEWAY_SECRET_KEY must be at least 50 characters",
        ),
        (
            {"OBCMS_UNSUBSCRIBE_SECRET": DEV_UNSUBSCRIBE_SECRET},
            "OBCMS_GATEWAY_UNSUBSCRIBE_SECRET is the development default",
        ),
        (
            {"OBCMS_UNSUBSCRIBE_SECRET": "0123456789" * 6},
            "OBCMS_GATEWAY_UNSUBSCRIBE_SECRET is too predictable",
        ),
    ],
    ids=[
        "dev private key without its newline",
        "dev private key with CRLF",
        "a private key that does not parse",
        "dev SECRET_KEY plus a space",
        "SECRET_KEY of 50 a",
        "SECRET_KEY of a repeated sequence",
        "SECRET_KEY of a repeated phrase",
        "SECRET_KEY short once stripped",
        "dev UNSUBSCRIBE_SECRET",
        "UNSUBSCRIBE_SECRET of a repeated sequence",
    ],
)
def test_check_deploy_refuses_weak_or_development_secrets(monkeypatch, env, named):
    code, output = check_deploy(monkeypatch, **env)
    assert code == 1, output
    assert named in output


def test_check_deploy_in_a_fresh_process_names_the_bad_setting_without_a_traceback():
    """What an operator runs: `obcms-gateway check-deploy` as its own process, with the
    development keys left in a production configuration, says which setting is wrong in
    one line (the command line once read every setting while it was being built, and a
    refused one ended it with a Python traceback before the check could run)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("OBCMS_")}
    env.update(
        {
            "OBCMS_MODE": "production",
            "OBCMS_GATEWAY_SECRET_KEY": secrets.token_urlsafe(48),
            "OBCMS_GATEWAY_ALLOWED_HOSTS": HOST,
        }
    )
    done = subprocess.run(
        [sys.executable, "-m", "gateway_service.cli", "check-deploy"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "ERROR:" in done.stderr
    assert "is the development default" in done.stderr
