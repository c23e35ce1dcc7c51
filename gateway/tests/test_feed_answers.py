"""Finished feed answers: a warm load sends the cold answer's bytes (JSON and ICS, gzip and
identity) without asking a backend; a matching ETag is a 304 without a backend either; and a
stored answer is never served after a change that affects it, whether the change came
through the gateway or as an event from the bus. Invalidation is per source: a change to a
source leaves the answers built without it cached."""

from __future__ import annotations

import gzip
import json
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import redis
from feed_helpers import (
    FEED,
    database_now,
    handle_in_gateway,
    metric,
    outbox_events_like,
    unique,
)
from gateway_helpers import ADMIN_PASSWORD, ServedApp, ok, served, token_for

from gateway_service.app import create_app
from gateway_service.feed.cache import PREFIX
from gateway_service.settings import GatewaySettings
from obcms_platform.auth import Role
from obcms_platform.devstack.embedded import free_port
from obcms_platform.testing.auth import auth_headers

WINDOW = {"start": "2033-02-01", "end": "2033-03-01"}
UNSTORED_WINDOW = {"start": "2036-02-01", "end": "2036-03-01"}
ICS_FEED = f"{FEED}.ics"
IDENTITY = {"Accept-Encoding": "identity"}
GZIP = {"Accept-Encoding": "gzip"}
# What each request stamps with its own time (not the content).
STAMPS = re.compile(rb'"generated_at":"[^"]*",|DTSTAMP:[0-9TZ]+\r\n')


@pytest.fixture(scope="module")
def feed_settings(
    make_settings: Callable[..., GatewaySettings], calendar_backend: str
) -> GatewaySettings:
    return make_settings(calendar_url=calendar_backend)


@pytest.fixture(scope="module")
def gateway(feed_settings: GatewaySettings) -> Iterator[ServedApp]:
    with served(create_app(feed_settings)) as server:
        yield server


@pytest.fixture
def client(make_client: Callable[[], httpx.Client]) -> httpx.Client:
    return make_client()


@pytest.fixture
def admin(client: httpx.Client) -> dict[str, str]:
    return token_for(client, "admin", ADMIN_PASSWORD)


@dataclass(frozen=True)
class Sent:
    """An answer as sent: httpx decodes nothing."""

    status_code: int
    headers: httpx.Headers
    content: bytes


def _raw(client: httpx.Client, path: str, headers: dict[str, str]) -> Sent:
    request = client.build_request("GET", path, params=WINDOW, headers=headers)
    response = client.send(request, stream=True)
    try:
        return Sent(response.status_code, response.headers, b"".join(response.iter_raw()))
    finally:
        response.close()


def _answer_hits(client: httpx.Client) -> float:
    return metric(client, "obcms_feed_answer_cache_total", result="hit")


def _backend_feed_calls(client: httpx.Client) -> float:
    """Requests the three services' feed endpoints have answered (they run in this process)."""
    return sum(
        metric(
            client,
            "obcms_http_requests_total",
            service=service,
            route="/api/v1/feed",
            method="GET",
        )
        for service in ("tasks", "calendar", "portfolio")
    )


