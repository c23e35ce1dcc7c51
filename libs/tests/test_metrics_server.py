"""The metrics servers of the processes: they answer scrapes, sleep between them, and stop at
once when asked."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
from prometheus_client import Counter

from obcms_platform.devstack.embedded import free_port, port_open
from obcms_platform.metrics import metrics_server, start_metrics_server
from obcms_platform.testing.polling import wait_until

SCRAPED = Counter("obcms_test_scraped_total", "Counted by the metrics server tests.")


def _wakeups(thread: threading.Thread) -> int:
    """How often `thread` has gone to sleep and been woken so far."""
    status = Path(f"/proc/self/task/{thread.native_id}/status").read_text()
    (line,) = (line for line in status.splitlines() if line.startswith("voluntary_ctxt_switches:"))
    return int(line.split()[1])


def _server_threads() -> set[threading.Thread]:
    return {thread for thread in threading.enumerate() if thread.name == "metrics"}


def test_a_process_metrics_server_answers_and_sleeps_between_scrapes() -> None:
    port, running = free_port(), _server_threads()
    SCRAPED.inc()
    start_metrics_server(port)
    (server,) = _server_threads() - running
    scraped = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
    assert scraped.status_code == 200
    assert "obcms_test_scraped_total" in scraped.text
    before, started = _wakeups(server), time.monotonic()
    time.sleep(2)  # what is measured: the server while nobody scrapes
    per_second = (_wakeups(server) - before) / (time.monotonic() - started)
    # prometheus_client's start_http_server woke twice a second.
    assert per_second < 0.5, per_second


def test_an_app_metrics_server_stops_when_its_block_ends() -> None:
    port, running = free_port(), _server_threads()
    with metrics_server(port):
        assert httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).status_code == 200
        (server,) = _server_threads() - running
    stopped = time.monotonic()
    server.join(5)
    assert not server.is_alive()
    assert time.monotonic() - stopped < 1
    wait_until(lambda: not port_open(port), 5, message="the port closed")
