"""The tasks part of the calendar feed: DOMAIN.md entries, window bounds, modules, one
index-backed query."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, text
from sqlalchemy.dialects import postgresql

from obcms_platform.feed import Entry, FeedPage, TimeWindow
from obcms_platform.testing import make_caller
from obcms_platform.testing.service_probes import (
    FEED,
    count_feed_statements,
    get_feed,
    refused_feed,
)
from tasks_service.feed.service import (
    feed_page,
    task_entry,
    window_groups,
    window_tasks_statement,
)
from tasks_service.ppa_owners.service import record as record_ppa_owners

from .helpers import create_team

MANILA = ZoneInfo("Asia/Manila")
DECEMBER = {"start": "2026-12-01", "end": "2027-01-01"}


def create_task(client, caller, **body):
    body.setdefault("title", "A task")
    response = client.post("/api/v1/tasks", json=body, headers=caller.headers)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def tasks(client, staff, manager):
    ppa, assessment, event = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    assignee = uuid.uuid4()
    made = {
        # Linking a task to a PPA is its owners' or a manager's call.
        "due": create_task(
            client,
            manager,
            title="Formulate PPA budget proposal",
            description="Draft it",
            domain="monitoring",
            priority="high",
            due_date="2026-12-10",
            assignee_ids=[str(assignee)],
            related_ppa_id=str(ppa),
        ),
        "span": create_task(
            client,
            staff,
            title="Field survey",
            domain="mana",
            start_date="2026-11-20",
            due_date="2026-12-01",  # the window's first day
            related_assessment_id=str(assessment),
        ),
        "last_day": create_task(client, staff, title="Year-end report", due_date="2026-12-31"),
        "completed": create_task(
            client, staff, title="Done already", status="completed", due_date="2026-12-05"
        ),
        "day_after": create_task(client, staff, title="New year", due_date="2027-01-01"),
        "day_before": create_task(client, staff, title="November", due_date="2026-11-30"),
        "event_linked": create_task(
            client,
            staff,
            title="Book the venue",
            due_date="2026-12-15",
            related_event_id=str(event),
        ),
        "undated": create_task(client, staff, title="Someday"),
        "start_only": create_task(client, staff, title="Started", start_date="2026-12-03"),
    }
    made["ids"] = {"ppa": str(ppa), "assessment": str(assessment), "assignee": str(assignee)}
    return made


def test_task_entries_in_the_domain_format(client, staff, tasks):
    feed = get_feed(client, staff, **DECEMBER)
    assert feed["modules"] == ["staff"]
    ids = [entry["id"] for entry in feed["events"]]
    assert len(ids) == len(set(ids))  # no two entries share an id
    expected = ["span", "completed", "due", "last_day"]  # by start date
    assert ids == [f"staff-task-{tasks[name]['id']}" for name in expected]

    due = tasks["due"]
    assert feed["events"][2] == {
        "id": f"staff-task-{due['id']}",
        "title": "Formulate PPA budget proposal",
        # What ICS subscribers see as DESCRIPTION.
        "description": "Draft it",
        "start": "2026-12-10",
        "end": "2026-12-11",
        "allDay": True,
        "backgroundColor": "#7c3aed",
        "borderColor": "#7c3aed",
        "textColor": "#f9fafb",
        "extendedProps": {
            "module": "staff",
            "category": "task",
            "objectId": due["id"],
            "status": "not_started",
            "priority": "high",
            "domain": "monitoring",
            "url": f"/oobc-management/staff/tasks/{due['id']}/",
            "assigneeIds": [tasks["ids"]["assignee"]],
            "relatedPpaId": tasks["ids"]["ppa"],
            # The manager linked it to a PPA they do not own (no owners announced here).
            "ownerIds": [tasks["ids"]["assignee"]],
            "peopleIds": [tasks["ids"]["assignee"]],
            "version": 1,
            "apiUrl": f"/api/v1/tasks/{due['id']}",
        },
    }
    span = feed["events"][0]
    assert (span["start"], span["end"], span["allDay"]) == ("2026-11-20", "2026-12-02", True)
    assert span["extendedProps"]["relatedAssessmentId"] == tasks["ids"]["assessment"]
    assert "relatedPpaId" not in span["extendedProps"]
    assert span["extendedProps"]["assigneeIds"] == []
    completed = feed["events"][1]
    assert completed["extendedProps"]["status"] == "completed"
    assert completed["backgroundColor"] == "#7c3aed"
    assert (feed["events"][3]["start"], feed["events"][3]["end"]) == ("2026-12-31", "2027-01-01")


def test_window_bounds_are_office_days(client, staff, tasks):
    def ids(**params):
        return {entry["id"] for entry in get_feed(client, staff, **params)["events"]}

    december = ids(**DECEMBER)
    # The same window as UTC instants, and as local date-times.
    assert ids(start="2026-11-30T16:00:00Z", end="2026-12-31T16:00:00Z") == december
    assert ids(start="2026-12-01T00:00:00+08:00", end="2027-01-01T00:00:00+08:00") == december
    # The last day is in, the day after out; a window starting at the day after has it.
    assert f"staff-task-{tasks['day_after']['id']}" not in december
    assert f"staff-task-{tasks['day_before']['id']}" not in december
    january = ids(start="2027-01-01", end="2027-01-02")
    assert january == {f"staff-task-{tasks['day_after']['id']}"}
    # A window inside a task's span shows it; one hour of the last day shows that day's task.
    assert ids(start="2026-11-25", end="2026-11-26") == {f"staff-task-{tasks['span']['id']}"}
    assert ids(start="2026-12-31T23:00:00", end="2027-01-01T00:00:00") == {
        f"staff-task-{tasks['last_day']['id']}"
    }


def test_event_linked_and_undated_tasks_are_not_entries(client, staff, tasks):
    everything = get_feed(client, staff, start="2026-11-01", end="2027-02-01")
    ids = {entry["id"] for entry in everything["events"]}
    for name in ("event_linked", "undated", "start_only"):
        assert f"staff-task-{tasks[name]['id']}" not in ids
    assert len(ids) == 6


def test_modules_filter(client, staff, tasks):
    assert len(get_feed(client, staff, modules="staff,planning", **DECEMBER)["events"]) == 4
    other = get_feed(client, staff, modules="coordination,mana", **DECEMBER)
    assert (other["modules"], other["events"]) == ([], [])
    assert get_feed(client, staff, modules=" ", **DECEMBER)["modules"] == ["staff"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"modules": "staff,parties"}, "modules"),
        ({"start": "2026-12-01", "end": "2026-12-01"}, "end"),
        ({"start": "2026-01-01", "end": "2027-03-01"}, "end"),
        ({"start": "2026-12-01"}, "end"),
        ({"start": "tomorrow", "end": "2026-12-01"}, "start"),
    ],
)
def test_bad_parameters_are_422(client, staff, params, field):
    assert refused_feed(client, staff, **params)["field"] == field


def test_login_required(client):
    assert client.get(FEED, params=DECEMBER).status_code == 401


def entry_of(client, caller, task_id):
    """The task's entry in the December feed."""
    entries = get_feed(client, caller, **DECEMBER)["events"]
    return next(e for e in entries if e["id"] == f"staff-task-{task_id}")["extendedProps"]


