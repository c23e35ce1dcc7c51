"""The load: `locust -f locustfile.py --headless ...`, run by `obcms-bench` as its own process.

Never imported by the bench itself: locust's gevent monkey-patches the process, which must
not hold httpx or urllib3 state. What to request comes from the environment:

- ``BENCH_REQUESTS``: JSON list of ``[name, url, auth]``, auth ``"token"`` (bearer) or
  ``"session"`` (the ``sessionid`` cookie); each user requests them round-robin, no pause;
- ``BENCH_TOKEN`` and ``BENCH_SESSION``: the credentials.
"""

from __future__ import annotations

import itertools
import json
import os

from locust import HttpUser, constant, task

REQUESTS: list[list[str]] = json.loads(os.environ.get("BENCH_REQUESTS", "[]"))
TOKEN = os.environ.get("BENCH_TOKEN", "")
SESSION = os.environ.get("BENCH_SESSION", "")


class BenchUser(HttpUser):
    wait_time = constant(0)

    def on_start(self) -> None:
        self.requests = itertools.cycle(REQUESTS)

    @task
    def request(self) -> None:
        name, url, auth = next(self.requests)
        if auth == "token":
            headers = {"Authorization": f"Bearer {TOKEN}"}
        else:
            headers = {"Cookie": f"sessionid={SESSION}"}
        with self.client.get(
            url, name=name, headers=headers, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
