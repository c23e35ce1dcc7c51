"""What `make run` starts: each service's API and worker, the outbox relay, then the gateway and
its worker (feed cache invalidation); the services and the gateway are the registry's.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

# The stack's deployables are the registry's (re-exported for the stack's users).
from obcms_platform.registry import GATEWAY as GATEWAY
from obcms_platform.registry import SERVICES as SERVICES
from obcms_platform.registry import Deployable
from obcms_platform.settings import ATTACHMENTS_FOLDER


@dataclass(frozen=True)
class ProcessSpec:
    name: str
    command: list[str]
    ready_url: str | None = None  # polled until it answers 200
    env: dict[str, str] = field(default_factory=dict)  # added to the stack's environment


# Every backend the gateway knows (its OBCMS_GATEWAY_<NAME>_URL settings); one that is not
# in the stack's services gets an empty URL, which the gateway treats as "not deployed".
GATEWAY_BACKENDS = tuple(service.name for service in SERVICES)


# glibc's malloc, as in the images (Dockerfile). Its default of 8 arenas per core lets a
# process with a thread pool keep memory it freed (RSS grew after one large feed). Its
# default thresholds move with the largest block freed: a year's feed page (megabytes) was
# handed back to the kernel after each answer and faulted in again page by page by the next
# (1,600 faults, a third of tasks-api's CPU on a cold year feed). Blocks up to 4 MB now come
# from the heap, and up to 8 MB of free heap is kept; larger blocks are mapped and returned.
# Each may be overridden from the environment.
MALLOC_DEFAULTS = {
    "MALLOC_ARENA_MAX": "2",
    "MALLOC_MMAP_THRESHOLD_": str(4 * 1024 * 1024),
    "MALLOC_TRIM_THRESHOLD_": str(8 * 1024 * 1024),
}


def with_databases(services: tuple[Deployable, ...] = SERVICES) -> tuple[Deployable, ...]:
    """Everything with its own database: the services and the gateway."""
    return (*services, GATEWAY)


def gateway_process(
    services: tuple[Deployable, ...] = SERVICES, env: Mapping[str, str] = os.environ
) -> ProcessSpec:
    """The gateway in front of `services`, on the ports `env` gives them."""
    running = {spec.name: spec.url_in(env) for spec in services}
    return ProcessSpec(
        name="gateway",
        command=[
            sys.executable,
            "-m",
            f"{GATEWAY.package}.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(GATEWAY.port_in(env)),
        ],
        ready_url=f"{GATEWAY.url_in(env)}/readyz",
        env={
            f"{GATEWAY.env_prefix}{name.upper()}_URL": running.get(name, "")
            for name in GATEWAY_BACKENDS
        },
    )


def gateway_worker_process() -> ProcessSpec:
    """The gateway's event worker (feed cache invalidation)."""
    return ProcessSpec(
        name="gateway-worker",
        command=[sys.executable, "-m", f"{GATEWAY.package}.cli", "worker"],
    )


def processes(
    services: tuple[Deployable, ...] = SERVICES, env: Mapping[str, str] = os.environ
) -> list[ProcessSpec]:
    """Each service's API (on the port `env` gives it) and worker, then the relay."""
    python = sys.executable
    result = []
    for spec in services:
        port = spec.port_in(env)
        result.append(
            ProcessSpec(
                name=f"{spec.name}-api",
                command=[
                    python,
                    "-m",
                    f"{spec.package}.cli",
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                ],
                ready_url=f"http://127.0.0.1:{port}/readyz",
            )
        )
        commands = ("worker",) * spec.has_worker + spec.processes
        result.extend(
            ProcessSpec(
                name=f"{spec.name}-{command}",
                command=[python, "-m", f"{spec.package}.cli", command],
            )
            for command in commands
        )
    result.append(ProcessSpec(name="relay", command=[python, "-m", "obcms_platform.bus.cli"]))
    return result


def relay_sources(services: tuple[Deployable, ...] = SERVICES) -> str:
    """Every publisher's outbox (the gateway's too: it announces user accounts)."""
    return ",".join(spec.name for spec in with_databases(services) if spec.publishes)


def relay_consumers(services: tuple[Deployable, ...] = SERVICES) -> str:
    """Every process with an event worker (the gateway too): the relay's redelivery sweeper
    reads their inboxes, from the ``OBCMS_<NAME>_DATABASE_URL`` the stack passes to all."""
    return ",".join(spec.name for spec in with_databases(services) if spec.has_worker)


def process_environment(
    redis_url: str,
    database_urls: Mapping[str, str],
    state: Path,
    smtp_port: int | None = None,
    public_url: str = GATEWAY.default_url,
) -> dict[str, str]:
    """What every process of the stack gets on top of the caller's environment; with
    `smtp_port`, the local mail catcher's address (mail is kept in ``<state>/mail``, which
    the gateway's development mailbox page shows). Attachments are kept in
    ``<state>/attachments``."""
    mail = (
        {
            "OBCMS_SMTP_HOST": "127.0.0.1",
            "OBCMS_SMTP_PORT": str(smtp_port),
            "OBCMS_PUBLIC_URL": public_url,
            "OBCMS_DEV_MAILBOX_DIR": str(state / "mail"),
        }
        if smtp_port
        else {}
    )
    return {
        **mail,
        "OBCMS_REDIS_URL": redis_url,
        "OBCMS_RELAY_SOURCES": relay_sources(),
        # The sweeper reads these consumers' databases (every URL is in this env).
        "OBCMS_RELAY_CONSUMERS": relay_consumers(),
        "OBCMS_STATE_DIR": str(state),
        # Attachments in a folder of the state: every service's files, kept across restarts.
        "OBCMS_ATTACHMENTS_STORAGE": "local",
        "OBCMS_ATTACHMENTS_DIR": str(state / ATTACHMENTS_FOLDER),
        **{name: os.environ.get(name, value) for name, value in MALLOC_DEFAULTS.items()},
        **{spec.database_url_variable: database_urls[spec.name] for spec in with_databases()},
    }
