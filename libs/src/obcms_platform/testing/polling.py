"""Waiting for asynchronous convergence: poll a condition instead of sleeping or timing."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

WAIT_TIMEOUT = 60.0


def wait_until(
    predicate: Callable[[], T],
    timeout: float = WAIT_TIMEOUT,
    interval: float = 0.1,
    message: str | Callable[[], str] = "condition",
) -> T:
    """Poll `predicate` until it returns something truthy; returns that value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            text_ = message() if callable(message) else message
            raise AssertionError(f"not reached within {timeout:.0f} s: {text_}")
        time.sleep(interval)
