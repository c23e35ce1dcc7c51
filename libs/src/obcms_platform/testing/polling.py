"""Waiting for asynchronous convergence: poll a condition instead of sleeping or timing."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from obcms_platform.testing.timing import deadline

T = TypeVar("T")

WAIT_TIMEOUT = 60.0


def wait_until(
    predicate: Callable[[], T],
    timeout: float = WAIT_TIMEOUT,
    interval: float = 0.1,
    message: str | Callable[[], str] = "condition",
) -> T:
    """Poll `predicate` until it returns something truthy; returns that value. `timeout` is
    for a quiet machine: it is scaled by ``OBCMS_TEST_TIME_SCALE``."""
    limit = deadline(timeout)
    end = time.monotonic() + limit
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > end:
            text_ = message() if callable(message) else message
            raise AssertionError(f"not reached within {limit:.0f} s: {text_}")
        time.sleep(interval)


def wait_for_count(
    count: Callable[[], int],
    target: int,
    stall: float = WAIT_TIMEOUT,
    interval: float = 0.1,
    message: str = "count",
) -> int:
    """Poll `count` until it reaches `target`; returns it. A loaded machine converges
    slowly but steadily, so this gives up only when the count has not moved for `stall`
    seconds (scaled by ``OBCMS_TEST_TIME_SCALE``), never after a fixed total."""
    limit = deadline(stall)
    last = count()
    moved_at = time.monotonic()
    while last < target:
        if time.monotonic() - moved_at > limit:
            raise AssertionError(f"stuck for {limit:.0f} s: {message} at {last} of {target}")
        time.sleep(interval)
        now = count()
        if now != last:
            last, moved_at = now, time.monotonic()
    return last