def ids(*callers):
    return sorted(str(caller.user_id) for caller in callers)


def test_a_team_task_belongs_to_its_teams_members(client, staff, manager):
    lead, member, assignee, outsider = (make_caller() for _ in range(4))
    team = create_team(
        client,
        manager,
        "Field Ops",
        members=[
            {"user_id": str(lead.user_id), "role": "lead"},
            {"user_id": str(member.user_id)},
        ],
    )
    task = create_task(
        client,
        staff,
        due_date="2026-12-10",
        team_ids=[team["id"]],
        assignee_ids=[str(assignee.user_id)],
    )

    props = entry_of(client, staff, task["id"])
    # Its creator, assignee and team members may change it; it is on the calendars of the
    # assignee and the team's members, not of whoever typed it in.
    assert props["ownerIds"] == ids(staff, lead, member, assignee)
    assert props["peopleIds"] == ids(lead, member, assignee)
    assert (props["version"], props["apiUrl"]) == (1, f"/api/v1/tasks/{task['id']}")

    # The facts are what the API enforces: a team member moves it with the entry's version.
    move = {"due_date": "2026-12-11"}
    headers = {"If-Match": f'"{props["version"]}"'}
    moved = client.patch(props["apiUrl"], json=move, headers={**member.headers, **headers})
    assert moved.status_code == 200, moved.text
    refused = client.patch(props["apiUrl"], json=move, headers=outsider.headers)
    assert refused.status_code == 403, refused.text
    assert entry_of(client, staff, task["id"])["version"] == 2