@pytest.mark.parametrize("path", [FEED, ICS_FEED])
def test_a_warm_answer_sends_the_cold_answers_bytes_as_stored(
    client, admin, make_settings, calendar_backend, path
):
    for day in ("2033-02-07", "2033-02-08", "2033-02-09"):  # enough to be worth compressing
        post = client.post(
            "/api/v1/tasks", json={"title": unique("Warm"), "due_date": day}, headers=admin
        )
        assert post.status_code == 201, post.text
    built = _raw(client, path, {**admin, **IDENTITY})  # built, and stored
    assert built.status_code == 200
    assert "content-encoding" not in built.headers
    hits, calls = _answer_hits(client), _backend_feed_calls(client)

    plain = _raw(client, path, {**admin, **IDENTITY})
    compressed = _raw(client, path, {**admin, **GZIP})
    assert _answer_hits(client) == hits + 2
    assert _backend_feed_calls(client) == calls  # no backend asked
    assert "content-encoding" not in plain.headers
    assert compressed.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in compressed.headers["vary"].lower()
    assert plain.content == built.content
    assert gzip.decompress(compressed.content) == built.content  # compressed once, not twice
    for name in ("etag", "content-type", "cache-control", "x-feed-truncated", "x-feed-limit"):
        assert plain.headers[name] == compressed.headers[name] == built.headers[name], name

    # A gateway without the cache builds the same answer (but for its own time stamps and,
    # in the ICS links, its own address).
    cold_settings = make_settings(calendar_url=calendar_backend, feed_cache_ttl_seconds=0)
    with (
        served(create_app(cold_settings)) as cold_gateway,
        httpx.Client(base_url=cold_gateway.url, timeout=30) as cold_client,
    ):
        cold_admin = token_for(cold_client, "admin", ADMIN_PASSWORD)
        cold = _raw(cold_client, path, {**cold_admin, **GZIP})
    assert cold.status_code == 200
    assert cold.headers["etag"] == built.headers["etag"]
    cold_body = gzip.decompress(cold.content).replace(
        cold_gateway.url.encode(), str(client.base_url).rstrip("/").encode()
    )
    assert STAMPS.sub(b"", cold_body) == STAMPS.sub(b"", built.content)


def _stored_fields(redis_url: str, etag: str) -> set[bytes]:
    """The fields of the stored answer whose validator is `etag`."""
    with redis.Redis.from_url(redis_url) as cache:
        for key in cache.scan_iter(match=f"{PREFIX}:answer:*"):
            meta = cache.hget(key, "meta")
            if meta is not None and json.loads(meta)["etag"] == etag:
                return set(cache.hkeys(key))
    raise AssertionError(f"no stored answer has the ETag {etag}")


def test_a_stored_answer_keeps_one_compressed_body_and_a_client_without_gzip_gets_it_plain(
    client, admin, redis_url
):
    """Only the gzip body is stored (the plain one is seven times larger, and every byte
    stored is written to Redis's append-only file); it is decompressed for the rare client
    that does not take gzip."""
    for day in ("2033-02-10", "2033-02-11", "2033-02-12"):  # enough to be worth compressing
        post = client.post(
            "/api/v1/tasks", json={"title": unique("Stored"), "due_date": day}, headers=admin
        )
        assert post.status_code == 201, post.text
    built = _raw(client, FEED, {**admin, **GZIP})
    assert built.headers["content-encoding"] == "gzip"
    assert _stored_fields(redis_url, built.headers["etag"]) == {b"meta", b"gzip"}

    hits = _answer_hits(client)
    plain = _raw(client, FEED, {**admin, **IDENTITY})
    assert _answer_hits(client) == hits + 1
    assert "content-encoding" not in plain.headers
    assert plain.content == gzip.decompress(built.content)
    assert plain.headers["content-length"] == str(len(plain.content))
    assert plain.headers["etag"] == built.headers["etag"]


def test_a_matching_etag_is_304_without_asking_a_backend(client, admin):
    first = client.get(FEED, params=WINDOW, headers=admin)
    assert first.status_code == 200
    etag = first.headers["etag"]
    hits, calls = _answer_hits(client), _backend_feed_calls(client)
    for encoding in (GZIP, IDENTITY):
        again = client.get(
            FEED, params=WINDOW, headers={**admin, **encoding, "If-None-Match": etag}
        )
        assert again.status_code == 304
        assert again.content == b""
        assert again.headers["etag"] == etag
        assert "content-encoding" not in again.headers
        assert again.headers["x-feed-limit"] == first.headers["x-feed-limit"]
    assert _answer_hits(client) == hits + 2
    assert _backend_feed_calls(client) == calls


@dataclass(frozen=True)
class Record:
    """One kind of record a source shows on the feed, and how to change it."""

    collection: str  # under /api/v1
    fields: dict[str, Any]
    entry_id: Callable[[dict[str, Any]], str]


