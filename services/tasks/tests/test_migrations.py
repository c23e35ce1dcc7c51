"""Alembic history of the tasks service: up, down, up again, the seed, and model drift."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import func, select, text

from obcms_platform import migrations
from obcms_platform.db import Database
from obcms_platform.testing.migrations import (
    EmptyDatabase,
    assert_drift_reported,
    assert_models_match,
    assert_round_trip,
    empty_databases,
    row_count,
)
from tasks_service.db import Base, load_models
from tasks_service.tasks.models import Task, TaskDomain, TaskStatus
from tasks_service.teams.models import Team, TeamMember, TeamRole
from tasks_service.templates.models import SubjectKind, TaskTemplate, TaskTemplateItem
from tasks_service.templates.schemas import TemplateBody, TemplateCreate, TemplateItemIn
from tasks_service.templates.service import (
    TemplateSubject,
    create_template,
    delete_template,
    generate_from_template,
    replace_template,
)

PACKAGE = "tasks_service"
SERVICE_TABLES = {
    "tasks",
    "teams",
    "team_members",
    "task_templates",
    "task_template_items",
    "template_generations",
    "deleted_subjects",
}
SHIPPED = {
    "ppa_budget_cycle",
    "mana_assessment_desk_review",
    "mana_assessment_survey",
    "mana_assessment_participatory",
    "mana_assessment_full_cycle",
    "mana_assessment_basic",
    "event_meeting_standard",
    "event_workshop_full",
    "event_conference_full",
}
SHIPPED_ITEMS = 10 + 10 + 15 + 20 + 26 + 6 + 8 + 12 + 15


@pytest.fixture
def database_at(tasks_databases) -> Iterator[EmptyDatabase]:
    yield from empty_databases(tasks_databases)


def template_names(database: Database) -> set[str]:
    with database.session() as session:
        return set(session.scalars(select(TaskTemplate.name)))


def test_full_round_trip_with_data(database_at):
    url, database = database_at("mig_round_trip")
    ppa_id = uuid.uuid4()

    def with_data() -> None:
        assert template_names(database) == SHIPPED
        assert row_count(database, TaskTemplateItem) == SHIPPED_ITEMS
        user, team_id = uuid.uuid4(), uuid.uuid4()
        with database.session() as session:
            team = Team(id=team_id, name="Field Ops", slug="field-ops", description="")
            team.members = [TeamMember(user_id=user, role=TeamRole.LEAD)]
            session.add(team)
            session.add(
                Task(
                    title="Hand-made task",
                    domain=TaskDomain.POLICY,
                    assignee_ids=[user, uuid.uuid4()],
                    team_ids=[team_id],
                    depends_on=[uuid.uuid4()],
                )
            )
            generate_from_template(
                session,
                "ppa_budget_cycle",
                TemplateSubject(SubjectKind.PPA, ppa_id),
                date(2026, 1, 5),
            )
            session.commit()
        with database.session() as session:
            stored = session.scalar(select(Task).where(Task.title == "Hand-made task"))
            assert stored.assignee_ids[0] == user
            assert stored.team_ids == [team_id]
            assert stored.status is TaskStatus.NOT_STARTED
            assert session.scalar(select(func.count()).select_from(Task)) == 11
            assert session.scalar(select(func.count()).select_from(TeamMember)) == 1

    assert_round_trip(PACKAGE, url, database.engine, SERVICE_TABLES, with_data)
    assert template_names(database) == SHIPPED
    assert row_count(database, TaskTemplateItem) == SHIPPED_ITEMS
    assert row_count(database, Task) == 0
    assert row_count(database, Team) == 0

    # The re-created schema works: generating again is allowed (the old record is gone).
    with database.session() as session:
        generation = generate_from_template(
            session, "ppa_budget_cycle", TemplateSubject(SubjectKind.PPA, ppa_id), date(2026, 1, 5)
        )
        session.commit()
        assert generation.created is True


def _user_template(name: str) -> TemplateCreate:
    return TemplateCreate(
        name=name,
        domain=TaskDomain.COMMUNITIES,
        items=[
            TemplateItemIn(title="Visit {event_title}", days_from_start=0),
            TemplateItemIn(title="Report", days_from_start=3),
        ],
    )


def test_downgrade_0002_removes_exactly_the_shipped_templates(database_at):
    url, database = database_at("mig_seed")
    migrations.upgrade(PACKAGE, url)
    with database.session() as session:
        create_template(session, _user_template("site_visit"))
        # An edited shipped template is still the shipped one (same record).
        replace_template(
            session,
            "event_meeting_standard",
            TemplateBody(domain=TaskDomain.COORDINATION, items=[TemplateItemIn(title="Only")]),
        )
        session.commit()
    assert len(template_names(database)) == 10

    migrations.downgrade(PACKAGE, url, "0001")
    database.engine.dispose()
    assert migrations.current_revision(PACKAGE, url) == "0001"
    assert template_names(database) == {"site_visit"}
    assert row_count(database, TaskTemplateItem) == 2  # the shipped items went with their templates

    migrations.upgrade(PACKAGE, url)
    assert template_names(database) == SHIPPED | {"site_visit"}
    assert row_count(database, TaskTemplateItem) == SHIPPED_ITEMS + 2


def test_reupgrade_keeps_a_recreated_shipped_template(database_at):
    """A shipped template deleted and re-created by a manager survives a 0002 down/up."""
    url, database = database_at("mig_recreated")
    migrations.upgrade(PACKAGE, url)
    with database.session() as session:
        delete_template(session, "mana_assessment_basic")
        create_template(session, _user_template("mana_assessment_basic"))
        session.commit()

    migrations.downgrade(PACKAGE, url, "0001")
    database.engine.dispose()
    assert template_names(database) == {"mana_assessment_basic"}

    migrations.upgrade(PACKAGE, url)
    assert migrations.current_revision(PACKAGE, url) == migrations.head_revision(PACKAGE)
    assert template_names(database) == SHIPPED
    with database.session() as session:
        kept = session.scalar(
            select(TaskTemplate).where(TaskTemplate.name == "mana_assessment_basic")
        )
        assert [item.title for item in kept.items] == ["Visit {event_title}", "Report"]
    assert row_count(database, TaskTemplateItem) == SHIPPED_ITEMS - 6 + 2


def test_models_match_migrated_schema(tasks_db_url):
    assert_models_match(tasks_db_url, Base.metadata, load_models)


def test_schema_drift_would_be_detected(tasks_db_url):
    assert_drift_reported(
        tasks_db_url,
        Base.metadata,
        load_models,
        dropped_index="uq_teams__name",
        narrowed_column=("tasks", "title"),
    )


def test_0007_assigns_unowned_generated_ppa_tasks_to_the_ppas_known_owners(database_at):
    url, database = database_at("mig_owned")
    migrations.upgrade(PACKAGE, url, "0006")
    lead, member, someone = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    known_ppa, unknown_ppa, team_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    # name: (related column, subject, template, assignees, teams)
    rows = {
        "generated": ("related_ppa_id", known_ppa, "ppa_budget_cycle", [], []),
        "already assigned": ("related_ppa_id", known_ppa, "ppa_budget_cycle", [someone], []),
        "a team's": ("related_ppa_id", known_ppa, "ppa_budget_cycle", [], [team_id]),
        "approval review": ("related_ppa_id", known_ppa, None, [], []),
        "ppa unknown here": ("related_ppa_id", unknown_ppa, "ppa_budget_cycle", [], []),
        "assessment's": ("related_assessment_id", uuid.uuid4(), "mana_assessment_basic", [], []),
    }
    ids = {name: uuid.uuid4() for name in rows}
    with database.engine.begin() as connection:
        connection.execute(
            text("INSERT INTO ppa_owners (ppa_id, owner_ids, as_of) VALUES (:ppa, :owners, now())"),
            {"ppa": known_ppa, "owners": [lead, member]},
        )
        for name, (column, subject, template, assignees, teams) in rows.items():
            connection.execute(
                text(
                    f"INSERT INTO tasks (id, title, description, domain, status, priority, "
                    f"progress, auto_generated, created_from_template, assignee_ids, team_ids, "
                    f"depends_on, version, {column}) VALUES (:id, :title, '', 'general', "
                    f"'not_started', 'medium', 0, true, :template, :assignees, :teams, '{{}}', "
                    f"1, :subject)"
                ),
                {
                    "id": ids[name],
                    "title": name,
                    "template": template,
                    "assignees": assignees,
                    "teams": teams,
                    "subject": subject,
                },
            )

    migrations.upgrade(PACKAGE, url)

    with database.session() as session:
        stored = {
            task.title: (sorted(task.assignee_ids), task.version)
            for task in session.scalars(select(Task))
        }
    assert stored == {
        "generated": (sorted([lead, member]), 2),
        "already assigned": ([someone], 1),
        "a team's": ([], 1),
        "approval review": ([], 1),
        "ppa unknown here": ([], 1),
        "assessment's": ([], 1),
    }
    # Down and up again: nothing breaks, nothing is assigned twice.
    migrations.downgrade(PACKAGE, url, "0006")
    migrations.upgrade(PACKAGE, url)
    with database.session() as session:
        task = session.get(Task, ids["generated"])
        assert task is not None
        assert (sorted(task.assignee_ids), task.version) == (sorted([lead, member]), 2)