def test_a_task_of_a_ppa_owned_by_someone_else(client, session, staff, manager):
    owner, co_owner, assignee = make_caller(), make_caller(), make_caller()
    ppa = uuid.uuid4()
    record_ppa_owners(
        session, ppa, [owner.user_id, co_owner.user_id], datetime(2026, 1, 1, tzinfo=MANILA)
    )
    session.commit()
    task = create_task(client, staff, due_date="2026-12-10", assignee_ids=[str(assignee.user_id)])
    linked = client.patch(
        f"/api/v1/tasks/{task['id']}", json={"related_ppa_id": str(ppa)}, headers=manager.headers
    )
    assert linked.status_code == 200, linked.text

    props = entry_of(client, staff, task["id"])
    # The PPA's owners work it; its creator, who does not own the PPA, no longer may.
    assert props["ownerIds"] == ids(owner, co_owner, assignee)
    assert props["peopleIds"] == ids(assignee)
    assert props["version"] == 2
    move = {"due_date": "2026-12-11"}
    refused = client.patch(props["apiUrl"], json=move, headers=staff.headers)
    assert refused.status_code == 403, refused.text
    moved = client.patch(props["apiUrl"], json=move, headers=owner.headers)
    assert moved.status_code == 200, moved.text


BULK_TASKS = """
INSERT INTO tasks (id, title, description, domain, status, priority, start_date, due_date,
                   progress, assignee_ids, team_ids, related_event_id, auto_generated,
                   depends_on, version)
SELECT gen_random_uuid(), 'Bulk ' || g, '', 'general', 'not_started', 'medium',
       CASE WHEN g % 3 = 0 THEN d - 4 END, d, 0, ARRAY[gen_random_uuid()], '{}',
       CASE WHEN g % 10 = 0 THEN gen_random_uuid() END, false, '{}', 1
FROM generate_series(1, :n) AS g,
     LATERAL (SELECT CAST(:first AS date) + (g * :step) % :days) AS t(d)
"""


def bulk(session, n, first="2026-12-01", step=1, days=31):
    session.execute(text(BULK_TASKS), {"n": n, "first": first, "step": step, "days": days})
    session.commit()


def test_one_query_whatever_the_number_of_tasks(client, session, staff):
    # An empty window reads its page only: no teams or PPAs to look up.
    nothing, feed = count_feed_statements(client, staff, **DECEMBER)
    assert (nothing, feed["events"]) == (1, [])
    bulk(session, 5)
    bulk_team_tasks(session, 2)
    few, feed = count_feed_statements(client, staff, **DECEMBER)
    assert len(feed["events"]) == 5 - 0 + 2  # none of 1..5 is event-linked
    bulk(session, 495)
    bulk_team_tasks(session, 40)
    many, feed = count_feed_statements(client, staff, **DECEMBER)
    assert len(feed["events"]) == 500 - 495 // 10 + 42  # every tenth is linked to an event
    # The page, then the members of the teams its tasks name and the owners of their PPAs
    # in one more.
    assert few == many == 2


# Each bulk team has a lead and a member, one December task and the task's PPA two owners.
BULK_TEAM_TASKS = [
    """
    INSERT INTO teams (id, name, slug, description, is_active)
    SELECT id, 'Bulk team ' || id, 'bulk-team-' || id, '', true
    FROM (SELECT gen_random_uuid() FROM generate_series(1, :n)) AS t(id)
    """,
    """
    INSERT INTO team_members (team_id, user_id, role)
    SELECT teams.id, gen_random_uuid(), role
    FROM teams, unnest(ARRAY['lead', 'member']) AS role
    WHERE NOT EXISTS (SELECT FROM team_members m WHERE m.team_id = teams.id)
    """,
    """
    INSERT INTO tasks (id, title, description, domain, status, priority, due_date, progress,
                       assignee_ids, team_ids, related_ppa_id, auto_generated, depends_on,
                       version)
    SELECT gen_random_uuid(), 'Team task', '', 'general', 'not_started', 'medium',
           DATE '2026-12-10', 0, '{}', ARRAY[teams.id], gen_random_uuid(), false, '{}', 1
    FROM teams WHERE NOT EXISTS (SELECT FROM tasks WHERE teams.id = ANY(tasks.team_ids))
    """,
    """
    INSERT INTO ppa_owners (ppa_id, owner_ids, as_of)
    SELECT related_ppa_id, ARRAY[gen_random_uuid(), gen_random_uuid()], now()
    FROM tasks WHERE related_ppa_id IS NOT NULL
    ON CONFLICT DO NOTHING
    """,
]


