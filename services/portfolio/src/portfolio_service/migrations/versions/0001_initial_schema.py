"""initial schema"""

import sqlalchemy as sa
from alembic import op

from obcms_platform.bus.migration_ops import create_bus_tables, drop_bus_tables
from obcms_platform.migration_ops import (
    create_indexes,
    create_named_index,
    create_set_values_index,
    create_trigram_index,
    drop_tables,
    enum_column,
    foreign_key,
    id_column,
    primary_key,
    timestamp_column,
    timestamp_columns,
    unique_constraint,
    versioned_columns,
)

revision: str = "0001"
down_revision: str | None = None

SECTORS = (
    "economic",
    "social",
    "infrastructure",
    "environment",
    "governance",
    "peace_security",
)
APPROVAL_STATUSES = (
    "draft",
    "technical_review",
    "budget_review",
    "stakeholder_consultation",
    "executive_approval",
    "approved",
    "enacted",
    "rejected",
)


def upgrade() -> None:
    create_bus_tables()
    # Trigram indexes back the `q` text filters. pg_trgm is a trusted extension: a database
    # owner may create it. The downgrade leaves it installed (other objects may use it).
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        "assessments",
        id_column(),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        enum_column(
            "primary_methodology",
            "desk_review",
            "survey",
            "kii",
            "workshop",
            "participatory",
            "observation",
            "mixed",
            "other",
        ),
        enum_column(
            "status",
            "planning",
            "preparation",
            "data_collection",
            "analysis",
            "reporting",
            "completed",
            "cancelled",
        ),
        enum_column(
            "assessment_level",
            "regional",
            "provincial",
            "city_municipal",
            "barangay",
            "community",
        ),
        sa.Column("planned_start_date", sa.Date(), nullable=True),
        sa.Column("planned_end_date", sa.Date(), nullable=True),
        sa.Column("location", sa.String(length=255), nullable=False),
        sa.Column("community", sa.String(length=255), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        *timestamp_columns(),
        sa.CheckConstraint(
            "planned_start_date IS NULL OR planned_end_date IS NULL OR planned_start_date <= planned_end_date",
            name=op.f("ck_assessments__planned_end_date"),
        ),
        primary_key("assessments", "id"),
    )
    create_indexes("assessments", ("planned_start_date", "id"), "status")
    create_trigram_index("assessments", "title")
    op.create_table(
        "budget_ceilings",
        id_column(),
        enum_column("sector", *SECTORS),
        sa.Column("fiscal_year", sa.SmallInteger(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        *timestamp_columns(),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_budget_ceilings__amount")),
        sa.CheckConstraint(
            "fiscal_year BETWEEN 1970 AND 2199", name=op.f("ck_budget_ceilings__fiscal_year")
        ),
        primary_key("budget_ceilings", "id"),
    )
    create_indexes("budget_ceilings", ("fiscal_year", "sector"))
    create_named_index(
        "budget_ceilings", "is_active", ["sector", "fiscal_year"], where="is_active", unique=True
    )
    op.create_table(
        "ppa_task_projection",
        sa.Column("task_id", sa.Uuid(), nullable=False),
        sa.Column("ppa_id", sa.Uuid(), nullable=True),
        enum_column("status", "not_started", "in_progress", "at_risk", "completed"),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        timestamp_column("updated_at"),
        primary_key("ppa_task_projection", "task_id"),
    )
    create_named_index(
        "ppa_task_projection",
        "ppa_id_status",
        ["ppa_id", "status"],
        where="ppa_id IS NOT NULL AND NOT deleted",
    )
    op.create_table(
        "ppas",
        id_column(),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        enum_column("category", "oobc_ppa", "moa_ppa", "obc_request"),
        enum_column("status", "planning", "ongoing", "completed", "on_hold", "cancelled"),
        enum_column("priority", "low", "medium", "high", "urgent"),
        enum_column("sector", *SECTORS, nullable=True),
        enum_column("appropriation_class", "ps", "mooe", "co", nullable=True),
        enum_column(
            "funding_source",
            "gaa",
            "block_grant",
            "lgu_counterpart",
            "donor",
            "internal",
            "others",
            nullable=True,
        ),
        sa.Column("implementing_office", sa.String(length=255), nullable=False),
        sa.Column("fiscal_year", sa.SmallInteger(), nullable=True),
        sa.Column("plan_year", sa.SmallInteger(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("target_end_date", sa.Date(), nullable=True),
        sa.Column("actual_end_date", sa.Date(), nullable=True),
        sa.Column("budget_allocation", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("budget_ceiling", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("budget_currency", sa.String(length=3), nullable=False),
        sa.Column("progress", sa.SmallInteger(), nullable=False),
        enum_column("approval_status", *APPROVAL_STATUSES),
        *versioned_columns(authored=True),
        sa.CheckConstraint("budget_currency ~ '^[A-Z]{3}$'", name=op.f("ck_ppas__budget_currency")),
        sa.CheckConstraint(
            "budget_allocation >= 0 AND (budget_ceiling IS NULL OR budget_allocation <= budget_ceiling)",
            name=op.f("ck_ppas__budget_allocation"),
        ),
        sa.CheckConstraint("budget_ceiling >= 0", name=op.f("ck_ppas__budget_ceiling")),
        sa.CheckConstraint("fiscal_year BETWEEN 1970 AND 2199", name=op.f("ck_ppas__fiscal_year")),
        sa.CheckConstraint("plan_year BETWEEN 1970 AND 2199", name=op.f("ck_ppas__plan_year")),
        sa.CheckConstraint("progress BETWEEN 0 AND 100", name=op.f("ck_ppas__progress")),
        sa.CheckConstraint(
            "start_date IS NULL OR actual_end_date IS NULL OR start_date <= actual_end_date",
            name=op.f("ck_ppas__actual_end_date"),
        ),
        sa.CheckConstraint(
            "start_date IS NULL OR target_end_date IS NULL OR start_date <= target_end_date",
            name=op.f("ck_ppas__target_end_date"),
        ),
        primary_key("ppas", "id"),
    )
    create_indexes(
        "ppas",
        ("category", "status"),
        ("created_at", "id"),
        ("fiscal_year", "status"),
        ("sector", "fiscal_year", "approval_status"),
        "status",
    )
    create_trigram_index("ppas", "summary")
    create_trigram_index("ppas", "title")
    op.create_table(
        "approval_history",
        id_column(),
        sa.Column("ppa_id", sa.Uuid(), nullable=False),
        enum_column("from_status", *APPROVAL_STATUSES),
        enum_column("to_status", *APPROVAL_STATUSES),
        sa.Column("changed_by", sa.Uuid(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        foreign_key("approval_history", "ppa_id", "ppas", ondelete="CASCADE"),
        primary_key("approval_history", "id"),
    )
    create_indexes("approval_history", ("ppa_id", "changed_at"))
    op.create_table(
        "budget_workflow_stages",
        id_column(),
        sa.Column("ppa_id", sa.Uuid(), nullable=False),
        enum_column(
            "stage",
            "budget_call",
            "formulation",
            "technical_hearing",
            "legislation",
            "execution",
            "accountability",
        ),
        sa.Column("sequence", sa.SmallInteger(), nullable=False),
        enum_column("status", "not_started", "in_progress", "completed", "blocked"),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("owner_team_id", sa.Uuid(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        *timestamp_columns(),
        sa.CheckConstraint(
            "(status = 'completed') = (completed_at IS NOT NULL)",
            name=op.f("ck_budget_workflow_stages__completed_at"),
        ),
        sa.CheckConstraint(
            "sequence BETWEEN 1 AND 6", name=op.f("ck_budget_workflow_stages__sequence")
        ),
        foreign_key("budget_workflow_stages", "ppa_id", "ppas", ondelete="CASCADE"),
        primary_key("budget_workflow_stages", "id"),
        unique_constraint("budget_workflow_stages", "ppa_id", "sequence"),
        unique_constraint("budget_workflow_stages", "ppa_id", "stage"),
    )
    op.create_table(
        "funding_tranches",
        id_column(),
        sa.Column("ppa_id", sa.Uuid(), nullable=False),
        enum_column("tranche_type", "allocation", "obligation", "disbursement", "adjustment"),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        *timestamp_columns(),
        sa.CheckConstraint(
            "amount > 0 OR (tranche_type = 'adjustment' AND amount <> 0)",
            name=op.f("ck_funding_tranches__amount"),
        ),
        foreign_key("funding_tranches", "ppa_id", "ppas", ondelete="CASCADE"),
        primary_key("funding_tranches", "id"),
    )
    create_indexes("funding_tranches", ("ppa_id", "tranche_type"))
    op.create_table(
        "milestones",
        id_column(),
        sa.Column("ppa_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        enum_column("status", "planned", "completed", "delayed", "at_risk", "blocked", "cancelled"),
        sa.Column("notes", sa.Text(), nullable=False),
        *timestamp_columns(),
        foreign_key("milestones", "ppa_id", "ppas", ondelete="CASCADE"),
        primary_key("milestones", "id"),
    )
    create_named_index(
        "milestones", "open_date", ["date"], where="status NOT IN ('completed', 'cancelled')"
    )
    create_indexes("milestones", ("ppa_id", "date"))
    op.create_table(
        "needs",
        id_column(),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        enum_column(
            "status",
            "identified",
            "validated",
            "prioritized",
            "planned",
            "in_progress",
            "completed",
            "deferred",
            "rejected",
        ),
        enum_column("urgency_level", "immediate", "short_term", "medium_term", "long_term"),
        sa.Column("impact_severity", sa.SmallInteger(), nullable=False),
        enum_column("feasibility", "very_low", "low", "medium", "high", "very_high"),
        sa.Column("affected_population", sa.Integer(), nullable=True),
        sa.Column("community", sa.String(length=255), nullable=False),
        sa.Column("assessment_id", sa.Uuid(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        *timestamp_columns(),
        sa.CheckConstraint("affected_population >= 0", name=op.f("ck_needs__affected_population")),
        sa.CheckConstraint(
            "impact_severity BETWEEN 1 AND 5", name=op.f("ck_needs__impact_severity")
        ),
        foreign_key("needs", "assessment_id", "assessments", ondelete="SET NULL"),
        primary_key("needs", "id"),
    )
    create_set_values_index("needs", "assessment_id")
    create_indexes("needs", ("created_at", "id"), "status")
    create_trigram_index("needs", "title")
    op.create_table(
        "need_ppa_links",
        sa.Column("need_id", sa.Uuid(), nullable=False),
        sa.Column("ppa_id", sa.Uuid(), nullable=False),
        timestamp_column("created_at"),
        foreign_key("need_ppa_links", "need_id", "needs", ondelete="CASCADE"),
        foreign_key("need_ppa_links", "ppa_id", "ppas", ondelete="CASCADE"),
        primary_key("need_ppa_links", "need_id", "ppa_id"),
    )
    create_indexes("need_ppa_links", "ppa_id")


def downgrade() -> None:
    drop_bus_tables()
    drop_tables(
        "need_ppa_links",
        "needs",
        "milestones",
        "funding_tranches",
        "budget_workflow_stages",
        "approval_history",
        "ppas",
        "ppa_task_projection",
        "budget_ceilings",
        "assessments",
    )
