import gc
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.middleware.gzip import GZipMiddleware

from obcms_platform.auth import Role
from obcms_platform.compression import AnswerGZipMiddleware
from obcms_platform.devstack.embedded import EmbeddedRedis, free_port
from obcms_platform.heap import QuietTrimMiddleware
from obcms_platform.testing import auth_headers

from .conftest import ExampleSettings, build_client

EXAMPLE = ExampleSettings.service_name  # the audience the example service accepts

STAFF = auth_headers(uuid.uuid4(), [Role.STAFF], audience=EXAMPLE)


def test_liveness_needs_no_dependencies(redis_url):
    dead_database = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/none"
    with build_client(dead_database, redis_url) as client:
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readiness_ok_with_database_and_redis(example_client):
    response = example_client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "redis": "ok"}


def test_readiness_names_the_database_when_it_is_down(redis_url):
    dead_database = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/none"
    with build_client(dead_database, redis_url) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["database"]
    assert body["checks"]["redis"] == "ok"


def test_readiness_names_redis_when_it_stops(postgres_server, tmp_path: Path):
    redis = EmbeddedRedis(tmp_path / "redis", persistent=False).start()
    try:
        with build_client(postgres_server.url("postgres"), redis.url) as client:
            assert client.get("/readyz").status_code == 200
            redis.stop()
            response = client.get("/readyz")
    finally:
        redis.stop()
    assert response.status_code == 503
    assert response.json()["failed"] == ["redis"]


def test_database_down_during_a_request_is_a_clean_503(redis_url):
    dead_database = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/none"
    with build_client(dead_database, redis_url) as client:
        response = client.get("/api/v1/widgets/query", headers=STAFF)
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "service_unavailable"


def test_requests_without_a_token_get_401(example_client):
    response = example_client.get("/api/v1/widgets/whoami")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json()["error"]["code"] == "unauthorized"


def test_forged_token_gets_401(example_client):
    response = example_client.get(
        "/api/v1/widgets/whoami", headers={"Authorization": "Bearer not.a.token"}
    )
    assert response.status_code == 401


def test_valid_token_identifies_the_caller(example_client):
    user = uuid.uuid4()
    response = example_client.get(
        "/api/v1/widgets/whoami", headers=auth_headers(user, [Role.MANAGER], audience=EXAMPLE)
    )
    assert response.status_code == 200
    assert response.json() == {"user_id": str(user), "roles": ["manager"]}


def test_role_check_gives_403(example_client):
    response = example_client.post("/api/v1/widgets/admin-only", headers=STAFF)
    assert response.status_code == 403
    assert "admin" in response.json()["error"]["message"]
    admin = auth_headers(uuid.uuid4(), [Role.ADMIN], audience=EXAMPLE)
    assert example_client.post("/api/v1/widgets/admin-only", headers=admin).status_code == 200


def test_validation_error_names_the_field(example_client):
    response = example_client.post("/api/v1/widgets", json={"name": "w", "size": 11}, headers=STAFF)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["field"] == "size"
    assert error["message"].startswith("size:")


def test_nested_validation_error_names_the_path(example_client):
    response = example_client.post(
        "/api/v1/widgets", json={"name": "w", "size": 1, "parts": ["ok", "toolong"]}, headers=STAFF
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "parts[1]"


def test_malformed_json_is_422_not_500(example_client):
    response = example_client.post(
        "/api/v1/widgets",
        content=b'{"name": ',
        headers={**STAFF, "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"


def test_page_size_above_the_limit_names_limit(example_client):
    response = example_client.get("/api/v1/widgets/page?limit=100000", headers=STAFF)
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "limit"
    ok = example_client.get("/api/v1/widgets/page?limit=20&offset=40", headers=STAFF)
    assert ok.json() == {"limit": 20, "offset": 40}


def test_domain_conflict_uses_the_error_format(example_client):
    response = example_client.post("/api/v1/widgets/conflict", headers=STAFF)
    assert response.status_code == 409
    assert response.json()["error"] == {
        "status": 409,
        "code": "conflict",
        "message": "name: already taken",
        "field": "name",
        "details": [],
    }


def test_unexpected_error_is_500_without_internals(example_client):
    response = example_client.get("/api/v1/widgets/boom", headers=STAFF)
    assert response.status_code == 500
    assert "secret internals" not in response.text
    assert response.json()["error"]["code"] == "internal_error"


def test_unknown_route_is_404_in_the_error_format(example_client):
    response = example_client.get("/api/v1/nothing-here", headers=STAFF)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_metrics_expose_request_histogram_by_route_template(example_client):
    user_headers = auth_headers(uuid.uuid4(), [Role.STAFF], audience=EXAMPLE)
    for n in (1, 2, 3):
        assert example_client.get(f"/api/v1/widgets/query?n={n}", headers=user_headers).json() == n
    example_client.get("/api/v1/no/such/route")
    text = example_client.get("/metrics").text
    route_labels = 'method="GET",route="/api/v1/widgets/query",service="example",status="200"'
    for edge in ("0.1", "0.5", "1.0", "2.0"):
        assert f'obcms_http_request_duration_seconds_bucket{{le="{edge}",{route_labels}}}' in text
    count_line = next(
        line
        for line in text.splitlines()
        if line.startswith("obcms_http_requests_total{") and route_labels in line
    )
    assert float(count_line.rsplit(" ", 1)[1]) >= 3
    assert 'route="<unmatched>"' in text
    assert "/no/such/route" not in text
    assert 'obcms_db_query_duration_seconds_count{service="example"}' in text
    assert 'obcms_db_query_duration_seconds_bucket{le="0.5",service="example"}' in text


def test_nul_characters_are_refused_with_the_field_named(example_client):
    response = example_client.post(
        "/api/v1/widgets", json={"name": "bad\u0000name", "size": 1}, headers=STAFF
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "name"


@pytest.fixture
def unfrozen_heap() -> Iterator[None]:
    """The heap as a server process has it when its app starts: nothing frozen (the test
    session froze its imports; frozen again afterwards)."""
    gc.unfreeze()
    try:
        yield
    finally:
        gc.freeze()


def test_a_running_app_keeps_its_startup_objects_out_of_garbage_collection(
    redis_url, unfrozen_heap
):
    dead_database = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/none"
    assert gc.get_freeze_count() == 0
    with build_client(dead_database, redis_url) as client:
        assert client.get("/healthz").status_code == 200
        # Modules, schemas and routes: a full collection no longer walks them.
        assert gc.get_freeze_count() > 10_000
    # Stopped, everything is collectable again (a test process starts many apps).
    assert gc.get_freeze_count() == 0


def test_an_app_started_in_a_frozen_process_leaves_its_heap_frozen(redis_url):
    dead_database = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/none"
    frozen = gc.get_freeze_count()
    assert frozen > 10_000  # the session's imports (the root conftest)
    # Frozen objects still die by reference counting, so the count can only fall a little.
    untouched = range(frozen - 1_000, frozen + 1)
    with build_client(dead_database, redis_url) as client:
        assert client.get("/healthz").status_code == 200
        assert gc.get_freeze_count() in untouched  # no collection and freeze of its own
    assert gc.get_freeze_count() in untouched  # and its stop does not unfreeze the session's


def test_every_service_compresses_its_answers_with_isal(example_client):
    middleware = [m.cls for m in example_client.app.user_middleware]
    assert middleware.count(AnswerGZipMiddleware) == 1
    assert GZipMiddleware not in middleware


def test_every_service_hands_back_its_freed_memory_when_quiet(example_client):
    app = example_client.app
    assert [m.cls for m in app.user_middleware].count(QuietTrimMiddleware) == 1
