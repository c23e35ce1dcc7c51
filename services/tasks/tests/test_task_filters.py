"""Task listing: every filter of API.md, alone and combined, sorting, pagination, scale."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from obcms_platform.auth import Role
from obcms_platform.testing import assert_error, auth_headers, wrongly_refused
from obcms_platform.testing.service_probes import recorded_statements
from obcms_platform.zones import office_today
from tasks_service.tasks.models import Task, TaskDomain, TaskPriority, TaskStatus
from tasks_service.tasks.schemas import TaskRead
from tasks_service.teams.models import Team, TeamMember

from .helpers import TASKS, create_team


def day(offset: int) -> date:
    return office_today() + timedelta(days=offset)


@dataclass
class Seed:
    """A varied set of tasks, by short name; ids of the related records and people."""

    ids: dict[str, str]
    ppa: uuid.UUID
    other_ppa: uuid.UUID
    assessment: uuid.UUID
    event: uuid.UUID
    team: uuid.UUID
    alice: uuid.UUID  # staff
    bob: uuid.UUID  # other_staff
    carol: uuid.UUID  # member of `team` only

    def names(self, items: list[dict[str, Any]]) -> list[str]:
        by_id = {task_id: name for name, task_id in self.ids.items()}
        return [by_id[item["id"]] for item in items]


# name: (title, description, domain, status, priority, due offset, extra columns)
SEED_ROWS: dict[str, tuple[str, str, str, str, str, int | None, dict[str, Any]]] = {
    "alpha": ("Alpha kickoff", "", "mana", "not_started", "high", 5, {"who": "alice", "ppa": 1}),
    "beta": (
        "Beta survey",
        "Field work",
        "communities",
        "in_progress",
        "low",
        -3,
        {"who": "bob", "assessment": 1},
    ),
    "gamma": (
        "Gamma closing",
        "",
        "mana",
        "completed",
        "critical",
        -10,
        {"who": "alice+bob", "event": 1},
    ),
    "delta": ("Delta backlog", "", "general", "at_risk", "medium", None, {"team": 1}),
    "epsilon": (
        "Epsilon budget",
        "Review 100% of the_budget lines",
        "policy",
        "not_started",
        "medium",
        0,
        {"template": "ppa_budget_cycle", "ppa": 1},
    ),
    "zeta": (
        "Zeta quarterly REPORT draft",
        "",
        "data",
        "in_progress",
        "critical",
        30,
        {"other_ppa": 1},
    ),
    "eta": (
        "Eta prepare 50% Report",
        "",
        "mana",
        "not_started",
        "low",
        -1,
        {"template": "event_meeting_standard", "event": 1},
    ),
    "theta": ("Theta archive", "Final report attached", "services", "completed", "medium", 60, {}),
}
ALL = set(SEED_ROWS)


@pytest.fixture
def seed(session: Session, staff, other_staff) -> Seed:
    data = Seed(
        ids={},
        ppa=uuid.uuid4(),
        other_ppa=uuid.uuid4(),
        assessment=uuid.uuid4(),
        event=uuid.uuid4(),
        team=uuid.uuid4(),
        alice=staff.user_id,
        bob=other_staff.user_id,
        carol=uuid.uuid4(),
    )
    session.add(
        Team(
            id=data.team,
            name="Field team",
            slug="field-team",
            members=[TeamMember(user_id=data.carol)],
        )
    )
    people = {"alice": [data.alice], "bob": [data.bob], "alice+bob": [data.alice, data.bob]}
    base = datetime(2026, 1, 1, tzinfo=UTC)
    for index, (name, row) in enumerate(SEED_ROWS.items()):
        title, description, domain, status, priority, due, extra = row
        task_id = uuid.uuid4()
        data.ids[name] = str(task_id)
        completed = status == "completed"
        session.add(
            Task(
                id=task_id,
                title=title,
                description=description,
                domain=TaskDomain(domain),
                status=TaskStatus(status),
                priority=TaskPriority(priority),
                due_date=None if due is None else day(due),
                completed_at=base if completed else None,
                progress=100 if completed else 10,
                assignee_ids=people.get(extra.get("who", ""), []),
                team_ids=[data.team] if "team" in extra else [],
                related_ppa_id=data.ppa
                if "ppa" in extra
                else (data.other_ppa if "other_ppa" in extra else None),
                related_assessment_id=data.assessment if "assessment" in extra else None,
                related_event_id=data.event if "event" in extra else None,
                created_from_template=extra.get("template"),
                auto_generated="template" in extra,
                created_by=data.alice,
                # Distinct creation and update times: created in seed order, updated in reverse.
                created_at=base + timedelta(hours=index),
                updated_at=base + timedelta(days=30, hours=-index),
            )
        )
    session.commit()
    return data


def listing(client, caller, params: Any = None, status: int = 200) -> dict[str, Any]:
    response = client.get(TASKS, params=params, headers=caller.headers)
    assert response.status_code == status, response.text
    return response.json()


# Each case: (query parameters built from the seed, expected task names).
Case = Callable[[Seed], list[tuple[str, str]]]
FILTER_CASES: list[tuple[str, Case, set[str]]] = [
    ("no filter", lambda s: [], ALL),
    ("domain", lambda s: [("domain", "mana")], {"alpha", "gamma", "eta"}),
    (
        "domain OR",
        lambda s: [("domain", "mana"), ("domain", "policy")],
        {"alpha", "gamma", "eta", "epsilon"},
    ),
    ("domain none", lambda s: [("domain", "municipal")], set()),
    ("status", lambda s: [("status", "in_progress")], {"beta", "zeta"}),
    (
        "status OR",
        lambda s: [("status", "not_started"), ("status", "at_risk")],
        {"alpha", "delta", "epsilon", "eta"},
    ),
    ("status completed", lambda s: [("status", "completed")], {"gamma", "theta"}),
    ("priority", lambda s: [("priority", "critical")], {"gamma", "zeta"}),
    (
        "priority OR",
        lambda s: [("priority", "low"), ("priority", "high")],
        {"alpha", "beta", "eta"},
    ),
    ("assignee uuid", lambda s: [("assignee", str(s.alice))], {"alpha", "gamma"}),
    ("assignee other uuid", lambda s: [("assignee", str(s.bob))], {"beta", "gamma"}),
    ("assignee via team", lambda s: [("assignee", str(s.carol))], {"delta"}),
    ("assignee unknown", lambda s: [("assignee", str(uuid.uuid4()))], set()),
    (
        "assignee none: no person, no team",
        lambda s: [("assignee", "none")],
        {"epsilon", "zeta", "eta", "theta"},
    ),
    ("team", lambda s: [("team", str(s.team))], {"delta"}),
    ("team unknown", lambda s: [("team", str(uuid.uuid4()))], set()),
    ("related_ppa_id", lambda s: [("related_ppa_id", str(s.ppa))], {"alpha", "epsilon"}),
    ("related_assessment_id", lambda s: [("related_assessment_id", str(s.assessment))], {"beta"}),
    ("related_event_id", lambda s: [("related_event_id", str(s.event))], {"gamma", "eta"}),
    (
        "due_after inclusive",
        lambda s: [("due_after", day(0).isoformat())],
        {"epsilon", "alpha", "zeta", "theta"},
    ),
    (
        "due_before inclusive",
        lambda s: [("due_before", day(0).isoformat())],
        {"gamma", "beta", "eta", "epsilon"},
    ),
    (
        "due window one day",
        lambda s: [("due_after", day(0).isoformat()), ("due_before", day(0).isoformat())],
        {"epsilon"},
    ),
    (
        "due window",
        lambda s: [("due_after", day(-3).isoformat()), ("due_before", day(5).isoformat())],
        {"beta", "eta", "epsilon", "alpha"},
    ),
    ("overdue", lambda s: [("overdue", "true")], {"beta", "eta"}),
    (
        "not overdue",
        lambda s: [("overdue", "false")],
        {"alpha", "gamma", "delta", "epsilon", "zeta", "theta"},
    ),
    ("due today", lambda s: [("due", "today")], {"epsilon"}),
    ("due this week: today and six days on", lambda s: [("due", "week")], {"epsilon", "alpha"}),
    ("due overdue", lambda s: [("due", "overdue")], {"beta", "eta"}),
    (
        "due week+status",
        lambda s: [("due", "week"), ("status", "not_started")],
        {"epsilon", "alpha"},
    ),
    ("q title case-insensitive", lambda s: [("q", "report")], {"zeta", "eta", "theta"}),
    ("q upper", lambda s: [("q", "REPORT")], {"zeta", "eta", "theta"}),
    ("q description only", lambda s: [("q", "field work")], {"beta"}),
    ("q percent literal", lambda s: [("q", "%")], {"epsilon", "eta"}),
    ("q percent in word", lambda s: [("q", "50%")], {"eta"}),
    ("q underscore literal", lambda s: [("q", "_")], {"epsilon"}),
    ("q underscore in word", lambda s: [("q", "the_budget")], {"epsilon"}),
    ("q underscore not wildcard", lambda s: [("q", "the_b_dget")], set()),
    ("q backslash", lambda s: [("q", "\\")], set()),
    ("q no match", lambda s: [("q", "nothing like this")], set()),
    ("q words in any order", lambda s: [("q", "draft Quarterly")], {"zeta"}),
    ("q words across title and description", lambda s: [("q", "budget review")], {"epsilon"}),
    ("q every word must match", lambda s: [("q", "report budget")], set()),
    ("q extra spaces", lambda s: [("q", "  field   work ")], {"beta"}),
    ("q empty means no filter", lambda s: [("q", "")], ALL),
    ("auto_generated", lambda s: [("auto_generated", "true")], {"epsilon", "eta"}),
    ("manual", lambda s: [("auto_generated", "false")], ALL - {"epsilon", "eta"}),
    (
        "created_from_template",
        lambda s: [("created_from_template", "ppa_budget_cycle")],
        {"epsilon"},
    ),
    ("created_from_template unknown", lambda s: [("created_from_template", "nope")], set()),
    # Combinations: every filter ANDs with the others.
    (
        "domain+status+priority",
        lambda s: [("domain", "mana"), ("status", "not_started"), ("priority", "low")],
        {"eta"},
    ),
    (
        "domain+not overdue+assignee",
        lambda s: [("domain", "mana"), ("overdue", "false"), ("assignee", str(s.alice))],
        {"alpha", "gamma"},
    ),
    (
        "open statuses+due_before",
        lambda s: [
            ("status", "not_started"),
            ("status", "in_progress"),
            ("due_before", day(0).isoformat()),
        ],
        {"beta", "epsilon", "eta"},
    ),
    ("q+auto_generated", lambda s: [("q", "report"), ("auto_generated", "true")], {"eta"}),
    (
        "ppa+template",
        lambda s: [("related_ppa_id", str(s.ppa)), ("created_from_template", "ppa_budget_cycle")],
        {"epsilon"},
    ),
    ("event+overdue", lambda s: [("related_event_id", str(s.event)), ("overdue", "true")], {"eta"}),
    ("assignee+status none", lambda s: [("assignee", str(s.bob)), ("status", "at_risk")], set()),
    ("team+domain", lambda s: [("team", str(s.team)), ("domain", "general")], {"delta"}),
    (
        "priority OR+due_after",
        lambda s: [
            ("priority", "critical"),
            ("priority", "medium"),
            ("due_after", day(1).isoformat()),
        ],
        {"zeta", "theta"},
    ),
]


def test_every_filter_alone_and_combined(client, staff, seed):
    wrong = []
    for name, params, expected in FILTER_CASES:
        page = listing(client, staff, params(seed))
        names = seed.names(page["items"])
        if sorted(names) != sorted(expected) or page["total"] != len(expected):
            wrong.append((name, sorted(expected), names, page["total"]))
    assert wrong == []


def test_assignee_me_means_directly_or_through_a_team(client, staff, other_staff, manager):
    member = staff
    outsider = other_staff
    team_id = create_team(
        client,
        manager,
        "MANA survey team",
        members=[
            {"user_id": str(member.user_id), "role": "member"},
            {"user_id": str(manager.user_id), "role": "lead"},
        ],
    )["id"]

    def create(**fields):
        response = client.post(TASKS, json=fields, headers=manager.headers)
        assert response.status_code == 201, response.text
        return response.json()["id"]

    team_task = create(title="Team only", team_ids=[team_id])
    direct_task = create(title="Direct", assignee_ids=[str(member.user_id)])
    both_task = create(title="Both", assignee_ids=[str(member.user_id)], team_ids=[team_id])
    outsider_task = create(title="Outsider's", assignee_ids=[str(outsider.user_id)])
    create(title="Nobody's")

    mine = listing(client, member, {"assignee": "me"})
    assert {item["id"] for item in mine["items"]} == {team_task, direct_task, both_task}
    assert mine["total"] == 3
    theirs = listing(client, outsider, {"assignee": "me"})
    assert [item["id"] for item in theirs["items"]] == [outsider_task]
    # The same answer when asking by the member's id.
    by_id = listing(client, outsider, {"assignee": str(member.user_id)})
    assert {item["id"] for item in by_id["items"]} == {team_task, direct_task, both_task}
    # The team filter alone, and the membership taking effect as it changes.
    team = listing(client, outsider, {"team": team_id})
    assert {item["id"] for item in team["items"]} == {team_task, both_task}
    replaced = client.put(
        f"/api/v1/teams/{team_id}/members",
        json={"members": [{"user_id": str(outsider.user_id)}]},
        headers=manager.headers,
    )
    assert replaced.status_code == 200, replaced.text
    theirs = listing(client, outsider, {"assignee": "me"})
    assert {item["id"] for item in theirs["items"]} == {outsider_task, team_task, both_task}
    mine = listing(client, member, {"assignee": "me"})
    assert {item["id"] for item in mine["items"]} == {direct_task, both_task}


def test_assigned_directly_leaves_out_the_tasks_of_the_persons_teams(client, staff, manager):
    """A manager filtering by a team lead's tasks found the team's too: a task reassigned
    from the lead to a colleague stayed listed. `assigned_directly` lists the person's own."""
    lead = staff
    team_id = create_team(
        client, manager, "Research team", members=[{"user_id": str(lead.user_id), "role": "lead"}]
    )["id"]

    def create(**fields):
        response = client.post(TASKS, json=fields, headers=manager.headers)
        assert response.status_code == 201, response.text
        return response.json()["id"]

    team_task = create(title="The team's", team_ids=[team_id])
    own_task = create(title="The lead's", assignee_ids=[str(lead.user_id)], team_ids=[team_id])
    by_id = {"assignee": str(lead.user_id)}
    everything = listing(client, manager, by_id)
    assert {item["id"] for item in everything["items"]} == {team_task, own_task}
    own = listing(client, manager, {**by_id, "assigned_directly": "true"})
    assert [item["id"] for item in own["items"]] == [own_task]
    assert own["total"] == 1
    mine = listing(client, lead, {"assignee": "me", "assigned_directly": "true"})
    assert [item["id"] for item in mine["items"]] == [own_task]
    # The same as before without it, or with false.
    unchanged = listing(client, manager, {**by_id, "assigned_directly": "false"})
    assert unchanged["total"] == everything["total"]


