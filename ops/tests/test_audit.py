"""`obcmsctl audit export` against fresh migrated databases: every service's history since a
moment, merged in time order, as CSV or JSON lines."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
from ops_helpers import add, database_options, task
from typer.testing import CliRunner

from calendar_service.resources.models import Resource, ResourceType
from gateway_service.users.models import User
from obcmsctl import services
from obcmsctl.cli import app

runner = CliRunner()


def _export(databases: dict[str, str], *extra: str):
    return runner.invoke(app, ["audit", "export", *database_options(databases), *extra])


def _backdate(tasks_url: str, record_id: uuid.UUID, at: datetime) -> None:
    """An entry as a change at `at` would have left it (the history is append-only, so an
    existing entry cannot be moved back in time)."""
    with psycopg.connect(services.libpq_dsn(tasks_url)) as conn:
        conn.execute(
            "INSERT INTO record_history (record_type, record_id, record_version, action,"
            " actor_id, cause, changes, at) VALUES ('task', %s, 1, 'created', NULL,"
            " 'imported', '[]', %s)",
            (record_id, at),
        )


def test_export_since_a_moment_as_csv_and_json_lines(databases: dict[str, str]) -> None:
    started = datetime.now(UTC)
    old = task("Filed last year")
    add(databases["tasks"], old)
    _backdate(databases["tasks"], old.id, started - timedelta(days=400))
    first, second = task("Draft the brief"), task("Book the venue")
    add(databases["tasks"], first)
    add(databases["tasks"], second)

    since = (started - timedelta(days=1)).date().isoformat()
    result = _export(databases, "--since", since)
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line]
    rows = list(csv.DictReader(io.StringIO("\n".join(lines))))
    created = [row for row in rows if row["action"] == "created"]
    # The entry of 400 days ago is before --since; the three others, oldest first.
    assert [row["record_id"] for row in created] == [str(old.id), str(first.id), str(second.id)]
    assert {row["service"] for row in rows} == {"tasks"}
    titles = [
        change["new"]
        for row in created
        for change in json.loads(row["changes"])
        if change["field"] == "title"
    ]
    assert titles == ["Filed last year", "Draft the brief", "Book the venue"]
    assert all(row["at"].endswith("+00:00") for row in rows)
    assert "no history kept by" in result.stderr

    everything = _export(
        databases, "--since", (started - timedelta(days=500)).isoformat(), "--format", "jsonl"
    )
    assert everything.exit_code == 0, everything.output
    entries = [json.loads(line) for line in everything.stdout.splitlines() if line]
    assert [entry["cause"] for entry in entries[:1]] == ["imported"]
    assert len(entries) == len(rows) + 1
    assert "4 change(s) from calendar, gateway, portfolio, tasks" in everything.stderr


def test_export_writes_a_file_and_refuses_a_bad_moment(databases: dict[str, str], tmp_path) -> None:
    add(databases["tasks"], task("Draft the brief"))
    target = tmp_path / "audit.jsonl"
    result = _export(databases, "--since", "2020-01-01", "--format", "jsonl", "-o", str(target))
    assert result.exit_code == 0, result.output
    (entry,) = [json.loads(line) for line in target.read_text().splitlines()]
    assert entry["record_type"] == "task"
    assert entry["actor_id"] is None
    refused = _export(databases, "--since", "last tuesday")
    assert refused.exit_code == 2
    assert "--since" in refused.output


def test_export_includes_the_calendar_and_gateway_histories(databases: dict[str, str]) -> None:
    add(
        databases["calendar"],
        Resource(id=uuid.uuid4(), name="Van 1", resource_type=ResourceType.VEHICLE),
    )
    add(
        databases["gateway"],
        User(username="ana", full_name="Ana Cruz", password_hash="$argon2id$secret"),
    )
    result = _export(databases, "--since", "2020-01-01", "--format", "jsonl")
    assert result.exit_code == 0, result.output
    entries = [json.loads(line) for line in result.stdout.splitlines() if line]
    by_service = {entry["service"]: entry for entry in entries}
    assert set(by_service) == {"calendar", "gateway"}
    assert by_service["calendar"]["record_type"] == "resource"
    assert {"field": "name", "old": None, "new": "Van 1"} in by_service["calendar"]["changes"]
    user = by_service["gateway"]
    assert user["record_type"] == "user"
    assert {"field": "full_name", "old": None, "new": "Ana Cruz"} in user["changes"]
    assert "argon2" not in result.stdout
    assert "no history kept by notifications" in result.stderr
