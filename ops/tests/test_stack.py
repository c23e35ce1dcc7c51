"""`obcmsctl smoke` and `obcmsctl integrity` against a running `obcms-dev run` stack (the
real binaries, with free ports), as after a deployment."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import psycopg
import pytest
from ops_helpers import database_options
from typer.testing import CliRunner

from obcms_platform.auth import Role
from obcms_platform.testing import auth_headers, wait_until
from obcms_platform.testing.devstack import RunningStack, stack_environment, state_folder
from obcms_platform.testing.timing import deadline
from obcmsctl import integrity
from obcmsctl.cli import app

# Started first (see the root conftest): minutes of work each, that must not be the tail.
pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
HTTP_TIMEOUT = deadline(30)  # generous: the test machine may be busy


def obcmsctl(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "obcmsctl"), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=deadline(120),
        check=False,
    )


def in_process(*args: str) -> subprocess.CompletedProcess[str]:
    """The same command through Typer's runner: no interpreter start-up per call."""
    result = CliRunner().invoke(app, list(args))
    return subprocess.CompletedProcess(args, result.exit_code, result.output, "")


def wait_for_tasks(tasks_api: str, ppa_id: str, count: int) -> None:
    headers = auth_headers(uuid.uuid4(), [Role.MANAGER])
    found = 0

    def arrived() -> bool:
        nonlocal found
        response = httpx.get(
            f"{tasks_api}/api/v1/tasks",
            params={"related_ppa_id": ppa_id},
            headers=headers,
            timeout=HTTP_TIMEOUT,
        )
        found = len(response.json()["items"])
        return found == count

    wait_until(arrived, message=lambda: f"{found} tasks for PPA {ppa_id}, not {count}")


def test_smoke_and_integrity_against_a_running_stack() -> None:
    with state_folder() as folder:
        check_smoke_and_integrity(folder)


def check_smoke_and_integrity(folder: Path) -> None:
    env, ports = stack_environment(folder)
    gateway = f"http://127.0.0.1:{ports['OBCMS_PORT']}"
    tasks_api = f"http://127.0.0.1:{ports['OBCMS_TASKS_PORT']}"
    portfolio_api = f"http://127.0.0.1:{ports['OBCMS_PORTFOLIO_PORT']}"
    pg = f"postgresql+psycopg://postgres@127.0.0.1:{ports['OBCMS_DEV_POSTGRES_PORT']}"
    databases = {d.name: f"{pg}/{d.database}" for d in integrity.DATABASES}

    stack = RunningStack(env)
    try:
        stack.wait_for()
        password = stack.admin_password(gateway)

        wrong = in_process("smoke", "--url", gateway, "--password", "not-the-password", "--json")
        assert wrong.returncode == 1, wrong.stdout + wrong.stderr
        report = json.loads(wrong.stdout)
        assert [(s["name"], s["ok"]) for s in report["steps"]] == [("login", False)]

        title = f"Smoke {uuid.uuid4().hex[:8]}"
        ok = obcmsctl("smoke", "--url", gateway, "--password", password, "--title", title)
        assert ok.returncode == 0, ok.stdout + ok.stderr
        for step in ("login", "calendar", "tasks", "health"):
            assert any(line.startswith(step) and " ok " in line for line in ok.stdout.splitlines())
        assert title in ok.stdout

        login = ["--url", gateway, "--password", password]
        on = in_process("maintenance", "on", *login, "--message", "Upgrading", "--json")
        assert on.returncode == 0, on.stdout + on.stderr
        assert json.loads(on.stdout) == {"enabled": True, "message": "Upgrading"}
        page = httpx.get(f"{gateway}/accounts/login/", timeout=HTTP_TIMEOUT)
        assert page.status_code == 503
        assert "Retry-After" in page.headers
        during = in_process("smoke", *login)
        assert during.returncode == 1
        off = in_process("maintenance", "off", *login)
        assert off.returncode == 0, off.stdout + off.stderr
        assert off.stdout.startswith("maintenance off")
        assert httpx.get(f"{gateway}/accounts/login/", timeout=HTTP_TIMEOUT).status_code == 200

        ppa = httpx.post(
            f"{portfolio_api}/api/v1/ppas",
            json={"title": "Solar dryers", "category": "oobc_ppa", "start_date": "2027-01-04"},
            headers=auth_headers(uuid.uuid4(), [Role.MANAGER]),
            timeout=HTTP_TIMEOUT,
        )
        assert ppa.status_code == 201, ppa.text
        ppa_id = ppa.json()["id"]
        wait_for_tasks(tasks_api, ppa_id, 10)

        db_env = {**env, **{f"OBCMS_{n.upper()}_DATABASE_URL": u for n, u in databases.items()}}
        clean = obcmsctl("integrity", "--json", env=db_env)  # URLs from the environment
        assert clean.returncode == 0, clean.stdout + clean.stderr
        assert json.loads(clean.stdout) == {"ok": True, "orphans": [], "files": []}

        # Deleted behind the service's back (no outbox event): its ten tasks are orphans.
        dsn = databases["portfolio"].replace("postgresql+psycopg", "postgresql")
        with psycopg.connect(dsn) as conn:
            conn.execute("DELETE FROM ppas WHERE id = %s", (ppa_id,))
        broken = in_process("integrity", *database_options(databases))
        assert broken.returncode == 1, broken.stdout + broken.stderr
        assert "10 orphaned task reference(s)" in broken.stdout
        assert ppa_id in broken.stdout
    finally:
        stack.stop_cleanly()
