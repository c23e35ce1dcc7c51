"""`obcmsctl migrate --plan` and `obcmsctl rollback` (tier 2 for real; tiers 1 and 3 need a
cluster, so only their argument handling and refusals are tested here)."""

from __future__ import annotations

import json
from pathlib import Path

from ops_helpers import add, database_options, ppa, table_rows, task, unreachable_kubeconfig
from typer.testing import CliRunner

from obcms_platform import migrations
from obcmsctl.cli import app

runner = CliRunner()


def _plan(databases: dict[str, str]) -> dict[str, dict]:
    result = runner.invoke(app, ["migrate", "--plan", "--json", *database_options(databases)])
    assert result.exit_code == 0, result.output
    return {plan["service"]: plan for plan in json.loads(result.output)}


def test_tier_two_downgrades_a_populated_database_and_plan_shows_the_way_back(
    databases: dict[str, str],
) -> None:
    the_ppa = ppa()
    add(databases["portfolio"], the_ppa)
    add(databases["tasks"], *[task(f"T{n}", related_ppa_id=the_ppa.id) for n in range(25)])
    before = table_rows(databases["tasks"], "tasks")
    head = migrations.head_revision("tasks_service")
    undone = [f"{number:04d}" for number in range(4, int(head) + 1)]  # after 0003, to the head
    assert len(undone) >= 4, head
    assert all(plan["to_apply"] == [] for plan in _plan(databases).values())

    args = ["rollback", "--tier", "2", "--service", "tasks", "--revision", "0003"]
    refused = runner.invoke(app, [*args, "--db", databases["tasks"]])
    assert refused.exit_code == 2
    assert f"undoing {', '.join(reversed(undone))}" in refused.output
    assert "--yes" in refused.output
    assert migrations.current_revision("tasks_service", databases["tasks"]) == head

    done = runner.invoke(app, [*args, "--db", databases["tasks"], "--yes"])
    assert done.exit_code == 0, done.output
    assert migrations.current_revision("tasks_service", databases["tasks"]) == "0003"
    # Every row is kept, with what it had in every column the older schema still has.
    after = table_rows(databases["tasks"], "tasks")
    assert len(after) == len(before) == 25
    assert after == [{name: row[name] for name in after[0]} for row in before]

    plans = _plan(databases)
    assert plans["tasks"]["current"] == "0003"
    assert plans["tasks"]["head"] == head
    assert plans["tasks"]["to_apply"] == undone
    assert plans["portfolio"]["to_apply"] == []
    text = runner.invoke(
        app, ["migrate", "--plan", "--service", "tasks", "--tasks-db", databases["tasks"]]
    )
    assert "0003" in text.output
    assert ", ".join(undone) in text.output

    migrations.upgrade("tasks_service", databases["tasks"])
    assert _plan(databases)["tasks"]["to_apply"] == []


def test_tier_two_refuses_bad_targets(databases: dict[str, str]) -> None:
    base = ["rollback", "--tier", "2", "--db", databases["tasks"], "--yes"]
    for extra, message in [
        ([], "needs --service"),
        (["--service", "nope"], "needs --service"),
        (["--service", "tasks"], "needs --revision"),
        (["--service", "tasks", "--revision", "9999"], "9999"),
    ]:
        result = runner.invoke(app, [*base, *extra])
        assert result.exit_code == 2, result.output
        assert message in result.output
    migrations.downgrade("tasks_service", databases["tasks"], "0004")
    newer = runner.invoke(app, [*base, "--service", "tasks", "--revision", "0005"])
    assert newer.exit_code == 2
    assert "not an ancestor" in newer.output
    same = runner.invoke(app, [*base, "--service", "tasks", "--revision", "0004"])
    assert same.exit_code == 0
    assert "nothing to do" in same.output
    assert migrations.current_revision("tasks_service", databases["tasks"]) == "0004"


def test_migrate_without_plan_is_refused() -> None:
    result = runner.invoke(app, ["migrate"])
    assert result.exit_code == 2
    assert "--plan" in result.output


def test_tiers_one_and_three_refusals(tmp_path: Path) -> None:
    for args, message in [
        (["--tier", "1"], "needs --release"),
        (["--tier", "1", "--release", "obcms"], "pass --yes"),
        (["--tier", "3", "--release", "obcms"], "needs --from"),
        (["--tier", "3", "--release", "obcms", "--from", str(tmp_path)], "no backup"),
        (["--tier", "4"], "less than or equal to 3"),
    ]:
        result = runner.invoke(app, ["rollback", *args])
        assert result.exit_code == 2, result.output
        assert message in result.output


def test_tier_one_reports_an_unreachable_cluster(tmp_path: Path) -> None:
    """The SDK call is made; with no cluster at the kubeconfig's address it fails cleanly."""
    kubeconfig = unreachable_kubeconfig(tmp_path)
    result = runner.invoke(
        app,
        ["rollback", "--tier", "1", "--release", "obcms", "--kubeconfig", str(kubeconfig), "--yes"],
    )
    assert result.exit_code == 1, result.output
    assert "helm rollback of obcms failed" in result.output
