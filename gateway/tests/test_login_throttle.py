"""Login throttling that holds (per account, per address, under concurrency, whatever
X-Forwarded-For says) and password hashing that cannot stall signed-in requests."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from typing import Any

import httpx
import pytest
import redis
from gateway_helpers import ADMIN_PASSWORD, LOGIN, USER_PASSWORD, create_user, served, token_for

from gateway_service.app import create_app
from gateway_service.security.checks import deploy_problems
from gateway_service.settings import GatewaySettings
from obcms_platform.settings import RunMode

# Argon2 costly enough (tens of ms) that logins are still hashing while the test looks.
SLOW_HASHING = {"argon2_time_cost": 2, "argon2_memory_cost_kib": 16_384, "argon2_parallelism": 1}


@pytest.fixture(autouse=True)
def _no_login_counts(redis_url: str) -> Iterator[None]:
    """Each test starts with no failed logins counted (the session's gateways share Redis)."""
    client = redis.Redis.from_url(redis_url)

    def clear() -> None:
        for key in client.scan_iter("gateway-login*"):
            client.delete(key)

    clear()
    yield
    clear()
    client.close()


@pytest.fixture
def serve(make_settings: Callable[..., GatewaySettings]) -> Iterator[Callable[..., str]]:
    """Start a gateway over real HTTP with settings overrides; returns its URL."""
    with contextlib.ExitStack() as stack:

        def start(**overrides: Any) -> str:
            return stack.enter_context(served(create_app(make_settings(**overrides)))).url

        yield start


def form_login(
    url: str, username: str, password: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    """One login form POST from a new client (no cookies), as a script sends it."""
    return httpx.post(
        url + LOGIN, data={"username": username, "password": password}, headers=headers
    )


def new_user(url: str) -> dict[str, Any]:
    with httpx.Client(base_url=url) as client:
        return create_user(client, token_for(client, "admin", ADMIN_PASSWORD))


def test_a_forged_x_forwarded_for_does_not_lift_the_account_lockout(serve):
    url = serve(trusted_proxies=["*"])  # the chart's default so far: every peer believed
    username = new_user(url)["username"]
    addresses = (f"198.51.100.{n}" for n in itertools.count(1))

    def attempt(password: str) -> httpx.Response:
        return form_login(url, username, password, {"X-Forwarded-For": next(addresses)})

    statuses = [attempt("wrong-password").status_code for _ in range(8)]
    assert statuses == [401] * 5 + [429] * 3
    right = attempt(USER_PASSWORD)
    assert right.status_code == 429
    assert "Too many failed login attempts for this username" in right.text
    assert int(right.headers["retry-after"]) > 0
    token = httpx.post(
        url + "/api/v1/auth/token",
        data={"username": username, "password": USER_PASSWORD},
        headers={"X-Forwarded-For": next(addresses)},
    )
    assert token.status_code == 429
    assert token.json()["error"]["code"] == "too_many_attempts"


def test_spellings_of_one_username_share_its_count(serve):
    url = serve()
    username = new_user(url)["username"]
    fullwidth = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in username)
    for spelling in (username.upper(), fullwidth, username.title(), fullwidth.upper(), username):
        assert form_login(url, spelling, "wrong-password").status_code == 401
    assert form_login(url, username, USER_PASSWORD).status_code == 429


def test_concurrent_wrong_passwords_are_all_counted(serve):
    url = serve()
    username = new_user(url)["username"]
    with ThreadPoolExecutor(40) as pool:
        responses = list(pool.map(lambda _: form_login(url, username, "wrong-password"), range(40)))
    statuses = [response.status_code for response in responses]
    # Five guesses were checked; the other 35 were refused before any hashing.
    assert statuses.count(401) == 5, statuses
    assert statuses.count(429) == 35, statuses


def test_one_address_cannot_spray_many_accounts(serve):
    url = serve(login_address_max_failures=3)
    username = new_user(url)["username"]
    office = {"X-Forwarded-For": "203.0.113.9"}  # the test's peer 127.0.0.1 is a trusted proxy
    # Successful logins give their attempt back: a busy office is not throttled.
    for _ in range(4):
        assert form_login(url, username, USER_PASSWORD, office).status_code == 303
    for n in range(3):
        assert form_login(url, f"nobody-{n}", "Summer2025!", office).status_code == 401
    refused = form_login(url, username, USER_PASSWORD, office)
    assert refused.status_code == 429
    assert "Too many failed login attempts from your address" in refused.text
    assert int(refused.headers["retry-after"]) > 0
    elsewhere = {"X-Forwarded-For": "203.0.113.10"}
    assert form_login(url, username, USER_PASSWORD, elsewhere).status_code == 303


def test_signed_in_requests_are_answered_while_logins_wait_for_hashing(serve):
    logins = 20
    url = serve(
        **SLOW_HASHING,
        password_hashing_threads=1,
        password_hashing_queue=logins,
        login_address_max_failures=1000,
    )
    headers = token_for(httpx.Client(base_url=url), "admin", ADMIN_PASSWORD)
    answered: list[int] = []

    def log_in(n: int) -> int:
        status = form_login(url, f"nobody-{n}", "wrong-password").status_code
        answered.append(n)
        return status

    with ThreadPoolExecutor(logins) as pool:
        futures = [pool.submit(log_in, n) for n in range(logins)]
        wait(futures, return_when=FIRST_COMPLETED)  # logins are being hashed now
        me = httpx.get(url + "/api/v1/users/me", headers=headers, timeout=60)
        answered_before_me = len(answered)
        statuses = [future.result() for future in futures]
    assert me.status_code == 200
    assert statuses == [401] * logins  # unknown users still cost a hash, just elsewhere
    assert answered_before_me <= logins // 2, f"{answered_before_me} logins answered first"


def test_logins_beyond_the_hashing_queue_are_refused_at_once_and_not_counted(serve):
    url = serve(
        **SLOW_HASHING,
        password_hashing_threads=1,
        password_hashing_queue=0,
        login_max_failures=7,
    )
    username = new_user(url)["username"]
    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(lambda _: form_login(url, username, "wrong-password"), range(8)))
    statuses = [response.status_code for response in responses]
    assert set(statuses) <= {401, 503}, statuses
    busy = [response for response in responses if response.status_code == 503]
    assert busy, statuses
    assert all(response.headers["retry-after"] == "2" for response in busy)
    assert "try again in a few seconds" in busy[0].text
    # Only the checked guesses count: 8 reservations kept would have locked the account.
    assert form_login(url, username, USER_PASSWORD).status_code == 303


def test_production_refuses_to_believe_every_proxy():
    def problems(proxies: list[str]) -> str:
        return "\n".join(
            deploy_problems(GatewaySettings(mode=RunMode.TEST, trusted_proxies=proxies))
        )

    assert "TRUSTED_PROXIES must name the proxies, not '*'" in problems(["*"])
    assert "TRUSTED_PROXIES" not in problems(["10.42.0.0/16"])
