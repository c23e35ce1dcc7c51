"""Alembic history of the portfolio service: up, down to base, up again on data; model drift."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from obcms_platform import migrations
from obcms_platform.db import Database
from obcms_platform.testing.migrations import (
    BUS_TABLES,
    EmptyDatabase,
    assert_drift_reported,
    assert_models_match,
    assert_round_trip,
    empty_databases,
    row_count,
)
from portfolio_service.approvals.models import ApprovalHistory
from portfolio_service.assessments.models import Assessment, AssessmentLevel, Methodology
from portfolio_service.ceilings.models import BudgetCeiling
from portfolio_service.db import Base, load_models
from portfolio_service.funding.models import FundingTranche, TrancheType
from portfolio_service.indicators.models import Indicator, IndicatorActual, IndicatorKind
from portfolio_service.milestones.models import Milestone
from portfolio_service.needs.models import Need, NeedPpaLink
from portfolio_service.ppas.models import ApprovalStatus, Ppa, PpaCategory, Sector
from portfolio_service.progress.models import PpaTaskProjection, TaskStatus
from portfolio_service.status_updates.models import StatusUpdate
from portfolio_service.workflow.models import WorkflowStage
from portfolio_service.workflow.service import create_stages

PACKAGE = "portfolio_service"
SERVICE_TABLES = {
    "ppas",
    "milestones",
    "budget_workflow_stages",
    "approval_history",
    "budget_ceilings",
    "funding_tranches",
    "assessments",
    "needs",
    "need_ppa_links",
    "ppa_task_projection",
    "indicators",
    "indicator_actuals",
    "status_updates",
    *BUS_TABLES,
}


@pytest.fixture
def database_at(portfolio_databases) -> Iterator[EmptyDatabase]:
    load_models()
    yield from empty_databases(portfolio_databases)


def populate(database: Database) -> uuid.UUID:
    ppa_id, need_id, assessment_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    indicator_id = uuid.uuid4()
    with database.session() as session:
        session.add(
            Ppa(
                id=ppa_id,
                title="Livelihood for returnees",
                category=PpaCategory.OOBC_PPA,
                sector=Sector.ECONOMIC,
                fiscal_year=2026,
                start_date=date(2026, 1, 1),
                target_end_date=date(2026, 12, 31),
                budget_allocation=Decimal("1000000.00"),
                approval_status=ApprovalStatus.TECHNICAL_REVIEW,
            )
        )
        session.flush()
        create_stages(session, ppa_id)
        session.add_all(
            [
                Milestone(ppa_id=ppa_id, title="Kick-off", date=date(2026, 2, 1)),
                ApprovalHistory(
                    ppa_id=ppa_id,
                    from_status=ApprovalStatus.DRAFT,
                    to_status=ApprovalStatus.TECHNICAL_REVIEW,
                    changed_by=uuid.uuid4(),
                    changed_at=datetime.now(UTC),
                ),
                BudgetCeiling(sector=Sector.ECONOMIC, fiscal_year=2026, amount=Decimal(5_000_000)),
                FundingTranche(
                    ppa_id=ppa_id,
                    tranche_type=TrancheType.ALLOCATION,
                    amount=Decimal("500000.00"),
                    date=date(2026, 1, 15),
                ),
                Assessment(
                    id=assessment_id,
                    title="Desk review",
                    primary_methodology=Methodology.DESK_REVIEW,
                    assessment_level=AssessmentLevel.BARANGAY,
                ),
                PpaTaskProjection(
                    task_id=uuid.uuid4(), ppa_id=ppa_id, status=TaskStatus.COMPLETED, version=1
                ),
                Indicator(
                    id=indicator_id,
                    ppa_id=ppa_id,
                    name="Households with safe water",
                    kind=IndicatorKind.OUTCOME,
                    baseline=Decimal(10),
                    target=Decimal(110),
                    target_date=date(2026, 12, 31),
                ),
                StatusUpdate(
                    ppa_id=ppa_id,
                    as_of=date(2026, 3, 31),
                    narrative="Pipes procured",
                    progress=40,
                    ppa_progress=30,
                    author_id=uuid.uuid4(),
                ),
            ]
        )
        session.flush()
        session.add(
            IndicatorActual(
                indicator_id=indicator_id, period_end=date(2026, 3, 31), value=Decimal(60)
            )
        )
        session.add(Need(id=need_id, title="Clean water", assessment_id=assessment_id))
        session.flush()
        session.add(NeedPpaLink(need_id=need_id, ppa_id=ppa_id))
        session.commit()
    return ppa_id


def test_full_round_trip_with_data(database_at):
    url, database = database_at("mig_round_trip")

    def with_data() -> None:
        ppa_id = populate(database)
        with database.session() as session:
            stored = session.get(Ppa, ppa_id)
            assert stored is not None
            assert stored.need_ids != []
            assert [m.title for m in stored.milestones] == ["Kick-off"]
            assert len(stored.approval_history) == 1
            assert stored.last_update_on == date(2026, 3, 31)
        for model, expected in [
            (Ppa, 1),
            (WorkflowStage, 6),
            (Milestone, 1),
            (FundingTranche, 1),
            (Need, 1),
            (NeedPpaLink, 1),
            (PpaTaskProjection, 1),
            (BudgetCeiling, 1),
            (Assessment, 1),
            (ApprovalHistory, 1),
            (Indicator, 1),
            (IndicatorActual, 1),
            (StatusUpdate, 1),
        ]:
            assert row_count(database, model) == expected, model

    assert_round_trip(PACKAGE, url, database.engine, SERVICE_TABLES, with_data)
    assert row_count(database, Ppa) == 0
    assert row_count(database, WorkflowStage) == 0
    # The re-created schema works with the same data again.
    populate(database)
    assert row_count(database, Ppa) == 1
    assert row_count(database, WorkflowStage) == 6


def test_models_match_migrated_schema(portfolio_db_url):
    assert_models_match(portfolio_db_url, Base.metadata, load_models)


def test_schema_drift_would_be_detected(portfolio_db_url):
    assert_drift_reported(
        portfolio_db_url,
        Base.metadata,
        load_models,
        dropped_index="ix_ppas__status",
        narrowed_column=("milestones", "title"),
    )


def test_0005_counts_the_creator_as_the_last_to_change_existing_records(database_at):
    url, database = database_at("mig_updated_by")
    migrations.upgrade(PACKAGE, url, "0004")
    creator = uuid.uuid4()
    rows = {
        "ppas": "INSERT INTO ppas (id, title, summary, category, status, priority,"
        " implementing_office, budget_currency, progress, approval_status, created_by, version)"
        " VALUES (:id, 'Old', '', 'oobc_ppa', 'planning', 'medium', '', 'PHP', 0, 'draft',"
        " :creator, 1)",
        "assessments": "INSERT INTO assessments (id, title, description, primary_methodology,"
        " status, assessment_level, location, community, created_by)"
        " VALUES (:id, 'Old', '', 'survey', 'planning', 'regional', '', '', :creator)",
        "needs": "INSERT INTO needs (id, title, description, status, urgency_level,"
        " impact_severity, feasibility, community, created_by)"
        " VALUES (:id, 'Old', '', 'identified', 'medium_term', 3, 'medium', '', :creator)",
    }
    with database.engine.begin() as connection:
        for statement in rows.values():
            connection.execute(text(statement), {"id": uuid.uuid4(), "creator": creator})
    database.engine.dispose()

    migrations.upgrade(PACKAGE, url)
    with database.engine.connect() as connection:
        for table in rows:
            stored = connection.execute(text(f"SELECT updated_by FROM {table}")).scalar_one()
            assert stored == creator, table
        assert connection.execute(text("SELECT version FROM needs")).scalar_one() == 1
    database.engine.dispose()
    migrations.downgrade(PACKAGE, url, "0004")


def test_0010_going_down_deletes_each_reversal_with_the_tranche_it_reverses(database_at):
    url, database = database_at("mig_reversals")
    migrations.upgrade(PACKAGE, url)
    ppa_id = populate(database)  # with an allocation of 500,000.00
    reversed_id = uuid.uuid4()
    with database.session() as session:
        session.add(
            FundingTranche(
                id=reversed_id,
                ppa_id=ppa_id,
                tranche_type=TrancheType.OBLIGATION,
                amount=Decimal("100.00"),
                date=date(2026, 2, 1),
            )
        )
        session.flush()
        session.add(
            FundingTranche(
                ppa_id=ppa_id,
                tranche_type=TrancheType.OBLIGATION,
                amount=Decimal("-100.00"),
                date=date(2026, 2, 2),
                reverses_id=reversed_id,
                reason="Wrong PPA",
            )
        )
        session.commit()
    database.engine.dispose()

    migrations.downgrade(PACKAGE, url, "0009")
    with database.engine.connect() as connection:
        amounts = connection.execute(text("SELECT amount FROM funding_tranches")).scalars()
        assert list(amounts) == [Decimal("500000.00")]
    database.engine.dispose()
    migrations.upgrade(PACKAGE, url)


def test_0011_gives_existing_ppas_an_empty_record_and_checks_tags_and_goals(database_at):
    url, database = database_at("mig_ppa_record")
    migrations.upgrade(PACKAGE, url, "0010")
    # As the previous release inserts a PPA: before the migration and, during a rolling
    # upgrade, after it.
    previous_release_insert = text(
        "INSERT INTO ppas (id, title, summary, category, status, priority,"
        " implementing_office, budget_currency, progress, approval_status, version)"
        " VALUES (:id, 'Old', '', 'oobc_ppa', 'planning', 'medium', '', 'PHP', 0, 'draft', 1)"
    )
    ppa_id = uuid.uuid4()
    with database.engine.begin() as connection:
        connection.execute(previous_release_insert, {"id": ppa_id})
    database.engine.dispose()

    migrations.upgrade(PACKAGE, url)
    with database.engine.begin() as connection:
        connection.execute(previous_release_insert, {"id": uuid.uuid4()})
        connection.execute(text("DELETE FROM ppas WHERE id != :id"), {"id": ppa_id})
    with database.session() as session:
        stored = session.get(Ppa, ppa_id)
        assert stored is not None
        assert (stored.coverage, stored.coverage_scope, stored.tags, stored.sdgs) == (
            [],
            [],
            [],
            [],
        )
        assert (stored.communities, stored.implementing_partner, stored.accomplishments) == (
            "",
            "",
            "",
        )
        assert stored.beneficiaries_targeted is None
        assert stored.cost_per_beneficiary is None
    for column, value in (("sdgs", "{18}"), ("tags", "{gender}"), ("beneficiaries_reached", "-1")):
        with pytest.raises(IntegrityError), database.engine.begin() as connection:
            connection.execute(text(f"UPDATE ppas SET {column} = :value"), {"value": value})
    database.engine.dispose()

    migrations.downgrade(PACKAGE, url, "0010")
    with database.engine.connect() as connection:
        columns = connection.execute(
            text("SELECT column_name FROM information_schema.columns WHERE table_name = 'ppas'")
        ).scalars()
        assert "coverage" not in set(columns)
        assert connection.execute(text("SELECT title FROM ppas")).scalar_one() == "Old"
    database.engine.dispose()


def test_0013_makes_existing_ceilings_hard_for_all_sources_one_active_per_source(database_at):
    url, database = database_at("mig_ceiling_sources")
    migrations.upgrade(PACKAGE, url, "0011")
    # As the previous release inserts a ceiling: before the migration and, during a rolling
    # upgrade, after it.
    previous_release_insert = text(
        "INSERT INTO budget_ceilings (id, sector, fiscal_year, amount, is_active, notes)"
        " VALUES (:id, :sector, 2027, 1000, true, '')"
    )
    ceiling_id = uuid.uuid4()
    with database.engine.begin() as connection:
        connection.execute(previous_release_insert, {"id": ceiling_id, "sector": "social"})
    database.engine.dispose()

    migrations.upgrade(PACKAGE, url)
    with database.engine.begin() as connection:
        connection.execute(previous_release_insert, {"id": uuid.uuid4(), "sector": "economic"})
    with database.session() as session:
        stored = session.get(BudgetCeiling, ceiling_id)
        assert stored is not None
        assert (stored.enforcement.value, stored.funding_source, stored.version) == (
            "hard",
            None,
            1,
        )
    insert = text(
        "INSERT INTO budget_ceilings (id, sector, fiscal_year, funding_source, enforcement,"
        " amount, is_active, notes) VALUES (gen_random_uuid(), 'social', 2027, :source,"
        " :enforcement, 10, true, '')"
    )
    with database.engine.begin() as connection:
        connection.execute(insert, {"source": "gaa", "enforcement": "soft"})
    # A second active one for all sources, or for GAA again, is refused by the index.
    for source in (None, "gaa"):
        with pytest.raises(IntegrityError), database.engine.begin() as connection:
            connection.execute(insert, {"source": source, "enforcement": "hard"})
    with pytest.raises(IntegrityError), database.engine.begin() as connection:
        connection.execute(insert, {"source": "donor", "enforcement": "firm"})
    database.engine.dispose()

    migrations.downgrade(PACKAGE, url, "0011")
    with database.engine.connect() as connection:
        active = connection.execute(
            text("SELECT sector FROM budget_ceilings WHERE is_active ORDER BY sector")
        ).scalars()
        # The GAA ceiling is deactivated: the previous release would hold the whole sector to it.
        assert list(active) == ["economic", "social"]
    database.engine.dispose()
