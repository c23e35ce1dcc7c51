"""The CPU a process's threads use, read from the kernel's scheduler statistics."""

from __future__ import annotations

import subprocess
import sys
import time
from collections import namedtuple

import psutil

from obcms_bench import cost


def _burn(seconds: float) -> None:
    until = time.thread_time() + seconds
    while time.thread_time() < until:
        pass


# A child process that burns CPU when told (one line on stdin) and says when it has: the test
# reads the child's threads from outside, and no thread of the test's own worker (a server
# another test left running) is counted with them.
CHILD = """
import sys, threading, time

def burn(seconds):
    until = time.thread_time() + seconds
    while time.thread_time() < until:
        pass

def said(word):
    print(word, flush=True)
    sys.stdin.readline()

said("ready")
worker = threading.Thread(target=burn, args=(0.05,))
worker.start()
worker.join()
burn(0.03)
said("burnt")
spinner = threading.Thread(target=burn, args=(0.05,))
spinner.start()
time.sleep(0.02)
said("spinning")
spinner.join()
said("joined")
"""


def test_a_threads_cpu_time_is_counted_to_the_millisecond_and_an_ended_thread_is_not_negative() -> (
    None
):
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    stdin, stdout = child.stdin, child.stdout
    assert stdin is not None
    assert stdout is not None
    groups = {"bench": [psutil.Process(child.pid)]}

    def reading_after(word: str) -> dict[str, cost.ThreadTimes]:
        assert stdout.readline().strip() == word
        return cost._cpu_seconds(groups)

    def go() -> None:
        stdin.write("go\n")
        stdin.flush()

    try:
        before = reading_after("ready")
        go()  # a thread burns 50 ms, started and ended between the readings: not seen
        used = cost._used(before, reading_after("burnt"))["bench"]
        # 30 ms burnt by the main thread; 10 ms ticks could not tell 30 from 39.
        assert 0.03 <= used < 0.04

        # A thread that had run before the first reading and ended before the second: its
        # time was in the first reading only, and must not make the group's use negative.
        go()
        before = reading_after("spinning")
        go()
        assert 0.0 <= cost._used(before, reading_after("joined"))["bench"] < 0.04
        go()
        assert child.wait(timeout=10) == 0
    finally:
        child.kill()


def test_a_row_is_the_round_that_cost_least_and_every_rounds_total_is_kept() -> None:
    """A round slowed down by something else (here: made to burn three times the CPU) does
    not decide the row; the rounds' totals show it."""
    import httpx

    per_round = 10
    served = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal served
        served += 1
        measured = served - cost.WARM_REQUESTS
        slowed = 0 < measured <= 2 * per_round  # the first two rounds
        _burn(0.006 if slowed else 0.002)
        return httpx.Response(200, json={})

    with httpx.Client(transport=httpx.MockTransport(handler), base_url="http://bench") as client:
        measured = cost.measure(client, lambda: {"bench": [psutil.Process()]}, "/", per_round)

    assert len(measured.round_totals_ms) == cost.ROUNDS
    assert 2.0 <= measured.cpu_ms["bench"] < 3.0
    assert min(measured.round_totals_ms[:2]) > 5.5
    assert round(measured.total_ms, 2) == min(measured.round_totals_ms)


def test_the_machines_stolen_share_of_cpu_time_is_a_percentage_of_every_tick() -> None:
    times = namedtuple(  # the shape of psutil's scputimes on Linux
        "times",
        "user nice system idle iowait irq softirq steal guest guest_nice",
    )
    before = times(100, 0, 50, 800, 10, 0, 0, 40, 5, 0)
    # 200 ticks more, 50 of them stolen; guest time is already in user and does not count twice.
    after = times(160, 0, 80, 850, 10, 0, 10, 90, 65, 0)
    assert cost.steal_percent(before, after) == 25.0
    assert cost.steal_percent(after, after) == 0.0


def test_a_change_before_each_request_is_made_before_every_request_outside_its_wall_time() -> None:
    """An "after a change" row: the change happens before each request, warming ones
    included, and its time is not the request's."""
    import httpx

    log: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        log.append("request")
        return httpx.Response(200, json={})

    def change() -> None:
        log.append("change")
        time.sleep(0.01)

    with httpx.Client(transport=httpx.MockTransport(handler), base_url="http://bench") as client:
        measured = cost.measure(client, lambda: {"bench": [psutil.Process()]}, "/", 3, change)

    requests = cost.WARM_REQUESTS + cost.ROUNDS * 3
    assert log == ["change", "request"] * requests
    assert measured.wall_p95_ms < 10
