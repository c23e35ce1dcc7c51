"""The CPU a process's threads use, read from the kernel's scheduler statistics."""

from __future__ import annotations

import threading
import time

import psutil

from obcms_bench import cost


def _burn(seconds: float) -> None:
    until = time.thread_time() + seconds
    while time.thread_time() < until:
        pass


def test_a_threads_cpu_time_is_counted_to_the_millisecond_and_an_ended_thread_is_not_negative() -> (
    None
):
    groups = {"bench": [psutil.Process()]}
    before = cost._cpu_seconds(groups)
    worker = threading.Thread(target=_burn, args=(0.05,))
    worker.start()
    worker.join()  # started and ended between the readings: its time is not seen
    _burn(0.03)
    used = cost._used(before, cost._cpu_seconds(groups))["bench"]
    # 30 ms burnt by this thread; 10 ms ticks could not tell 30 from 39.
    assert 0.03 <= used < 0.04

    # A thread that had run before the first reading and ended before the second: its time
    # was in the first reading only, and must not make the group's use negative.
    spinner = threading.Thread(target=_burn, args=(0.05,))
    spinner.start()
    time.sleep(0.02)
    before = cost._cpu_seconds(groups)
    spinner.join()
    assert 0.0 <= cost._used(before, cost._cpu_seconds(groups))["bench"] < 0.04