def bulk_team_tasks(session, n):
    for statement in BULK_TEAM_TASKS:
        session.execute(text(statement), {"n": n})
    session.commit()


def test_owners_and_people_cost_no_query_per_task_or_team(client, session, staff):
    bulk_team_tasks(session, 3)
    few, feed = count_feed_statements(client, staff, **DECEMBER)
    assert len(feed["events"]) == 3
    bulk_team_tasks(session, 297)
    many, feed = count_feed_statements(client, staff, **DECEMBER)
    assert len(feed["events"]) == 300
    assert few == many == 2
    # Every entry has its own team's two members and its own PPA's two owners.
    for entry in feed["events"]:
        props = entry["extendedProps"]
        assert len(props["peopleIds"]) == 2
        assert len(props["ownerIds"]) == 4
        assert set(props["peopleIds"]) < set(props["ownerIds"])


def test_the_window_query_uses_the_index(client, session):
    # 6,000 tasks over 20 years from 2015 (a task every ~1.2 days).
    bulk(session, 6000, first="2015-01-01", step=1, days=7300)
    session.execute(text("ANALYZE tasks"))
    session.commit()
    window = TimeWindow(datetime(2026, 12, 1, tzinfo=MANILA), datetime(2027, 1, 1, tzinfo=MANILA))
    compiled = window_tasks_statement(window).compile(dialect=postgresql.psycopg.dialect())
    engine = client.app.state.database.engine
    with engine.connect() as connection:
        plan = "\n".join(
            row[0]
            for row in connection.exec_driver_sql("EXPLAIN " + str(compiled), compiled.params)
        )
        found = connection.execute(
            window_tasks_statement(window).with_only_columns(func.count())
        ).scalar_one()
    assert "ix_tasks__calendar_span" in plan, plan
    assert "Seq Scan on tasks" not in plan
    # Independently: the span touches December 2026, not event-linked.
    with engine.connect() as connection:
        expected = connection.execute(
            text(
                "SELECT count(*) FROM tasks WHERE related_event_id IS NULL"
                " AND due_date >= '2026-12-01'"
                " AND coalesce(start_date, due_date) <= '2026-12-31'"
            )
        ).scalar_one()
    assert found == expected > 0


def test_entries_written_by_postgresql_are_those_python_builds(client, session, staff, manager):
    # Every kind of task the feed shows: a team's, a PPA's (owned by others, and unknown),
    # an assessment's, with a span, completed, a description of quotes, accents, a newline
    # and a tab, or none; then a few hundred more.
    owner = make_caller()
    team = create_team(client, manager, "Writers", members=[{"user_id": str(owner.user_id)}])
    owned_ppa, unknown_ppa = uuid.uuid4(), uuid.uuid4()
    record_ppa_owners(session, owned_ppa, [owner.user_id], datetime(2026, 1, 1, tzinfo=MANILA))
    session.commit()
    create_task(
        client,
        manager,
        title='Quote " and \\ backslash, “curly” ñ',
        description="Line one\nline\ttwo </script>",
        due_date="2026-12-10",
        team_ids=[team["id"]],
        related_ppa_id=str(owned_ppa),
        priority="critical",
    )
    create_task(client, manager, due_date="2026-12-02", related_ppa_id=str(unknown_ppa))
    create_task(
        client,
        staff,
        start_date="2026-11-20",
        due_date="2026-12-01",
        related_assessment_id=str(uuid.uuid4()),
        status="completed",
    )
    bulk(session, 200)
    bulk_team_tasks(session, 20)

    window = TimeWindow(datetime(2026, 12, 1, tzinfo=MANILA), datetime(2027, 1, 1, tzinfo=MANILA))
    groups = window_groups(session, window)
    by_python = sorted(
        (task_entry(row, groups) for row in session.execute(window_tasks_statement(window))),
        key=Entry.sort_key,
    )
    served = get_feed(client, staff, **DECEMBER)["events"]
    assert len(served) == len(by_python) == 3 + 200 - 20 + 20
    for entry, expected in zip(served, by_python, strict=True):
        assert entry == expected.to_feed()