def test_assignee_me_for_a_user_with_nothing(client, seed):
    stranger = auth_headers(uuid.uuid4(), [Role.STAFF])
    response = client.get(TASKS, params={"assignee": "me"}, headers=stranger)
    assert response.status_code == 200, response.text
    assert response.json()["items"] == []
    assert response.json()["total"] == 0


INVALID_FILTERS: list[tuple[dict[str, Any], str]] = [
    ({"domain": "bogus"}, "domain"),
    ({"status": "done"}, "status"),
    ({"status": ["not_started", "bogus"]}, "status"),
    ({"priority": "urgent"}, "priority"),
    ({"assignee": "you"}, "assignee"),
    ({"assignee": "nobody"}, "assignee"),
    ({"assigned_directly": "true"}, "assigned_directly"),  # whose, then?
    ({"assignee": "none", "assigned_directly": "true"}, "assigned_directly"),
    ({"assignee": "me", "assigned_directly": "sometimes"}, "assigned_directly"),
    ({"due": "tomorrow"}, "due"),
    ({"due": "TODAY"}, "due"),
    ({"team": "field-team"}, "team"),
    ({"related_ppa_id": "12"}, "related_ppa_id"),
    ({"related_assessment_id": "x"}, "related_assessment_id"),
    ({"related_event_id": "x"}, "related_event_id"),
    ({"due_after": "2026-02-30"}, "due_after"),
    ({"due_before": "soon"}, "due_before"),
    ({"due_after": "0001-01-01"}, "due_after"),
    ({"overdue": "maybe"}, "overdue"),
    ({"auto_generated": "perhaps"}, "auto_generated"),
    ({"q": "x" * 201}, "q"),
    ({"q": "nul\x00byte"}, "q"),
    ({"created_from_template": "a\x00b"}, "created_from_template"),
    ({"sort": "colour"}, "sort"),
    ({"limit": "ten"}, "limit"),
    ({"limit": "0"}, "limit"),
    ({"limit": "501"}, "limit"),
    ({"offset": "-1"}, "offset"),
    ({"offset": "x"}, "offset"),
    ({"due_after": day(1).isoformat(), "due_before": day(0).isoformat()}, "due_before"),
]


