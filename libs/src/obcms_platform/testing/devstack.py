"""The `make run` stack for end-to-end tests: `obcms-dev run` as a subprocess
(`RunningStack`), or its processes run by the test one by one (`local_stack`)."""

from __future__ import annotations

import contextlib
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from obcms_platform.devstack.embedded import free_port
from obcms_platform.devstack.local import LocalStack
from obcms_platform.registry import DEPLOYABLES
from obcms_platform.testing.timing import PROCESS_READY_TIMEOUT, deadline

# Seconds on a quiet machine; every wait scales them by OBCMS_TEST_TIME_SCALE.
# The whole stack: as long as one process may take (its processes start together), the
# embedded servers and migrations besides; a wait ends as soon as the stack is ready.
STARTUP_TIMEOUT = PROCESS_READY_TIMEOUT + 60
INTERRUPT_TIMEOUT = 60
READY_LINE = "ready; press Ctrl-C"
# Every port the stack listens on: each deployable's, and its embedded servers' (several
# stacks run at once in the suite).
PORT_VARIABLES = (
    *(deployable.port_setting for deployable in DEPLOYABLES),
    "OBCMS_DEV_POSTGRES_PORT",
    "OBCMS_DEV_REDIS_PORT",
    "OBCMS_DEV_SMTP_PORT",
)


@contextlib.contextmanager
def state_folder() -> Iterator[Path]:
    """A private folder for the stack's state, deleted afterwards.

    Not under pytest's basetemp: every pytest session that starts meanwhile resets
    `/tmp/pytest-of-<user>` to mode 0700, after which the embedded PostgreSQL's system user
    can no longer reach its data folder to stop."""
    folder = Path(tempfile.mkdtemp(prefix="obcms-stack-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def stack_environment(state: Path, **extra: str) -> tuple[dict[str, str], dict[str, int]]:
    """The environment of a stack on free ports with its state in `state`, and the ports.

    Server URLs and admin passwords of the calling environment are left out, so the stack
    starts its own embedded servers; it starts empty unless `extra` asks for the demo data
    (``OBCMS_DEMO_DATA="1"``)."""
    ports = {name: free_port() for name in PORT_VARIABLES}
    env = {
        key: value
        for key, value in os.environ.items()
        if not (key.startswith("OBCMS_") and key.endswith("_URL"))
        and key not in {"OBCMS_ADMIN_PASSWORD", "OBCMS_GATEWAY_ADMIN_PASSWORD"}
    }
    env.update({key: str(port) for key, port in ports.items()})
    env["OBCMS_STATE_DIR"] = str(state / "state")
    env["OBCMS_DEMO_DATA"] = "0"
    env["OBCMS_DEV_READY_TIMEOUT"] = str(deadline(PROCESS_READY_TIMEOUT))
    env.update(extra)
    return env, ports


class RunningStack:
    """`obcms-dev run` with its output pumped to a queue the test can wait on."""

    def __init__(self, env: dict[str, str]) -> None:
        self.log_dir = Path(env["OBCMS_STATE_DIR"]) / "logs"
        command = [str(Path(sys.executable).parent / "obcms-dev"), "run"]
        self.process = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)

    def wait_for(self, text: str = READY_LINE, timeout: float = STARTUP_TIMEOUT) -> None:
        """Wait until the stack prints `text` (`timeout`: seconds on a quiet machine)."""
        end = time.monotonic() + deadline(timeout)
        while time.monotonic() < end:
            try:
                line = self.lines.get(timeout=0.5)
            except queue.Empty:
                if self.process.poll() is not None:
                    break
                continue
            self.output.append(line)
            if text in line:
                return
        raise AssertionError(f"never saw {text!r}; output:\n{self.rest()}")

    def rest(self) -> str:
        """Everything the stack printed so far."""
        while not self.lines.empty():
            self.output.append(self.lines.get())
        return "".join(self.output)

    def admin_password(self, gateway: str) -> str:
        """The admin password the stack printed with the gateway's address."""
        prefix = f"[obcms] gateway: {gateway} (login admin / "
        line = next(line for line in self.output if line.startswith(prefix))
        return line.strip().removeprefix(prefix).removesuffix(")")

    def interrupt(self) -> int:
        """Ctrl-C; the exit code (killed after INTERRUPT_TIMEOUT, scaled, without one)."""
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(deadline(INTERRUPT_TIMEOUT))
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(10)

    def stop_cleanly(self) -> None:
        """Ctrl-C; fails unless the stack exits 0, with what it printed and the end of every
        process's log (a process that died under it names itself there)."""
        code = self.interrupt()
        if code == 0:
            return
        logs = "".join(
            f"\n--- {log.name} (last lines) ---\n" + "\n".join(log.read_text().splitlines()[-25:])
            for log in sorted(self.log_dir.glob("*.log"))
        )
        raise AssertionError(f"obcms-dev run exited with {code}:\n{self.rest()}{logs}")


@contextlib.contextmanager
def local_stack(env: dict[str, str]) -> Iterator[LocalStack]:
    """The stack `obcms-dev run` starts, with the environment `stack_environment` gives,
    started and stopped by the test itself, so it can stop and start single processes
    (`stack.stop("tasks-api")`, `stack.start("tasks-api")`)."""
    state = Path(env["OBCMS_STATE_DIR"])
    state.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as exit_stack:
        stack = LocalStack(state, env, exit_stack, ready_timeout=deadline(PROCESS_READY_TIMEOUT))
        stack.migrate()
        stack.start_all()
        yield stack