def test_the_page_holds_the_earliest_entries_up_to_the_cap(session):
    bulk(session, 6)  # none of 1..6 is event-linked; due December 2..7
    window = TimeWindow(datetime(2026, 12, 1, tzinfo=MANILA), datetime(2027, 1, 1, tzinfo=MANILA))

    def page(limit):
        found = feed_page(session, window, ["staff"], limit)
        return [entry["start"] for entry in json.loads(b"[" + b"".join(found.events) + b"]")], found

    starts, everything = page(6)
    assert len(starts) == 6
    assert starts == sorted(starts)
    assert not everything.truncated
    cut, first_three = page(3)
    assert (cut, first_three.truncated) == (starts[:3], True)
    empty = TimeWindow(datetime(2030, 1, 1, tzinfo=MANILA), datetime(2030, 2, 1, tzinfo=MANILA))
    assert feed_page(session, empty, ["staff"], 3) == FeedPage([], truncated=False)


def test_a_changed_task_shows_as_changed(client, session, staff, manager):
    # The entry is written by PostgreSQL: every change of what it shows shows in the next
    # feed, and the entry stays the one Python builds from the row.
    team = create_team(client, manager, "Movers", members=[{"user_id": str(staff.user_id)}])
    task = create_task(client, staff, title="Before", description="Old", due_date="2026-12-10")
    assessment, assignee = uuid.uuid4(), uuid.uuid4()
    response = client.patch(
        f"/api/v1/tasks/{task['id']}",
        json={
            "title": 'After "quoted" ñ',
            "description": "",
            "start_date": "2026-12-03",
            "due_date": "2026-12-12",
            "status": "in_progress",
            "priority": "critical",
            "assignee_ids": [str(assignee)],
            "team_ids": [team["id"]],
            "related_assessment_id": str(assessment),
        },
        headers=staff.headers,
    )
    assert response.status_code == 200, response.text

    [entry] = get_feed(client, staff, **DECEMBER)["events"]
    assert (entry["title"], entry["start"], entry["end"]) == (
        'After "quoted" ñ',
        "2026-12-03",
        "2026-12-13",
    )
    assert "description" not in entry  # emptied
    props = entry["extendedProps"]
    assert (props["status"], props["priority"], props["version"]) == ("in_progress", "critical", 2)
    assert props["assigneeIds"] == [str(assignee)]
    assert props["relatedAssessmentId"] == str(assessment)
    assert set(props["peopleIds"]) == {str(assignee), str(staff.user_id)}  # and the team's
    window = TimeWindow(datetime(2026, 12, 1, tzinfo=MANILA), datetime(2027, 1, 1, tzinfo=MANILA))
    [row] = session.execute(window_tasks_statement(window))
    assert entry == task_entry(row, window_groups(session, window)).to_feed()

    # Undated, it leaves the calendar.
    response = client.patch(
        f"/api/v1/tasks/{task['id']}",
        json={"start_date": None, "due_date": None},
        headers=staff.headers,
    )
    assert response.status_code == 200, response.text
    assert get_feed(client, staff, **DECEMBER)["events"] == []


def test_a_page_of_many_chunks_keeps_its_order_and_cap(session):
    # More entries than fit in one of the chunks PostgreSQL joins them in, the cap inside one.
    bulk(session, 300, step=1, days=31)
    window = TimeWindow(datetime(2026, 12, 1, tzinfo=MANILA), datetime(2027, 1, 1, tzinfo=MANILA))
    every = feed_page(session, window, ["staff"], 1000)
    entries = json.loads(b"[" + b"".join(every.events) + b"]")
    assert len(entries) == 300 - 300 // 10  # every tenth is linked to an event
    keys = [(entry["start"], entry["id"]) for entry in entries]
    assert keys == sorted(keys)
    assert not every.truncated
    cut = feed_page(session, window, ["staff"], 130)
    assert json.loads(b"[" + b"".join(cut.events) + b"]") == entries[:130]
    assert cut.truncated


def test_the_feed_statements_are_prepared_after_a_few_requests(client, staff):
    # A read ended by a rollback made psycopg forget its prepared statements, so PostgreSQL
    # parsed and planned every feed statement on every request.
    create_task(client, staff, due_date="2026-12-10")
    for _ in range(8):
        get_feed(client, staff, **DECEMBER)
    with client.app.state.database.engine.connect() as connection:
        prepared = connection.execute(
            text("SELECT statement FROM pg_prepared_statements WHERE strpos(statement, :name) > 0"),
            {"name": "staff-task-"},
        ).all()
    assert prepared
