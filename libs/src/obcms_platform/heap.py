"""A long-running process's memory: what starting allocated (modules, schemas, routes,
Celery's machinery) is frozen out of the garbage collector's reach once the process is ready,
and what glibc kept after requests is handed back to the kernel once the process is quiet."""

from __future__ import annotations

import asyncio
import ctypes
import gc
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from obcms_platform.metrics import PROBE_PATHS


def freeze_startup_heap() -> None:
    """Collect once, then freeze what is left.

    A full collection then scans only what the process allocated since: without this it walks
    every object and pauses the process for tens of milliseconds (about 90 ms in the tasks
    service on the 2-core bench machine). The interpreter's collections at exit skip frozen
    objects too: an event worker or the relay spent 2 to 3 s of CPU in them on every stop.
    """
    gc.collect()
    gc.freeze()


def _glibc_trim() -> Callable[[], None]:
    """glibc's ``malloc_trim(0)``: every arena's free pages back to the kernel (a no-op
    where the C library has none)."""
    trim = getattr(ctypes.CDLL(None), "malloc_trim", None)
    if trim is None:
        return lambda: None
    return lambda: trim(0)


malloc_trim = _glibc_trim()

# How long a process serves nothing before it hands back the memory it freed.
QUIET_SECONDS = 1.0


class QuietTrimMiddleware:
    """Pure ASGI middleware: once no request has run for `quiet_seconds` after one that
    did, `trim` (``malloc_trim``) hands back to the kernel the memory glibc kept.

    glibc keeps freed memory for the next allocation (up to ``MALLOC_TRIM_THRESHOLD_`` at the
    top of each arena, and any amount in holes below it): after a few concurrent year feeds
    at x100 that was 17-24 MB per worker, for as long as the worker lives. Trimming after
    every large answer would give it back at once but fault it in again for the next one
    (a third of a cold year feed's CPU in tasks-api); trimming once things are quiet costs
    a request nothing. Probes and scrapes neither count as activity nor arm the trim (a trim
    with nothing to hand back still walks the heap, about a millisecond)."""

    def __init__(
        self,
        app: ASGIApp,
        quiet_seconds: float = QUIET_SECONDS,
        trim: Callable[[], None] = malloc_trim,
    ) -> None:
        self.app = app
        self.quiet_seconds = quiet_seconds
        self.trim = trim
        self.running = 0
        self.pending: asyncio.TimerHandle | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in PROBE_PATHS:
            await self.app(scope, receive, send)
            return
        if self.pending is not None:
            self.pending.cancel()
            self.pending = None
        self.running += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.running -= 1
            if not self.running:
                loop = asyncio.get_running_loop()
                self.pending = loop.call_later(self.quiet_seconds, self._quiet)

    def _quiet(self) -> None:
        self.pending = None
        if not self.running:
            self.trim()