def test_overdue_and_due_today_are_counted_in_the_askers_own_day(client):
    """Between 00:00 and 08:00 at the office the server's (UTC) date is the office's
    yesterday: "overdue" left out the tasks due then. Each asker's today is their zone's:
    two zones a day apart, at any moment, disagree about a task due on the western one's
    today."""
    user = uuid.uuid4()
    west = auth_headers(user, time_zone="Pacific/Pago_Pago")  # UTC-11
    east = auth_headers(user, time_zone="Pacific/Kiritimati")  # UTC+14
    west_today = datetime.now(ZoneInfo("Pacific/Pago_Pago")).date()
    created = client.post(
        TASKS,
        json={"title": "Due in the west's today", "due_date": west_today.isoformat()},
        headers=west,
    )
    assert created.status_code == 201, created.text
    task_id = created.json()["id"]

    def listed(headers: dict[str, str], due: str) -> bool:
        answer = client.get(TASKS, params={"due": due, "id": task_id}, headers=headers)
        assert answer.status_code == 200, answer.text
        return task_id in {item["id"] for item in answer.json()["items"]}

    assert (listed(west, "today"), listed(west, "overdue")) == (True, False)
    assert (listed(east, "today"), listed(east, "overdue")) == (False, True)


def test_invalid_filter_values_are_422_naming_the_parameter(client, staff, seed):
    # List-valued filters may name the position too ("status[0]").
    wrong = wrongly_refused(
        INVALID_FILTERS, lambda params: client.get(TASKS, params=params, headers=staff.headers)
    )
    assert wrong == []


