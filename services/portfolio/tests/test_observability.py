"""Credentials, metrics, readiness and tracing of the portfolio service."""

from __future__ import annotations

import uuid
from datetime import timedelta

from fastapi.testclient import TestClient

from obcms_platform import registry
from obcms_platform.auth import Role, sign_internal_token
from obcms_platform.auth.dev_keys import DEV_INTERNAL_PRIVATE_KEY
from obcms_platform.devstack.embedded import free_port
from obcms_platform.settings import RunMode
from obcms_platform.testing import assert_error
from obcms_platform.testing.auth import other_private_key
from obcms_platform.testing.processes import Collector
from obcms_platform.testing.service_probes import assert_traced_and_logged
from portfolio_service.app import create_app
from portfolio_service.settings import PortfolioSettings

from .helpers import ASSESSMENTS, DASHBOARD, NEEDS, PPAS, create_ppa


def forged_headers(user_id: uuid.UUID) -> dict[str, str]:
    """A well-formed token signed with a key the service does not trust."""
    token = sign_internal_token(other_private_key(), user_id, [Role.ADMIN], audience="portfolio")
    return {"Authorization": f"Bearer {token}"}


def test_every_api_route_needs_a_valid_token(client, staff):
    ppa = create_ppa(client, staff)
    pid = ppa["id"]
    expired = sign_internal_token(
        DEV_INTERNAL_PRIVATE_KEY,
        uuid.uuid4(),
        [Role.ADMIN],
        audience="portfolio",
        ttl=timedelta(minutes=-10),
    )
    bad_headers = [
        {},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": "Basic YWRtaW46YWRtaW4="},
        {"Authorization": f"Bearer {expired}"},
        forged_headers(staff.user_id),
    ]
    calls = [
        ("GET", PPAS, None),
        ("POST", PPAS, {"title": "t", "category": "oobc_ppa"}),
        ("GET", f"{PPAS}/{pid}", None),
        ("PATCH", f"{PPAS}/{pid}", {"title": "hacked"}),
        ("DELETE", f"{PPAS}/{pid}", None),
        ("GET", f"{PPAS}/{pid}/workflow", None),
        ("POST", f"{PPAS}/{pid}/approval", {"to": "technical_review"}),
        (
            "POST",
            f"{PPAS}/{pid}/funding",
            {"tranche_type": "allocation", "amount": 1, "date": "2026-01-01"},
        ),
        ("GET", ASSESSMENTS, None),
        ("GET", NEEDS, None),
        ("GET", DASHBOARD, None),
    ]
    for headers in bad_headers:
        for method, url, body in calls:
            response = client.request(method, url, json=body, headers=headers)
            assert_error(response, 401)
    stored = client.get(f"{PPAS}/{pid}", headers=staff.headers).json()
    assert (stored["title"], stored["approval_status"], stored["version"]) == ("A PPA", "draft", 1)
    assert client.get(PPAS, headers=staff.headers).json()["total"] == 1


def test_metrics_expose_the_request_histogram_by_route_template(client, staff):
    ppa = create_ppa(client, staff)
    assert client.get(f"{PPAS}/{ppa['id']}", headers=staff.headers).status_code == 200
    assert client.get(f"{PPAS}/{uuid.uuid4()}", headers=staff.headers).status_code == 404
    response = client.get("/metrics")
    assert response.status_code == 200
    text = response.text
    prefix = (
        'obcms_http_request_duration_seconds_bucket{le="0.1",method="GET",'
        'route="/api/v1/ppas/{ppa_id}",service="portfolio",status='
    )
    assert prefix + '"200"}' in text
    assert prefix + '"404"}' in text
    for edge in ("0.1", "0.5", "1.0", "2.0"):
        assert (
            f'le="{edge}",method="POST",route="/api/v1/ppas",service="portfolio",status="201"'
            in text
        )
    assert 'obcms_db_query_duration_seconds_count{service="portfolio"}' in text
    # Ids never become label values.
    assert ppa["id"] not in text


def test_openapi_document_lists_the_api(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in [
        "/api/v1/ppas",
        "/api/v1/ppas/{ppa_id}",
        "/api/v1/ppas/{ppa_id}/milestones/{milestone_id}",
        "/api/v1/ppas/{ppa_id}/workflow/{stage}",
        "/api/v1/ppas/{ppa_id}/approval",
        "/api/v1/ppas/{ppa_id}/funding",
        "/api/v1/assessments/{assessment_id}",
        "/api/v1/needs/{need_id}/ppas",
        "/api/v1/portfolio/dashboard",
    ]:
        assert path in paths, path


def test_health_and_readiness(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"database": "ok", "redis": "ok"}


def test_readyz_is_503_when_the_database_is_unreachable(redis_url, staff):
    port = free_port()  # nothing listens there
    settings = PortfolioSettings(
        database_url=f"postgresql+psycopg://postgres@127.0.0.1:{port}/obcms_portfolio",
        redis_url=redis_url,
        mode=RunMode.TEST,
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        assert client.get("/healthz").status_code == 200
        ready = client.get("/readyz")
        assert ready.status_code == 503, ready.text
        assert ready.json()["failed"] == ["database"]
        assert ready.json()["checks"]["redis"] == "ok"
        # API calls say the database is unavailable instead of failing with a 500.
        assert_error(client.get(PPAS, headers=staff.headers), 503)


def test_readyz_turns_503_when_the_database_goes_away(
    client, staff, portfolio_databases, portfolio_db_url
):
    assert client.get("/readyz").status_code == 200
    create_ppa(client, staff)
    name = portfolio_db_url.rsplit("/", 1)[-1]
    portfolio_databases.server.drop_database(name)
    ready = client.get("/readyz")
    assert ready.status_code == 503, ready.text
    assert ready.json()["failed"] == ["database"]
    assert_error(client.get(PPAS, headers=staff.headers), 503)


# --- tracing and logs of a real process -------------------------------------------------


def test_requests_are_traced_over_otlp_and_logged_with_trace_ids(
    collector: Collector, portfolio_db_url: str, redis_url: str, staff
) -> None:
    assert_traced_and_logged(
        registry.PORTFOLIO, collector, portfolio_db_url, redis_url, DASHBOARD, staff.headers
    )