def _records(ppa_id: str) -> dict[str, Record]:
    return {
        "tasks": Record(
            "/tasks",
            {"due_date": "2033-02-10"},
            lambda task: f"staff-task-{task['id']}",
        ),
        "calendar": Record(
            "/events",
            {
                "event_type": "meeting",
                "start": "2033-02-11T09:00:00+08:00",
                "end": "2033-02-11T10:00:00+08:00",
            },
            lambda event: f"coordination-event-{event['id']}",
        ),
        "portfolio": Record(
            f"/ppas/{ppa_id}/milestones",
            {"date": "2033-02-12"},
            lambda milestone: f"planning-entry-{ppa_id}-milestone-{milestone['id']}",
        ),
    }


def _titles(client: httpx.Client, headers: dict[str, str], etag: str) -> tuple[dict[str, str], str]:
    """The feed's titles by entry id and its ETag; the feed must have changed since `etag`."""
    response = client.get(FEED, params=WINDOW, headers={**headers, "If-None-Match": etag})
    assert response.status_code == 200, "a stored answer was served after a change"
    assert response.headers["etag"] != etag
    return {e["id"]: e["title"] for e in response.json()["events"]}, response.headers["etag"]


def _warm(client: httpx.Client, headers: dict[str, str]) -> str:
    """Load the feed until its answer is stored and served; its ETag."""
    first = client.get(FEED, params=WINDOW, headers=headers)
    assert first.status_code == 200
    etag = first.headers["etag"]
    hits = _answer_hits(client)
    again = client.get(FEED, params=WINDOW, headers={**headers, "If-None-Match": etag})
    assert again.status_code == 304
    assert _answer_hits(client) == hits + 1
    return etag