# --- sorting ------------------------------------------------------------------------------

# Due dates: gamma -10, beta -3, eta -1, epsilon 0, alpha 5, zeta 30, theta 60, delta none.
BY_DUE = ["gamma", "beta", "eta", "epsilon", "alpha", "zeta", "theta", "delta"]
SORTS = {
    None: BY_DUE,
    "due_date": BY_DUE,
    "-due_date": ["theta", "zeta", "alpha", "epsilon", "eta", "beta", "gamma", "delta"],
    "priority": ["beta", "eta", "epsilon", "theta", "delta", "alpha", "gamma", "zeta"],
    "-priority": ["gamma", "zeta", "alpha", "epsilon", "theta", "delta", "beta", "eta"],
    "title": ["alpha", "beta", "delta", "epsilon", "eta", "gamma", "theta", "zeta"],
    "-title": ["zeta", "theta", "gamma", "eta", "epsilon", "delta", "beta", "alpha"],
    # By status (not started .. completed), then due date.
    "status": ["eta", "epsilon", "alpha", "beta", "zeta", "delta", "gamma", "theta"],
    "-status": ["gamma", "theta", "delta", "beta", "zeta", "eta", "epsilon", "alpha"],
    "created_at": list(SEED_ROWS),
    "-created_at": list(reversed(SEED_ROWS)),
    "-updated_at": list(SEED_ROWS),
}


