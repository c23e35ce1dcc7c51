"""An idle bus sleeps: with nothing written, the relay and an event worker wake less than
once a second and Redis a few times (they woke many times a second: psycopg's notification
wait, kombu's one-second BRPOP and binding check, Redis's ten timer ticks a second), yet the
next event still goes through at once."""

from __future__ import annotations

import re
import signal
import time
from pathlib import Path

import pytest

from obcms_platform.bus.transport import IDLE_WAKE_SECONDS
from obcms_platform.testing import deadline
from obcms_platform.testing.processes import wakeups

pytestmark = pytest.mark.slow

PPA_TASKS = 10
IDLE_SECONDS = 5


def test_an_idle_bus_sleeps_and_the_next_event_goes_through(make_stack) -> None:
    # The relay's safety poll beyond the test: only notifications wake it.
    bus = make_stack(env={"OBCMS_RELAY_POLL_INTERVAL": "600"})
    bus.start_all()
    first = bus.create_ppa("oobc_ppa")["id"]
    bus.wait_for_tasks(PPA_TASKS, related_ppa_id=first)  # every connection made
    bus.settled()  # the portfolio's projection of the new tasks too
    pids = {
        "relay": bus.processes.running["relay"][1].pid,
        "tasks-worker": bus.processes.running["tasks-worker"][1].pid,
        "redis": bus.redis_server.process.pid,
    }
    before, started = {name: wakeups(pid) for name, pid in pids.items()}, time.monotonic()
    time.sleep(IDLE_SECONDS)  # what is measured: the bus while nothing is written
    elapsed = time.monotonic() - started
    per_second = {name: (wakeups(pid) - before[name]) / elapsed for name, pid in pids.items()}
    # Before: the relay 20 a second (two sources), the worker 2, Redis 18. Redis still ticks
    # once a second, and answers the workers' BRPOPs as they end.
    assert per_second["relay"] < 1, per_second
    assert per_second["tasks-worker"] < 1, per_second
    assert per_second["redis"] < 6, per_second
    # A worker quiet all that time stops at once too: its loop sleeps in a wait that only a
    # message or a timer ended, so the stop signal was seen seconds later.
    stopping = time.monotonic()
    bus.stop("portfolio-worker")
    assert time.monotonic() - stopping < 2.5  # before: 4.6 s

    second = bus.create_ppa("oobc_ppa")["id"]
    bus.wait_for_tasks(PPA_TASKS, related_ppa_id=second)
    # Its next BRPOP has just begun, to block IDLE_WAKE_SECONDS: a stopping worker ends it
    # instead of waiting it out (kombu's close waited; every deploy waited with it).
    stopping = time.monotonic()
    bus.stop("tasks-worker")
    assert time.monotonic() - stopping < IDLE_WAKE_SECONDS / 2

    # Ctrl-C stops the relay: only its main thread, which runs the handler, takes the stop
    # signals (one the kernel gave a relay thread went unhandled: the relay ran on, orphaned).
    relay = bus.processes.running["relay"][1]
    stop_bits = (1 << (signal.SIGINT - 1)) | (1 << (signal.SIGTERM - 1))
    threads = sorted(Path(f"/proc/{relay.pid}/task").iterdir())
    assert len(threads) > 2  # its relay threads, the sweeper, the metrics server
    for thread in threads:
        found = re.search(r"SigBlk:\s*([0-9a-f]+)", (thread / "status").read_text())
        assert found is not None
        blocked = int(found.group(1), 16) & stop_bits
        assert blocked == (0 if thread.name == str(relay.pid) else stop_bits), thread.name
    relay.send_signal(signal.SIGINT)
    assert relay.wait(deadline(15)) == 0
