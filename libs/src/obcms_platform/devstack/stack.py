"""What `make run` starts: each service's API and worker, and the outbox relay.

Services are named by module path only (libs never import a service).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class ServiceSpec:
    name: str  # also the database name suffix: obcms_<name>
    package: str  # Python package; its Alembic history is <package>:migrations
    default_port: int
    has_worker: bool = True

    @property
    def env_prefix(self) -> str:
        return f"OBCMS_{self.name.upper()}_"

    @property
    def database(self) -> str:
        return f"obcms_{self.name}"

    @property
    def port(self) -> int:
        """``OBCMS_<SERVICE>_PORT`` overrides the default port."""
        return int(os.environ.get(f"{self.env_prefix}PORT", self.default_port))


@dataclass(frozen=True)
class ProcessSpec:
    name: str
    command: list[str]
    ready_url: str | None = None  # polled until it answers 200


SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec(name="tasks", package="tasks_service", default_port=8001),
    ServiceSpec(name="portfolio", package="portfolio_service", default_port=8003),
)


def processes(services: tuple[ServiceSpec, ...] = SERVICES) -> list[ProcessSpec]:
    python = sys.executable
    result = []
    for spec in services:
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
                    str(spec.port),
                ],
                ready_url=f"http://127.0.0.1:{spec.port}/readyz",
            )
        )
        if spec.has_worker:
            result.append(
                ProcessSpec(
                    name=f"{spec.name}-worker",
                    command=[python, "-m", f"{spec.package}.cli", "worker"],
                )
            )
    result.append(ProcessSpec(name="relay", command=[python, "-m", "obcms_platform.bus.cli"]))
    return result


def relay_sources(services: tuple[ServiceSpec, ...] = SERVICES) -> str:
    return ",".join(spec.name for spec in services)
