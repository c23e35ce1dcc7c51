"""Start, watch and stop a set of local processes, each logging to its own file."""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Collection
from pathlib import Path

import httpx

from obcms_platform.devstack.stack import ProcessSpec


class ProcessGroup:
    def __init__(self, log_dir: Path, env: dict[str, str]) -> None:
        self.log_dir = log_dir
        self.env = env
        self.running: dict[str, tuple[ProcessSpec, subprocess.Popen[bytes]]] = {}
        log_dir.mkdir(parents=True, exist_ok=True)

    def log_path(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    def start(self, spec: ProcessSpec, extra_env: dict[str, str] | None = None) -> None:
        with self.log_path(spec.name).open("ab") as log:
            process = subprocess.Popen(
                spec.command,
                env={**self.env, **spec.env, **(extra_env or {})},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.running[spec.name] = (spec, process)

    def wait_ready(self, name: str, timeout: float = 90) -> None:
        spec, process = self.running[name]
        if spec.ready_url is None:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(
                    f"{name} exited with {process.returncode}; see {self.log_path(name)}"
                )
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(spec.ready_url, timeout=1).status_code == 200:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"{name} was not ready within {timeout:.0f} s")

    def exited(self) -> list[tuple[str, int]]:
        return [
            (name, process.returncode)
            for name, (_, process) in self.running.items()
            if process.poll() is not None
        ]

    def stop(self, name: str, *, kill: bool = False, timeout: float = 20) -> None:
        _, process = self.running.pop(name)
        if process.poll() is None:
            if kill:
                process.kill()
            else:
                process.terminate()
        _reap(process, timeout)

    def stop_all(self, *, last: Collection[str] = (), timeout: float = 20) -> None:
        """Signals every process but the `last` ones, waits for them, then stops those: the
        shutdowns overlap (one after the other, a stack's stop was the sum of its workers'
        drains)."""
        stopping = [self.running.pop(name)[1] for name in list(self.running) if name not in last]
        for process in stopping:
            if process.poll() is None:
                process.terminate()
        ends = time.monotonic() + timeout
        for process in stopping:
            _reap(process, max(ends - time.monotonic(), 0.1))
        for name in [name for name in last if name in self.running]:
            self.stop(name, timeout=timeout)


def _reap(process: subprocess.Popen[bytes], timeout: float) -> None:
    """Waits for a signalled process; kills it after `timeout` seconds."""
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