@pytest.mark.parametrize("source", ["tasks", "calendar", "portfolio"])
@pytest.mark.parametrize("route", ["gateway", "bus"])
def test_a_stored_answer_is_never_served_after_a_change_that_affects_it(
    client,
    admin,
    feed_settings,
    redis_url,
    tasks_backend,
    calendar_backend,
    portfolio_backend,
    tasks_database,
    calendar_database,
    portfolio_database,
    source,
    route,
):
    """Create, update and delete a record of `source`, each change either through the
    gateway (its write path bumps the source at once) or behind its back at the service,
    reaching the gateway as the service's events (its bus worker's handlers)."""
    backends = {
        "tasks": tasks_backend,
        "calendar": calendar_backend,
        "portfolio": portfolio_backend,
    }
    databases = {
        "tasks": tasks_database,
        "calendar": calendar_database,
        "portfolio": portfolio_database,
    }
    if route == "gateway":
        writer, headers = client, admin
    else:
        writer = httpx.Client(base_url=backends[source], timeout=30)
        headers = auth_headers(uuid.uuid4(), [Role.ADMIN])

    def change(method: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        since = database_now(databases[source])
        response = writer.request(method, f"/api/v1{path}", json=body, headers=headers)
        assert response.status_code in (200, 201, 204), response.text
        if route == "bus":
            stale = client.get(FEED, params=WINDOW, headers={**admin, "If-None-Match": etag})
            assert stale.status_code == 304  # the gateway has not heard of it yet
            events = outbox_events_like(databases[source], "%", since)
            assert events
            handle_in_gateway(feed_settings.database_url, redis_url, events)
        return response

    try:
        ppa = {"title": unique("Milestones' PPA"), "category": "oobc_ppa"}
        ppa_id = (
            ok(writer.post("/api/v1/ppas", json=ppa, headers=headers))["id"]
            if source == "portfolio"
            else ""
        )
        record = _records(ppa_id)[source]
        etag = _warm(client, admin)

        title = unique("Created")
        created = change("POST", record.collection, {"title": title, **record.fields}).json()
        entry = record.entry_id(created)
        titles, etag = _titles(client, admin, etag)
        assert title in titles[entry]

        etag = _warm(client, admin)
        renamed = unique("Renamed")
        change("PATCH", f"{record.collection}/{created['id']}", {"title": renamed})
        titles, etag = _titles(client, admin, etag)
        assert renamed in titles[entry]

        etag = _warm(client, admin)
        change("DELETE", f"{record.collection}/{created['id']}")
        titles, etag = _titles(client, admin, etag)
        assert entry not in titles
    finally:
        if writer is not client:
            writer.close()


def test_a_change_to_a_source_leaves_answers_without_it_stored(client, admin):
    """Generations are per source: a task changed anywhere (even another window) drops every
    answer with tasks in it, and none without."""
    planning = {**WINDOW, "modules": "planning"}
    staff = {**WINDOW, "modules": "staff"}
    etags = {}
    for name, params in (("planning", planning), ("staff", staff)):
        client.get(FEED, params=params, headers=admin)
        etags[name] = client.get(FEED, params=params, headers=admin).headers["etag"]
    post = client.post(
        "/api/v1/tasks",
        json={"title": unique("Elsewhere"), "due_date": "2034-07-01"},
        headers=admin,
    )
    assert post.status_code == 201, post.text
    hits = _answer_hits(client)
    kept = client.get(FEED, params=planning, headers={**admin, "If-None-Match": etags["planning"]})
    assert kept.status_code == 304
    assert _answer_hits(client) == hits + 1
    rebuilt = client.get(FEED, params=staff, headers={**admin, "If-None-Match": etags["staff"]})
    assert rebuilt.status_code == 304  # the same content, rebuilt: the task is in 2034
    assert _answer_hits(client) == hits + 1


@pytest.mark.parametrize("setting", ["calendar down", "over the size cap"])
def test_degraded_and_oversized_answers_are_not_stored(make_settings, calendar_backend, setting):
    overrides: dict[str, Any] = (
        {"calendar_url": f"http://127.0.0.1:{free_port()}"}
        if setting == "calendar down"
        else {"calendar_url": calendar_backend, "feed_answer_max_bytes": 100}
    )
    with (
        served(create_app(make_settings(**overrides))) as gateway,
        httpx.Client(base_url=gateway.url, timeout=30) as client,
    ):
        admin = token_for(client, "admin", ADMIN_PASSWORD)
        misses = metric(client, "obcms_feed_answer_cache_total", result="miss")
        for _ in range(2):
            # A window of its own: the gateways share Redis, and another test's gateway may
            # have stored an answer for the other tests' window at today's generations.
            response = client.get(FEED, params=UNSTORED_WINDOW, headers=admin)
            assert response.status_code == 200
        expected = "error" if setting == "calendar down" else "ok"
        assert response.json()["sources"]["calendar"] == expected
        assert metric(client, "obcms_feed_answer_cache_total", result="miss") == misses + 2


def test_a_cold_answer_is_compressed_only_for_a_client_that_takes_gzip(
    client, admin, make_settings, calendar_backend
):
    for day in ("2033-02-10", "2033-02-11", "2033-02-12"):  # enough to be worth compressing
        post = client.post(
            "/api/v1/tasks", json={"title": unique("Cold"), "due_date": day}, headers=admin
        )
        assert post.status_code == 201, post.text
    cold_settings = make_settings(calendar_url=calendar_backend, feed_cache_ttl_seconds=0)
    with (
        served(create_app(cold_settings)) as cold_gateway,
        httpx.Client(base_url=cold_gateway.url, timeout=30) as cold_client,
    ):
        cold_admin = token_for(cold_client, "admin", ADMIN_PASSWORD)
        compressed = _raw(cold_client, FEED, {**cold_admin, **GZIP})
        plain = _raw(cold_client, FEED, {**cold_admin, **IDENTITY})
        unchanged = _raw(
            cold_client, FEED, {**cold_admin, **GZIP, "If-None-Match": plain.headers["etag"]}
        )
    assert compressed.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in compressed.headers["vary"].lower()
    assert int(compressed.headers["content-length"]) == len(compressed.content)
    assert "content-encoding" not in plain.headers
    assert STAMPS.sub(b"", gzip.decompress(compressed.content)) == STAMPS.sub(b"", plain.content)
    assert compressed.headers["etag"] == plain.headers["etag"]
    assert (unchanged.status_code, unchanged.content) == (304, b"")
    assert "content-encoding" not in unchanged.headers
