"""Argon2id password hashing (argon2-cffi), and the threads it runs on.

The cost parameters are settings (defaults: argon2-cffi's, RFC 9106 low-memory profile);
``check-deploy`` refuses weaker ones in production. Tests turn them down to stay fast.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from obcms_platform.errors import ServiceUnavailableError

T = TypeVar("T")
HASHING_BUSY_RETRY_AFTER_SECONDS = 2

_hasher = PasswordHasher()
_dummy_hash = _hasher.hash("obcms-no-such-user")


def configure(*, time_cost: int, memory_cost_kib: int, parallelism: int) -> None:
    """Set the process-wide hashing cost (called by the app factory and the CLI)."""
    global _hasher, _dummy_hash
    hasher = PasswordHasher(
        time_cost=time_cost, memory_cost=memory_cost_kib, parallelism=parallelism
    )
    if (hasher.time_cost, hasher.memory_cost, hasher.parallelism) != (
        _hasher.time_cost,
        _hasher.memory_cost,
        _hasher.parallelism,
    ):
        _hasher = hasher
        # Verified when the username is unknown, so a miss costs as much as a wrong password.
        _dummy_hash = hasher.hash("obcms-no-such-user")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        matched = _hasher.verify(password_hash or _dummy_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    return matched and password_hash is not None


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


class HashingPoolFullError(ServiceUnavailableError):
    def __init__(self) -> None:
        super().__init__(
            "too many sign-ins are being checked right now; try again in a few seconds"
        )

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(HASHING_BUSY_RETRY_AFTER_SECONDS)}


class HashingPool:
    """Password hashing on a few threads of its own, with a bounded queue.

    A hash takes tens of MiB and a good part of a second of CPU. On asyncio's default pool,
    which every signed-in request's database work shares, a burst of anonymous logins made
    everyone wait. Here at most `threads` hashes run at once and `queue` more wait; beyond
    that `run` refuses at once (503) instead of queueing without end.
    """

    def __init__(self, threads: int, queue: int) -> None:
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix="password-hashing")
        self._slots = threading.BoundedSemaphore(threads + queue)

    async def run(self, work: Callable[[], T]) -> T:
        """`work()` on a hashing thread; HashingPoolFullError when the queue is full."""
        if not self._slots.acquire(blocking=False):
            raise HashingPoolFullError
        try:
            future: Future[T] = self._executor.submit(work)
        except BaseException:
            self._slots.release()
            raise
        # Freed when the work ends or is cancelled before it started, not when the caller
        # stops waiting (a hash that runs on still holds its thread).
        future.add_done_callback(lambda _: self._slots.release())
        return await asyncio.wrap_future(future)

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
