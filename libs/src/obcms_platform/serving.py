"""uvicorn, asleep while no request comes: what every API's ``serve`` runs.

uvicorn's server wakes ten times a second (to refresh its ``date`` header once a second and
look at its exit flag), and with ``--workers N`` its supervisor wakes twice a second to look
for dead workers and pings every worker over a pipe: about 1 ms of CPU per second per process
of an idle stack. Here a worker makes its ``date`` header when a response reads it (once a
second at most) and sleeps until a signal; the supervisor sleeps until a signal or a worker's
exit, and wakes to ping its workers, which is what finds a hung one, every
`HUNG_WORKER_CHECK_SECONDS`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
import time
from email.utils import formatdate
from multiprocessing.connection import wait
from types import FrameType
from typing import Any

from uvicorn import Config, Server
from uvicorn.config import STARTUP_FAILURE
from uvicorn.server import ServerState
from uvicorn.supervisors import ChangeReload
from uvicorn.supervisors.multiprocess import Multiprocess, Process, logger

# Seconds between the ticks of a worker's main loop when it must count its requests (a
# request limit, uvicorn's ``limit_max_requests``); without one it has nothing to tick for.
TICK_SECONDS = 1.0
# Seconds between two pings of a worker by the supervisor (uvicorn: 0.5). A hung worker is
# replaced this much later than with uvicorn, at most (plus its health-check timeout).
HUNG_WORKER_CHECK_SECONDS = 10.0


class DatedServerState(ServerState):
    """uvicorn's state shared by a server's connections, whose default headers (``date``,
    ``server``) are made when a response reads them, once per second at most, instead of
    by uvicorn's timer."""

    def __init__(self, config: Config) -> None:
        self._config = config
        self._second = -1
        self._headers: list[tuple[bytes, bytes]] = []
        super().__init__()

    @property
    def default_headers(self) -> list[tuple[bytes, bytes]]:
        now = time.time()
        if int(now) != self._second:
            self._second = int(now)
            date = [(b"date", formatdate(now, usegmt=True).encode())]
            self._headers = (date if self._config.date_header else []) + (
                self._config.encoded_headers
            )
        return self._headers

    @default_headers.setter
    def default_headers(self, headers: list[tuple[bytes, bytes]]) -> None:
        """uvicorn's own assignment (an empty list, at its start) is superseded."""


class QuietServer(Server):
    """A uvicorn server whose main loop sleeps until a signal."""

    def __init__(self, config: Config) -> None:
        super().__init__(config)
        self.server_state = DatedServerState(config)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._woken: asyncio.Event | None = None

    async def main_loop(self) -> None:
        self._loop, self._woken = asyncio.get_running_loop(), asyncio.Event()
        tick = None if self.config.limit_max_requests is None else TICK_SECONDS
        # uvicorn's on_tick refreshes the date header when its counter is a multiple of 10:
        # never here (`DatedServerState` does), only its exit and request-limit checks.
        while not await self.on_tick(1):
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(tick):
                    await self._woken.wait()

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        if self._loop is not None and self._woken is not None:
            self._loop.call_soon_threadsafe(self._woken.set)


class QuietProcess(Process):
    """A worker running `QuietServer`, pinged every `HUNG_WORKER_CHECK_SECONDS`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.next_ping = time.monotonic() + HUNG_WORKER_CHECK_SECONDS

    @property
    def server(self) -> Server:
        if self._server is None:
            self._server = QuietServer(config=self.config)
        return self._server

    def is_alive(self, timeout: float = 5) -> bool:
        """Whether the process runs and, when a ping is due, answers it within `timeout`."""
        if not self.process.is_alive():
            return False
        if time.monotonic() < self.next_ping:
            return True
        alive = self.ping(timeout)
        self.next_ping = time.monotonic() + HUNG_WORKER_CHECK_SECONDS
        return alive


class QuietMultiprocess(Multiprocess):
    """uvicorn's supervisor with `QuietProcess` workers: each method that starts a worker is
    uvicorn's (0.54), starting ours."""

    processes: list[QuietProcess]  # type: ignore[assignment]

    def _started(self) -> QuietProcess:
        process = QuietProcess(self.config, self.sockets)
        process.start()
        return process

    def init_processes(self) -> None:
        self.processes = [self._started() for _ in range(self.processes_num)]

    def run(self) -> None:
        """uvicorn's loop, asleep until a signal comes (its handlers, uvicorn's, queue it and
        write to the wakeup socket), a worker exits, or a worker's ping is due."""
        logger.info(f"Started parent process [{os.getpid()}]")
        self.init_processes()
        wakeup, woken = socket.socketpair()
        wakeup.setblocking(False)
        woken.setblocking(False)
        previous = signal.set_wakeup_fd(wakeup.fileno(), warn_on_full_buffer=False)
        try:
            while not self.should_exit.is_set():
                self.handle_signals()
                self.keep_subprocess_alive()
                if self.should_exit.is_set():
                    break
                next_ping = min(process.next_ping for process in self.processes)
                exits = [process.process.sentinel for process in self.processes]
                if wait([woken, *exits], timeout=max(0.0, next_ping - time.monotonic())):
                    with contextlib.suppress(BlockingIOError):
                        while woken.recv(512):  # the signals are in `signal_queue`
                            pass
        finally:
            signal.set_wakeup_fd(previous)
            wakeup.close()
            woken.close()
        self.terminate_all()
        self.join_all()
        logger.info(f"Stopping parent process [{os.getpid()}]")

    def keep_subprocess_alive(self) -> None:
        if self.should_exit.is_set():
            return
        for idx, process in enumerate(self.processes):
            if process.is_alive(timeout=self.config.timeout_worker_healthcheck):
                continue
            process.kill()  # hung or dead
            process.join()
            if process.exitcode == STARTUP_FAILURE:
                # The app, TLS or socket is broken: every restart would fail the same way.
                logger.error(f"Child process [{process.pid}] failed to start, stopping.")
                self.should_exit.set()
                return
            if self.should_exit.is_set():
                return
            logger.info(f"Child process [{process.pid}] died")
            self.processes[idx] = self._started()

    def restart_all(self) -> None:
        """Replace each worker (SIGHUP), its replacement serving before the old one stops."""
        for idx, old_process in enumerate(self.processes):
            if self.should_exit.is_set():
                return
            new_process = self._started()
            ready = new_process.wait_until_ready(
                self.config.timeout_worker_healthcheck, self.should_exit
            )
            if not ready:
                new_process.kill()
                new_process.join()
                if not self.should_exit.is_set():
                    logger.error(
                        f"New child process [{new_process.pid}] was not ready in time; "
                        f"keeping worker [{old_process.pid}] and aborting the restart."
                    )
                return
            old_process.terminate()
            old_process.join()
            self.processes[idx] = new_process

    def handle_ttin(self) -> None:
        logger.info("Received SIGTTIN, increasing the number of processes.")
        self.processes_num += 1
        self.processes.append(self._started())


def serve(app: str, **options: Any) -> None:
    """What ``uvicorn.run(app, factory=True, **options)`` does, with the quiet server and
    supervisor (uvicorn.run builds its own)."""
    config = Config(app, factory=True, **options)
    server = QuietServer(config)
    try:
        if config.should_reload:
            ChangeReload(config, target=server.run, sockets=[config.bind_socket()]).run()
        elif config.workers > 1:
            QuietMultiprocess(config, sockets=[config.bind_socket()]).run()
        else:
            server.run()
    except KeyboardInterrupt:
        pass
    if config.workers == 1 and not server.started:
        sys.exit(STARTUP_FAILURE)
