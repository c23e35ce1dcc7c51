"""What `make run` starts: the platform's processes, in start order.

Services are named by module path only (libs never import a service).
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class ServiceSpec:
    name: str  # also the database name suffix: obcms_<name>
    package: str  # Python package; its Alembic history is <package>:migrations
    env_prefix: str
    default_port: int

    @property
    def database(self) -> str:
        return f"obcms_{self.name}"

    @property
    def port(self) -> int:
        """``OBCMS_<SERVICE>_PORT`` overrides the default port."""
        return int(os.environ.get(f"{self.env_prefix}PORT", self.default_port))

    def command(self, python: str) -> list[str]:
        return [
            python,
            "-m",
            "uvicorn",
            f"{self.package}.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--no-access-log",
            "--log-level",
            "warning",
        ]


SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec(
        name="tasks", package="tasks_service", env_prefix="OBCMS_TASKS_", default_port=8001
    ),
)
