"""A process's memory after requests: handed back to the kernel once it is quiet."""

from __future__ import annotations

import asyncio

import httpx
from starlette.types import Receive, Scope, Send

from obcms_platform.heap import QuietTrimMiddleware, malloc_trim

QUIET = 0.2


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        return int(status.read().split("VmRSS:")[1].split()[0]) / 1024


def test_malloc_trim_hands_freed_heap_back_to_the_kernel() -> None:
    # Blocks of 50 kB come from glibc's heap (not mapped one by one); freeing every other one
    # leaves holes that glibc keeps until trimmed.
    blocks = [bytearray(50_000) for _ in range(2_000)]
    allocated = _rss_mb()
    del blocks[::2]
    malloc_trim()
    assert _rss_mb() < allocated - 20
    del blocks


async def _answer(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["path"] == "/slow":
        await asyncio.sleep(QUIET * 2)
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


def test_memory_is_trimmed_once_no_request_has_run_for_a_while() -> None:
    trims: list[str] = []
    app = QuietTrimMiddleware(_answer, quiet_seconds=QUIET, trim=lambda: trims.append("trim"))

    async def scenario() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            # Probes and scrapes are not activity: nothing to hand back after them.
            await client.get("/healthz")
            await client.get("/metrics")
            await asyncio.sleep(QUIET * 2)
            assert trims == []
            # A request arms the trim; another before the quiet period is over puts it off.
            await client.get("/api/v1/tasks")
            await asyncio.sleep(QUIET / 4)
            assert trims == []
            await client.get("/api/v1/tasks")
            await asyncio.sleep(QUIET * 2.5)
            assert trims == ["trim"]  # once, not once per request
            # Never while a request runs: a quick one ending beside a slow one arms nothing.
            slow = asyncio.create_task(client.get("/slow"))
            await asyncio.sleep(QUIET / 4)
            await client.get("/api/v1/tasks")
            await asyncio.sleep(QUIET * 1.25)
            assert trims == ["trim"]
            await slow
            await asyncio.sleep(QUIET * 2.5)
            assert trims == ["trim", "trim"]

    asyncio.run(scenario())
