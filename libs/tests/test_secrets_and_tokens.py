"""Production refuses the development key however it is written; internal tokens are bounded
in time, addressed to one service, and refused with one fixed message."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from pydantic import ValidationError

from obcms_platform.app import create_service_app
from obcms_platform.auth.dev_keys import DEV_INTERNAL_PRIVATE_KEY, DEV_INTERNAL_PUBLIC_KEY
from obcms_platform.auth.tokens import MAX_TOKEN_LIFETIME
from obcms_platform.devstack.embedded import free_port
from obcms_platform.settings import RunMode
from obcms_platform.testing import PostgresServer
from obcms_platform.testing.auth import other_private_key

from .conftest import ExampleSettings, example_router

WHOAMI = "/api/v1/widgets/whoami"

DEV_PUBLIC_KEY_VARIANTS = {
    "without its trailing newline": DEV_INTERNAL_PUBLIC_KEY.rstrip("\n"),
    "with CRLF line ends": DEV_INTERNAL_PUBLIC_KEY.replace("\n", "\r\n"),
    "with a leading space": " " + DEV_INTERNAL_PUBLIC_KEY,
    "with surrounding blank lines": "\n\n" + DEV_INTERNAL_PUBLIC_KEY + "\n  \n",
}


def public_pem(private: Ed25519PrivateKey) -> str:
    return (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@pytest.mark.parametrize(
    "written", DEV_PUBLIC_KEY_VARIANTS.values(), ids=list(DEV_PUBLIC_KEY_VARIANTS)
)
def test_production_refuses_the_dev_public_key_however_it_is_written(monkeypatch, written):
    monkeypatch.setenv("OBCMS_EXAMPLE_MODE", "production")
    monkeypatch.setenv("OBCMS_EXAMPLE_INTERNAL_TOKEN_PUBLIC_KEY", written)
    with pytest.raises(
        ValidationError, match="OBCMS_EXAMPLE_INTERNAL_TOKEN_PUBLIC_KEY is the development default"
    ):
        ExampleSettings()


@pytest.mark.parametrize("mode", [RunMode.PRODUCTION, RunMode.DEV])
@pytest.mark.parametrize(
    "garbage",
    [
        "not a key",
        "-----BEGIN PUBLIC KEY-----\nnot-base64\n-----END PUBLIC KEY-----\n",
        DEV_INTERNAL_PRIVATE_KEY,  # the private half where the public one belongs
    ],
)
def test_a_public_key_that_does_not_parse_is_refused_naming_the_variable(
    monkeypatch, mode, garbage
):
    monkeypatch.setenv("OBCMS_EXAMPLE_MODE", mode.value)
    monkeypatch.setenv("OBCMS_EXAMPLE_INTERNAL_TOKEN_PUBLIC_KEY", garbage)
    with pytest.raises(ValidationError, match="OBCMS_EXAMPLE_INTERNAL_TOKEN_PUBLIC_KEY") as error:
        ExampleSettings()
    assert "Ed25519 public key" in str(error.value)


def test_production_accepts_another_key_written_loosely(monkeypatch):
    real = public_pem(Ed25519PrivateKey.generate())
    monkeypatch.setenv("OBCMS_EXAMPLE_MODE", "production")
    monkeypatch.setenv("OBCMS_EXAMPLE_INTERNAL_TOKEN_PUBLIC_KEY", " " + real.replace("\n", "\r\n"))
    assert ExampleSettings().mode is RunMode.PRODUCTION


# --- internal tokens, as a service sees them ------------------------------------------------


def claims(**overrides: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    values: dict[str, Any] = {
        "iss": "obcms-gateway",
        "aud": "example",
        "sub": str(uuid.uuid4()),
        "roles": ["admin"],
        "iat": now,
        "exp": now + timedelta(seconds=60),
    }
    values.update(overrides)
    return values


def bearer(token_claims: dict[str, Any], key: str = DEV_INTERNAL_PRIVATE_KEY) -> dict[str, str]:
    return {"Authorization": f"Bearer {jwt.encode(token_claims, key, algorithm='EdDSA')}"}


def test_the_service_accepts_a_token_addressed_to_it(example_client):
    assert example_client.get(WHOAMI, headers=bearer(claims())).status_code == 200
    # A list audience naming the service (the development helpers sign those) is accepted.
    listed = claims(aud=["tasks", "example"])
    assert example_client.get(WHOAMI, headers=bearer(listed)).status_code == 200


def test_a_token_at_the_longest_lifetime_is_accepted(example_client):
    now = datetime.now(UTC)
    longest = claims(iat=now, exp=now + MAX_TOKEN_LIFETIME)
    assert example_client.get(WHOAMI, headers=bearer(longest)).status_code == 200


BAD_TOKENS = {
    "valid for 100 years": lambda now: claims(iat=now, exp=now + timedelta(days=36_525)),
    "valid for a day": lambda now: claims(iat=now, exp=now + timedelta(days=1)),
    "issued in the future": lambda now: claims(
        iat=now + timedelta(hours=1), exp=now + timedelta(hours=1, seconds=60)
    ),
    "for another service": lambda now: claims(aud="tasks"),
    "for the old shared audience": lambda now: claims(aud="obcms-services"),
}


@pytest.mark.parametrize("make_claims", BAD_TOKENS.values(), ids=list(BAD_TOKENS))
def test_the_service_refuses_a_bad_token_with_one_fixed_message(example_client, make_claims):
    response = example_client.get(WHOAMI, headers=bearer(make_claims(datetime.now(UTC))))
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "invalid internal token"


def test_library_error_text_stays_out_of_the_401(example_client):
    other_key = other_private_key()
    expired = claims(
        iat=datetime.now(UTC) - timedelta(hours=1),
        exp=datetime.now(UTC) - timedelta(minutes=50),
    )
    for headers in (
        bearer(claims(), other_key),
        bearer(expired),
        {"Authorization": "Bearer not.a.token"},
    ):
        response = example_client.get(WHOAMI, headers=headers)
        assert response.status_code == 401
        assert response.json()["error"]["message"] == "invalid internal token"


# --- metrics on their own port ---------------------------------------------------------------


def test_with_a_metrics_port_the_metrics_leave_the_main_port(
    postgres_server: PostgresServer, redis_url
):
    port = free_port()
    settings = ExampleSettings(
        database_url=postgres_server.url("postgres"),
        redis_url=redis_url,
        mode=RunMode.TEST,
        metrics_port=port,
    )
    app = create_service_app(settings, title="example", routers=[example_router])
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/healthz").status_code == 200
        assert client.get("/metrics").status_code == 404
        scraped = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
        assert scraped.status_code == 200
        assert (
            'obcms_http_requests_total{method="GET",route="/healthz",service="example"'
            in scraped.text
        )
    with pytest.raises(httpx.TransportError):  # stopped with the app
        httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2)
