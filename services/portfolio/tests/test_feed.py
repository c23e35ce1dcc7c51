"""The portfolio part of the calendar feed: planning (PPA dates, milestones, budget workflow
stages) and mana (assessments) entries, window bounds, modules, bounded index-backed queries."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.dialects import postgresql

from obcms_platform.feed import MODULE_MANA, MODULE_PLANNING, Entry, TimeWindow, window_parameters
from obcms_platform.testing import make_caller
from obcms_platform.testing.service_probes import (
    FEED,
    count_feed_statements,
    get_feed,
    refused_feed,
)
from portfolio_service.feed.service import (
    assessments_statement,
    entries_statement,
    feed_entries,
    milestones_statement,
    ppas_statement,
    stages_statement,
)

from .helpers import ASSESSMENTS, PPAS, create_ppa

MANILA = ZoneInfo("Asia/Manila")
DECEMBER = {"start": "2026-12-01", "end": "2027-01-01"}
MILESTONE_STATUSES = ("completed", "delayed", "at_risk", "blocked", "cancelled", "planned")
PLANNING_COLOUR = "#0f766e"  # one colour per module, whatever the status


def post(client, caller, path, body):
    response = client.post(path, json=body, headers=caller.headers)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def portfolio(client, staff):
    """PPAs, milestones, stages and assessments around December 2026."""
    inside = create_ppa(
        client,
        staff,
        title="Madrasah support",
        start_date="2026-12-01",
        target_end_date="2026-12-31",
    )
    outside = create_ppa(
        client, staff, title="Road to Tugaya", start_date="2026-11-30", target_end_date="2027-01-01"
    )
    milestones = {}
    for day, status in enumerate(MILESTONE_STATUSES, start=5):
        milestones[status] = post(
            client,
            staff,
            f"{PPAS}/{outside['id']}/milestones",
            {"title": f"Milestone {status}", "date": f"2026-12-{day:02d}", "status": status},
        )
    milestones["next_year"] = post(
        client,
        staff,
        f"{PPAS}/{outside['id']}/milestones",
        {"title": "Turnover", "date": "2027-01-01"},
    )
    for name, due in [("budget_call", "2026-12-15"), ("formulation", "2027-01-01")]:
        response = client.patch(
            f"{PPAS}/{outside['id']}/workflow/{name}",
            json={"due_date": due, "status": "in_progress"},
            headers=staff.headers,
        )
        assert response.status_code == 200, response.text
    stages = client.get(f"{PPAS}/{outside['id']}/workflow", headers=staff.headers).json()
    assessment = {"primary_methodology": "survey", "assessment_level": "community"}
    starting = post(
        client,
        staff,
        ASSESSMENTS,
        {
            **assessment,
            "title": "Survey of Marawi OBCs",
            "planned_start_date": "2026-12-20",
            "planned_end_date": "2027-01-10",
        },
    )
    ending = post(
        client,
        staff,
        ASSESSMENTS,
        {
            **assessment,
            "title": "Desk review",
            "primary_methodology": "desk_review",
            "planned_start_date": "2026-11-01",
            "planned_end_date": "2026-12-31",
        },
    )
    return {
        "inside": inside,
        "outside": outside,
        "milestones": milestones,
        "stages": {stage["stage"]: stage for stage in stages},
        "starting": starting,
        "ending": ending,
    }


def test_entries_in_the_domain_format(client, staff, portfolio):
    feed = get_feed(client, staff, **DECEMBER)
    assert feed["modules"] == ["planning", "mana"]
    by_id = {entry["id"]: entry for entry in feed["events"]}
    assert len(by_id) == len(feed["events"])  # no two entries share an id

    inside, outside = portfolio["inside"]["id"], portfolio["outside"]["id"]
    milestones = portfolio["milestones"]
    budget_call = portfolio["stages"]["budget_call"]
    starting, ending = portfolio["starting"]["id"], portfolio["ending"]["id"]
    assert set(by_id) == {
        f"planning-entry-{inside}-start",
        f"planning-entry-{inside}-target_end",
        *(f"planning-entry-{outside}-milestone-{milestones[s]['id']}" for s in MILESTONE_STATUSES),
        f"planning-stage-{budget_call['id']}",
        f"mana-assessment-{starting}-start",
        f"mana-assessment-{ending}-end",
    }
    assert by_id[f"planning-entry-{inside}-start"] == {
        "id": f"planning-entry-{inside}-start",
        "title": "Madrasah support (start)",
        "start": "2026-12-01",
        "end": "2026-12-02",
        "allDay": True,
        "backgroundColor": PLANNING_COLOUR,
        "borderColor": PLANNING_COLOUR,
        "textColor": "#f9fafb",
        "extendedProps": {
            "module": "planning",
            "category": "ppa",
            "objectId": inside,
            "status": "planning",
            "url": f"/oobc-management/portfolio/ppas/{inside}/",
            "dateType": "start",
            "ppaCategory": "oobc_ppa",
            # Its creator alone owns it; it has no lead or members whose calendars it is on.
            "ownerIds": [str(staff.user_id)],
            "peopleIds": [],
            "version": portfolio["inside"]["version"],
        },
    }
    target_end = by_id[f"planning-entry-{inside}-target_end"]
    assert (target_end["start"], target_end["end"]) == ("2026-12-31", "2027-01-01")
    assert target_end["backgroundColor"] == PLANNING_COLOUR

    for status in MILESTONE_STATUSES:
        milestone = milestones[status]
        entry = by_id[f"planning-entry-{outside}-milestone-{milestone['id']}"]
        assert (entry["start"], entry["allDay"]) == (milestone["date"], True), status
        assert entry["backgroundColor"] == entry["borderColor"] == PLANNING_COLOUR, status
        assert entry["extendedProps"] == {
            "module": "planning",
            "category": "milestone",
            "objectId": outside,
            "milestoneId": milestone["id"],
            "status": status,
            "url": f"/oobc-management/portfolio/ppas/{outside}/",
            "ownerIds": [str(staff.user_id)],
            "peopleIds": [],
            "version": 1,
            "apiUrl": f"/api/v1/ppas/{outside}/milestones/{milestone['id']}",
        }

    stage = by_id[f"planning-stage-{budget_call['id']}"]
    assert (stage["start"], stage["end"], stage["allDay"]) == ("2026-12-15", "2026-12-16", True)
    assert stage["backgroundColor"] == PLANNING_COLOUR
    assert stage["title"] == "Budget call due (Road to Tugaya)"
    assert stage["extendedProps"] == {
        "module": "planning",
        "category": "workflow_stage",
        "objectId": outside,
        "stageId": budget_call["id"],
        "stage": "budget_call",
        "status": "in_progress",
        "url": f"/oobc-management/portfolio/ppas/{outside}/",
        "ownerIds": [str(staff.user_id)],
        "peopleIds": [],
        "version": 2,  # created with the PPA, then given its due date
    }

    start = by_id[f"mana-assessment-{starting}-start"]
    assert (start["start"], start["end"], start["allDay"]) == ("2026-12-20", "2026-12-21", True)
    assert start["backgroundColor"] == "#b45309"
    assert start["extendedProps"] == {
        "module": "mana",
        "category": "assessment",
        "objectId": starting,
        "status": "planning",
        "url": f"/oobc-management/portfolio/assessments/{starting}/",
        "dateType": "start",
        "methodology": "survey",
        "assessmentLevel": "community",
        "ownerIds": [str(staff.user_id)],
        "peopleIds": [str(staff.user_id)],
        "version": 1,
    }
    end = by_id[f"mana-assessment-{ending}-end"]
    assert (end["start"], end["end"]) == ("2026-12-31", "2027-01-01")
    # Sorted by date, then id.
    assert [(e["start"], e["id"]) for e in feed["events"]] == sorted(
        (e["start"], e["id"]) for e in feed["events"]
    )


def test_window_bounds(client, staff, portfolio):
    def ids(**params):
        return {entry["id"] for entry in get_feed(client, staff, **params)["events"]}

    december = ids(**DECEMBER)
    assert ids(start="2026-11-30T16:00:00Z", end="2026-12-31T16:00:00Z") == december
    outside = portfolio["outside"]["id"]
    # The day after the window: the outside PPA's target end, a milestone, a stage.
    january = ids(start="2027-01-01", end="2027-01-02")
    assert january == {
        f"planning-entry-{outside}-target_end",
        f"planning-entry-{outside}-milestone-{portfolio['milestones']['next_year']['id']}",
        f"planning-stage-{portfolio['stages']['formulation']['id']}",
    }
    assert not january & december
    # The last hour of the last day.
    assert ids(start="2026-12-31T23:00:00", end="2027-01-01T00:00:00") == {
        f"planning-entry-{portfolio['inside']['id']}-target_end",
        f"mana-assessment-{portfolio['ending']['id']}-end",
    }
    # The day before.
    assert ids(start="2026-11-30", end="2026-12-01") == {f"planning-entry-{outside}-start"}


def test_modules_filter(client, staff, portfolio):
    mana = get_feed(client, staff, modules="mana,staff", **DECEMBER)
    assert mana["modules"] == ["mana"]
    assert {e["extendedProps"]["module"] for e in mana["events"]} == {"mana"}
    assert len(mana["events"]) == 2
    planning = get_feed(client, staff, modules="planning", **DECEMBER)
    assert {e["extendedProps"]["module"] for e in planning["events"]} == {"planning"}
    assert len(planning["events"]) == 2 + 6 + 1
    other = get_feed(client, staff, modules="coordination", **DECEMBER)
    assert (other["modules"], other["events"]) == ([], [])


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"modules": "planning,budget"}, "modules"),
        ({"start": "2026-12-02", "end": "2026-12-01"}, "end"),
        ({"start": "2026-01-01", "end": "2027-03-01"}, "end"),
        ({"end": "2026-12-01"}, "start"),
    ],
)
def test_bad_parameters_are_422(client, staff, params, field):
    assert refused_feed(client, staff, **params)["field"] == field


def test_login_required(client):
    assert client.get(FEED, params=DECEMBER).status_code == 401


def test_a_run_ppas_entries_belong_to_its_lead_and_members(client, staff):
    lead, member, outsider = make_caller(), make_caller(), make_caller()
    ppa = create_ppa(
        client,
        staff,
        title="Madrasah support",
        start_date="2026-12-01",
        lead_id=str(lead.user_id),
        member_ids=[str(member.user_id)],
    )
    milestone = post(
        client, staff, f"{PPAS}/{ppa['id']}/milestones", {"title": "Turnover", "date": "2026-12-10"}
    )
    stage = client.patch(
        f"{PPAS}/{ppa['id']}/workflow/budget_call",
        json={"due_date": "2026-12-15"},
        headers=staff.headers,
    )
    assert stage.status_code == 200, stage.text

    def entries():
        return {e["id"]: e["extendedProps"] for e in get_feed(client, staff, **DECEMBER)["events"]}

    by_id = entries()
    milestone_id = f"planning-entry-{ppa['id']}-milestone-{milestone['id']}"
    ppa_id = ppa["id"]
    owners = sorted(str(c.user_id) for c in (staff, lead, member))
    people = sorted(str(c.user_id) for c in (lead, member))
    for entry_id in (
        milestone_id,
        f"planning-entry-{ppa_id}-start",
        f"planning-stage-{stage.json()['id']}",
    ):
        props = by_id[entry_id]
        # The PPA's creator, lead and members may change it; it is on the lead's and the
        # members' calendars.
        assert (props["ownerIds"], props["peopleIds"]) == (owners, people), entry_id
    # Only the milestone is moved by drag; the others change on their pages.
    assert by_id[f"planning-entry-{ppa_id}-start"]["version"] == ppa["version"]
    assert "apiUrl" not in by_id[f"planning-entry-{ppa_id}-start"]
    assert "apiUrl" not in by_id[f"planning-stage-{stage.json()['id']}"]
    props = by_id[milestone_id]
    assert props["apiUrl"] == f"/api/v1/ppas/{ppa_id}/milestones/{milestone['id']}"

    # What the entry says is what the API enforces: a member moves it with its version; an
    # outsider may not; a copy older than the move is refused.
    move = {"date": "2026-12-11"}
    version = {"If-Match": f'"{props["version"]}"'}
    moved = client.patch(props["apiUrl"], json=move, headers={**member.headers, **version})
    assert moved.status_code == 200, moved.text
    assert client.patch(props["apiUrl"], json=move, headers=outsider.headers).status_code == 403
    stale = client.patch(props["apiUrl"], json=move, headers={**lead.headers, **version})
    assert stale.status_code == 412, stale.text
    assert entries()[milestone_id]["version"] == props["version"] + 1


# Each bulk PPA (from :first, every :step-th day modulo :days) has a start and target end
# 20 days apart, a milestone and a budget-call stage due in between, and an assessment.
BULK = [
    """
    INSERT INTO ppas (id, title, summary, category, status, priority, implementing_office,
                      budget_currency, progress, approval_status, version, start_date,
                      target_end_date)
    SELECT gen_random_uuid(), 'Bulk ' || g, '', 'oobc_ppa', 'ongoing', 'medium', '', 'PHP', 0,
           'draft', 1, d, d + 20
    FROM generate_series(1, :n) AS g,
         LATERAL (SELECT CAST(:first AS date) + (g * :step) % :days) AS t(d)
    """,
    """
    INSERT INTO milestones (id, ppa_id, title, date, status, notes)
    SELECT gen_random_uuid(), id, 'Milestone of ' || title, start_date + 5, 'planned', ''
    FROM ppas WHERE title LIKE 'Bulk %' AND NOT EXISTS (
        SELECT FROM milestones WHERE milestones.ppa_id = ppas.id)
    """,
    """
    INSERT INTO budget_workflow_stages (id, ppa_id, stage, sequence, status, due_date, notes)
    SELECT gen_random_uuid(), id, 'budget_call', 1, 'not_started', start_date + 10, ''
    FROM ppas WHERE title LIKE 'Bulk %' AND NOT EXISTS (
        SELECT FROM budget_workflow_stages s WHERE s.ppa_id = ppas.id)
    """,
    """
    INSERT INTO assessments (id, title, description, primary_methodology, status,
                             assessment_level, planned_start_date, planned_end_date, location,
                             community)
    SELECT gen_random_uuid(), 'Bulk assessment ' || g, '', 'survey', 'planning', 'community',
           d, d + 15, '', ''
    FROM generate_series(1, :n) AS g,
         LATERAL (SELECT CAST(:first AS date) + (g * :step) % :days) AS t(d)
    """,
]


def bulk(session, n, first="2026-12-01", step=1, days=5):
    for statement in BULK:
        session.execute(text(statement), {"n": n, "first": first, "step": step, "days": days})
    session.commit()


def test_a_fixed_number_of_queries_whatever_the_number_of_rows(client, session, staff):
    # Starts on Dec 1-5: start, milestone, stage, target end (Dec 21-25), assessment start
    # and end (Dec 16-20) all in December: 6 entries per bulk PPA.
    bulk(session, 5)
    few, feed = count_feed_statements(client, staff, **DECEMBER)
    assert len(feed["events"]) == 5 * 6
    bulk(session, 495)
    many, feed = count_feed_statements(client, staff, **DECEMBER)
    assert len(feed["events"]) == 500 * 6
    assert len({entry["id"] for entry in feed["events"]}) == 500 * 6
    # One statement for every kind of entry (it was one per kind, four).
    assert few == many == 1
    assert count_feed_statements(client, staff, modules="mana", **DECEMBER)[0] == 1
    assert count_feed_statements(client, staff, modules="planning", **DECEMBER)[0] == 1


def test_the_window_queries_use_the_date_indexes(client, session):
    # 3,000 PPAs (and as many milestones, stages, assessments) over 20 years from 2015.
    bulk(session, 3000, first="2015-01-01", step=7, days=7300)
    for table in ("ppas", "milestones", "budget_workflow_stages", "assessments"):
        session.execute(text(f"ANALYZE {table}"))
    session.commit()
    window = TimeWindow(datetime(2026, 12, 1, tzinfo=MANILA), datetime(2027, 1, 1, tzinfo=MANILA))
    engine = client.app.state.database.engine

    def plan(statement):
        compiled = statement.compile(dialect=postgresql.psycopg.dialect())
        with engine.connect() as connection:
            rows = connection.exec_driver_sql("EXPLAIN " + str(compiled), compiled.params)
            return "\n".join(row[0] for row in rows)

    expectations = [
        (ppas_statement, "ppas", ["ix_ppas__start_date", "ix_ppas__target_end_date"]),
        (milestones_statement, "milestones", ["ix_milestones__date"]),
        (stages_statement, "budget_workflow_stages", ["ix_budget_workflow_stages__due_date"]),
        (
            assessments_statement,
            "assessments",
            ["ix_assessments__planned_start_date_id", "ix_assessments__planned_end_date"],
        ),
    ]
    for make, table, indexes in expectations:
        text_plan = plan(make(window))
        for index in indexes:
            assert index in text_plan, text_plan
        assert f"Seq Scan on {table}" not in text_plan, text_plan
    # The one statement the feed runs: each of its branches on the index of its date.
    compiled = entries_statement((MODULE_PLANNING, MODULE_MANA)).compile(
        dialect=postgresql.psycopg.dialect()
    )
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(
            "EXPLAIN " + str(compiled), {**compiled.params, **window_parameters(window, 5000)}
        )
        served = "\n".join(row[0] for row in rows)
    for _, table, indexes in expectations:
        for index in indexes:
            assert index in served, served
        assert f"Seq Scan on {table}" not in served, served


def test_entries_written_by_postgresql_are_those_python_builds(client, session, staff, portfolio):
    # Every kind of entry (the fixture's PPAs, milestones of every status, stages,
    # assessments), titles and notes with quotes, accents and control characters, a PPA with
    # a lead and members, and a few hundred bulk rows.
    lead, member = make_caller(), make_caller()
    ppa = create_ppa(
        client,
        staff,
        title='Quote " \\ “curly” ñ',
        start_date="2026-12-02",
        target_end_date="2027-03-01",
        lead_id=str(lead.user_id),
        member_ids=[str(member.user_id)],
    )
    post(
        client,
        staff,
        f"{PPAS}/{ppa['id']}/milestones",
        {"title": "Tab\tand newline", "date": "2026-12-03", "notes": "Line one\nline two"},
    )
    bulk(session, 100)

    window = TimeWindow(datetime(2026, 12, 1, tzinfo=MANILA), datetime(2027, 1, 1, tzinfo=MANILA))
    by_python = sorted(feed_entries(session, window, ["planning", "mana"]), key=Entry.sort_key)
    served = get_feed(client, staff, **DECEMBER)["events"]
    assert len(served) == len(by_python) > 100 * 6
    for entry, expected in zip(served, by_python, strict=True):
        assert entry == expected.to_feed()