def test_sorting(client, staff, seed):
    for sort, expected in SORTS.items():
        params = {} if sort is None else {"sort": sort}
        page = listing(client, staff, params)
        assert seed.names(page["items"]) == expected, sort


def test_default_sort_puts_tasks_without_due_date_last_with_a_stable_order(
    client, staff, session, seed
):
    extra = [uuid.uuid4() for _ in range(4)]
    session.execute(
        insert(Task),
        [
            {
                "id": task_id,
                "title": f"Undated {i}",
                "description": "",
                "domain": TaskDomain.GENERAL,
                "status": TaskStatus.NOT_STARTED,
                "priority": TaskPriority.MEDIUM,
                "progress": 0,
                "auto_generated": False,
                "version": 1,
            }
            for i, task_id in enumerate(extra)
        ],
    )
    session.commit()
    items = listing(client, staff, {"limit": 50})["items"]
    undated = [item for item in items if item["due_date"] is None]
    assert items[-len(undated) :] == undated
    assert len(undated) == 5
    assert [item["id"] for item in undated] == sorted(item["id"] for item in undated)
    dated = [item["due_date"] for item in items if item["due_date"] is not None]
    assert dated == sorted(dated)


# --- pagination ---------------------------------------------------------------------------


def test_pagination_walks_every_task_once_and_total_counts_all_matches(client, staff, seed):
    seen: list[str] = []
    for offset in range(0, 10, 3):
        page = listing(client, staff, {"limit": 3, "offset": offset})
        assert page["total"] == len(SEED_ROWS)
        assert (page["limit"], page["offset"]) == (3, offset)
        assert len(page["items"]) == min(3, max(0, len(SEED_ROWS) - offset))
        seen += seed.names(page["items"])
    assert seen == BY_DUE

    filtered = listing(client, staff, {"status": "not_started", "limit": 1})
    assert filtered["total"] == 3
    assert seed.names(filtered["items"]) == ["eta"]
    past_the_end = listing(client, staff, {"status": "not_started", "offset": 10})
    assert (past_the_end["items"], past_the_end["total"]) == ([], 3)


