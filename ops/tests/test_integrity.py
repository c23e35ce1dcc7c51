"""`obcmsctl integrity` against fresh migrated databases."""

from __future__ import annotations

import json
import uuid

from ops_helpers import add, assessment, database_options, event, ppa, task
from typer.testing import CliRunner

from obcmsctl.cli import app
from obcmsctl.integrity import DATABASES

runner = CliRunner()


def _run(databases: dict[str, str], *extra: str):
    return runner.invoke(
        app,
        [
            "integrity",
            *database_options(databases, DATABASES),
            *extra,
        ],
    )


def test_clean_links_pass(databases: dict[str, str]) -> None:
    the_ppa, the_assessment, the_event = ppa(), assessment(), event()
    add(databases["portfolio"], the_ppa, the_assessment)
    add(databases["calendar"], the_event)
    add(
        databases["tasks"],
        task("PPA task", related_ppa_id=the_ppa.id),
        task("Assessment task", related_assessment_id=the_assessment.id),
        task("Event task", related_event_id=the_event.id),
        task("Unlinked task"),
    )
    result = _run(databases)
    assert result.exit_code == 0, result.output
    assert "no orphaned task references" in result.output
    result = _run(databases, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"ok": True, "orphans": [], "files": []}


def test_task_pointing_at_a_missing_ppa_fails_and_is_named(databases: dict[str, str]) -> None:
    kept = ppa()
    add(databases["portfolio"], kept)
    gone_ppa, gone_event = uuid.uuid4(), uuid.uuid4()
    orphan = task("Orphaned PPA task", related_ppa_id=gone_ppa)
    add(
        databases["tasks"],
        task("Fine", related_ppa_id=kept.id),
        orphan,
        task("Orphaned event task", related_event_id=gone_event),
    )
    result = _run(databases)
    assert result.exit_code == 1, result.output
    assert str(gone_ppa) in result.output
    assert "Orphaned PPA task" in result.output
    assert "portfolio.ppas" in result.output

    report = json.loads(_run(databases, "--json").output)
    assert report["ok"] is False
    found = {(o["column"], o["missing_id"], o["task_id"]) for o in report["orphans"]}
    assert ("related_ppa_id", str(gone_ppa), str(orphan.id)) in found
    assert {o["missing_id"] for o in report["orphans"]} == {str(gone_ppa), str(gone_event)}


def test_urls_come_from_the_environment(databases: dict[str, str], monkeypatch) -> None:
    add(databases["tasks"], task("Orphan", related_assessment_id=uuid.uuid4()))
    for service in DATABASES:
        monkeypatch.setenv(service.database_url_variable, databases[service.name])
    result = runner.invoke(app, ["integrity"])
    assert result.exit_code == 1, result.output
    assert "related_assessment_id" in result.output


def test_missing_url_is_a_usage_error(monkeypatch) -> None:
    monkeypatch.delenv("OBCMS_TASKS_DATABASE_URL", raising=False)
    result = runner.invoke(app, ["integrity"])
    assert result.exit_code == 2
    assert "OBCMS_TASKS_DATABASE_URL" in result.output