def test_page_size_limits(client, staff, seed):
    assert listing(client, staff)["limit"] == 50
    assert listing(client, staff, {"limit": 500})["total"] == len(SEED_ROWS)
    assert_error(client.get(TASKS, params={"limit": 501}, headers=staff.headers), 422, "limit")
    assert_error(client.get(TASKS, params={"offset": -1}, headers=staff.headers), 422, "offset")


def test_listing_needs_credentials(client, seed):
    response = client.get(TASKS)
    assert response.status_code == 401, response.text
    assert response.json()["error"]["status"] == 401


# --- scale --------------------------------------------------------------------------------

OPEN = [TaskStatus.NOT_STARTED, TaskStatus.IN_PROGRESS, TaskStatus.AT_RISK]


def test_my_open_tasks_among_ten_thousand(client, session):
    me = uuid.uuid4()
    few = uuid.uuid4()  # someone with a dozen tasks
    headers = auth_headers(me, [Role.STAFF])
    statuses = list(TaskStatus)
    priorities = list(TaskPriority)
    domains = list(TaskDomain)
    completed_at = datetime.now(UTC)
    rows = []
    for i in range(10_000):
        status = statuses[i % 4]
        rows.append(
            {
                "id": uuid.uuid4(),
                "title": f"Bulk task {i}",
                "description": "",
                "domain": domains[i % len(domains)],
                "status": status,
                "priority": priorities[(i // 4) % 4],
                "due_date": day(i % 365 - 100) if i % 7 else None,
                "completed_at": completed_at if status is TaskStatus.COMPLETED else None,
                "progress": 100 if status is TaskStatus.COMPLETED else 0,
                "assignee_ids": (
                    [me] if i % 19 == 0 else [few] if i % 811 == 1 else [uuid.uuid4()]
                ),
                "team_ids": [],
                "depends_on": [],
                "auto_generated": i % 3 == 0,
                "version": 1,
            }
        )
    session.execute(insert(Task), rows)
    session.commit()
    session.execute(text("ANALYZE tasks"))
    session.commit()

    def is_mine(row):
        return me in row["assignee_ids"]

    mine = [row for row in rows if is_mine(row)]
    assert 400 <= len(mine) <= 600  # about 5 %
    my_open = [row for row in mine if row["status"] in OPEN]
    params = [("assignee", "me")] + [("status", s.value) for s in OPEN] + [("limit", 100)]
    response = client.get(TASKS, params=params, headers=headers)
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["total"] == len(my_open)
    assert len(page["items"]) == 100
    assert all(str(me) in item["assignee_ids"] for item in page["items"])
    assert all(item["status"] in OPEN for item in page["items"])
    dues = [item["due_date"] for item in page["items"]]
    expected_first = sorted(
        (row for row in my_open),
        key=lambda row: (
            row["due_date"] is None,
            row["due_date"] or office_today(),
            str(row["id"]),
        ),
    )[:100]
    assert [item["id"] for item in page["items"]] == [str(row["id"]) for row in expected_first]
    assert dues == sorted(dues, key=lambda d: (d is None, d or ""))

    cutoff = day(30)
    combined = [
        row
        for row in my_open
        if row["priority"] in (TaskPriority.HIGH, TaskPriority.CRITICAL)
        and row["due_date"] is not None
        and row["due_date"] <= cutoff
        and row["domain"] in (TaskDomain.MANA, TaskDomain.POLICY, TaskDomain.GENERAL)
    ]
    overdue_mine = [
        row for row in my_open if row["due_date"] is not None and row["due_date"] < office_today()
    ]
    response = client.get(
        TASKS,
        params=[
            *params,
            ("priority", "high"),
            ("priority", "critical"),
            ("due_before", cutoff.isoformat()),
            ("domain", "mana"),
            ("domain", "policy"),
            ("domain", "general"),
        ],
        headers=headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["total"] == len(combined) > 0
    response = client.get(TASKS, params=[("assignee", "me"), ("overdue", "true")], headers=headers)
    assert response.json()["total"] == len(overdue_mine) > 0
    everyone_open = sum(1 for row in rows if row["status"] in OPEN)
    response = client.get(TASKS, params=[("status", s.value) for s in OPEN], headers=headers)
    assert response.json()["total"] == everyone_open

    # "My open tasks" exactly as the route queries it (the page and its count).
    plans = explain_route_queries(client, params, headers, statements=2)
    page_plan = next(plan for sql, plan in plans if "LIMIT" in sql)
    assert "Index" in page_plan or "Bitmap" in page_plan, page_plan
    assert "Seq Scan" not in page_plan, page_plan
    # About 5 % of the rows touch most pages, so counting them may rightly scan the table;
    # for a user with a handful of tasks the count goes through the assignee index.
    few_headers = auth_headers(few, [Role.STAFF])
    assert client.get(TASKS, params=params, headers=few_headers).json()["total"] == len(
        [row for row in rows if few in row["assignee_ids"] and row["status"] in OPEN]
    )
    # A handful fits one page, which is its own total: no count.
    for sql, plan in explain_route_queries(client, params, few_headers, statements=1):
        assert "ix_tasks__assignee_ids" in plan or "LIMIT" in sql, plan
        assert "Seq Scan" not in plan, plan


def explain_route_queries(client, params, headers, statements: int) -> list[tuple[str, str]]:
    """EXPLAIN every statement on `tasks` that one GET of the list route runs: `statements`
    of them (the page, and the count when the page is full)."""
    engine = client.app.state.database.engine
    with recorded_statements(engine) as recorded:
        response = client.get(TASKS, params=params, headers=headers)
    ran = [(sql, parameters) for sql, parameters in recorded if "FROM tasks" in sql]
    assert response.status_code == 200, response.text
    assert len(ran) == statements
    with engine.connect() as connection:
        return [
            (sql, "\n".join(connection.exec_driver_sql(f"EXPLAIN {sql}", parameters).scalars()))
            for sql, parameters in ran
        ]


def test_the_list_answers_each_task_exactly_as_reading_it_does(client, seed, staff, manager):
    """The list reads tasks as columns, not records: each item must still be the task's own
    answer, field by field and in the same order (nulls, dates, times, enums, hours, ids)."""
    dependency = seed.ids["alpha"]
    create = client.post(
        TASKS,
        json={
            "title": "Every field",
            "description": "Two lines\nand “quotes”",
            "domain": "policy",
            "status": "at_risk",
            "priority": "critical",
            "start_date": day(-40).isoformat(),
            "due_date": day(-2).isoformat(),
            "progress": 35,
            "assignee_ids": [str(seed.alice), str(seed.bob)],
            "team_ids": [str(seed.team)],
            "related_assessment_id": str(seed.assessment),
            "estimated_hours": 12.5,
            "actual_hours": 10,
            "depends_on": [dependency],
        },
        headers=manager.headers,
    )
    assert create.status_code == 201, create.text
    listed = listing(client, staff, {"limit": 100})["items"]
    assert len(listed) == len(seed.ids) + 1
    expected_fields = [*TaskRead.model_fields, *TaskRead.model_computed_fields]
    for item in listed:
        one = client.get(f"{TASKS}/{item['id']}", headers=staff.headers).json()
        assert list(item) == list(one) == expected_fields
        assert item == one
    every = next(item for item in listed if item["title"] == "Every field")
    assert every == create.json()
    assert (every["estimated_hours"], every["actual_hours"]) == (12.5, 10.0)
    assert every["is_overdue"] is True
    assert every["depends_on"] == [dependency]
    assert every["updated_by"] == str(manager.user_id)
    completed = [item for item in listed if item["status"] == "completed"]
    assert completed
    assert all(item["completed_at"] == "2026-01-01T00:00:00Z" for item in completed)
    assert any(item["due_date"] is None and item["start_date"] is None for item in listed)
