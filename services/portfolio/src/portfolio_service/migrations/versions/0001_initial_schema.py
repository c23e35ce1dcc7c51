"""initial schema

Revision ID: 0001
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from obcms_platform.bus.migration_ops import create_bus_tables, drop_bus_tables

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_bus_tables()
    # Trigram indexes back the `q` text filters. pg_trgm is a trusted extension: a database
    # owner may create it. The downgrade leaves it installed (other objects may use it).
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        "assessments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "primary_methodology",
            sa.Enum(
                "desk_review",
                "survey",
                "kii",
                "workshop",
                "participatory",
                "observation",
                "mixed",
                "other",
                name="primary_methodology",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "planning",
                "preparation",
                "data_collection",
                "analysis",
                "reporting",
                "completed",
                "cancelled",
                name="status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "assessment_level",
            sa.Enum(
                "regional",
                "provincial",
                "city_municipal",
                "barangay",
                "community",
                name="assessment_level",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("planned_start_date", sa.Date(), nullable=True),
        sa.Column("planned_end_date", sa.Date(), nullable=True),
        sa.Column("location", sa.String(length=255), nullable=False),
        sa.Column("community", sa.String(length=255), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "planned_start_date IS NULL OR planned_end_date IS NULL OR planned_start_date <= planned_end_date",
            name=op.f("ck_assessments__planned_end_date"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessments")),
    )
    op.create_index(
        "ix_assessments__planned_start_date_id",
        "assessments",
        ["planned_start_date", "id"],
        unique=False,
    )
    op.create_index("ix_assessments__status", "assessments", ["status"], unique=False)
    op.create_index(
        "ix_assessments__title_trgm",
        "assessments",
        ["title"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"title": "gin_trgm_ops"},
    )
    op.create_table(
        "budget_ceilings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "sector",
            sa.Enum(
                "economic",
                "social",
                "infrastructure",
                "environment",
                "governance",
                "peace_security",
                name="sector",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("fiscal_year", sa.SmallInteger(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_budget_ceilings__amount")),
        sa.CheckConstraint(
            "fiscal_year BETWEEN 1970 AND 2199", name=op.f("ck_budget_ceilings__fiscal_year")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_budget_ceilings")),
    )
    op.create_index(
        "ix_budget_ceilings__fiscal_year_sector",
        "budget_ceilings",
        ["fiscal_year", "sector"],
        unique=False,
    )
    op.create_index(
        "uq_budget_ceilings__is_active",
        "budget_ceilings",
        ["sector", "fiscal_year"],
        unique=True,
        postgresql_where=sa.text("is_active"),
    )
    op.create_table(
        "ppa_task_projection",
        sa.Column("task_id", sa.Uuid(), nullable=False),
        sa.Column("ppa_id", sa.Uuid(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "not_started",
                "in_progress",
                "at_risk",
                "completed",
                name="status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("task_id", name=op.f("pk_ppa_task_projection")),
    )
    op.create_index(
        "ix_ppa_task_projection__ppa_id_status",
        "ppa_task_projection",
        ["ppa_id", "status"],
        unique=False,
        postgresql_where=sa.text("ppa_id IS NOT NULL AND NOT deleted"),
    )
    op.create_table(
        "ppas",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "oobc_ppa",
                "moa_ppa",
                "obc_request",
                name="category",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "planning",
                "ongoing",
                "completed",
                "on_hold",
                "cancelled",
                name="status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "priority",
            sa.Enum(
                "low",
                "medium",
                "high",
                "urgent",
                name="priority",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "sector",
            sa.Enum(
                "economic",
                "social",
                "infrastructure",
                "environment",
                "governance",
                "peace_security",
                name="sector",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column(
            "appropriation_class",
            sa.Enum(
                "ps",
                "mooe",
                "co",
                name="appropriation_class",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column(
            "funding_source",
            sa.Enum(
                "gaa",
                "block_grant",
                "lgu_counterpart",
                "donor",
                "internal",
                "others",
                name="funding_source",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
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
        sa.Column(
            "approval_status",
            sa.Enum(
                "draft",
                "technical_review",
                "budget_review",
                "stakeholder_consultation",
                "executive_approval",
                "approved",
                "enacted",
                "rejected",
                name="approval_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ppas")),
    )
    op.create_index("ix_ppas__category_status", "ppas", ["category", "status"], unique=False)
    op.create_index("ix_ppas__created_at_id", "ppas", ["created_at", "id"], unique=False)
    op.create_index("ix_ppas__fiscal_year_status", "ppas", ["fiscal_year", "status"], unique=False)
    op.create_index(
        "ix_ppas__sector_fiscal_year_approval_status",
        "ppas",
        ["sector", "fiscal_year", "approval_status"],
        unique=False,
    )
    op.create_index("ix_ppas__status", "ppas", ["status"], unique=False)
    op.create_index(
        "ix_ppas__summary_trgm",
        "ppas",
        ["summary"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"summary": "gin_trgm_ops"},
    )
    op.create_index(
        "ix_ppas__title_trgm",
        "ppas",
        ["title"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"title": "gin_trgm_ops"},
    )
    op.create_table(
        "approval_history",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ppa_id", sa.Uuid(), nullable=False),
        sa.Column(
            "from_status",
            sa.Enum(
                "draft",
                "technical_review",
                "budget_review",
                "stakeholder_consultation",
                "executive_approval",
                "approved",
                "enacted",
                "rejected",
                name="from_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "to_status",
            sa.Enum(
                "draft",
                "technical_review",
                "budget_review",
                "stakeholder_consultation",
                "executive_approval",
                "approved",
                "enacted",
                "rejected",
                name="to_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("changed_by", sa.Uuid(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ppa_id"], ["ppas.id"], name=op.f("fk_approval_history__ppa_id"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_history")),
    )
    op.create_index(
        "ix_approval_history__ppa_id_changed_at",
        "approval_history",
        ["ppa_id", "changed_at"],
        unique=False,
    )
    op.create_table(
        "budget_workflow_stages",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ppa_id", sa.Uuid(), nullable=False),
        sa.Column(
            "stage",
            sa.Enum(
                "budget_call",
                "formulation",
                "technical_hearing",
                "legislation",
                "execution",
                "accountability",
                name="stage",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("sequence", sa.SmallInteger(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "not_started",
                "in_progress",
                "completed",
                "blocked",
                name="status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("owner_team_id", sa.Uuid(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(status = 'completed') = (completed_at IS NOT NULL)",
            name=op.f("ck_budget_workflow_stages__completed_at"),
        ),
        sa.CheckConstraint(
            "sequence BETWEEN 1 AND 6", name=op.f("ck_budget_workflow_stages__sequence")
        ),
        sa.ForeignKeyConstraint(
            ["ppa_id"],
            ["ppas.id"],
            name=op.f("fk_budget_workflow_stages__ppa_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_budget_workflow_stages")),
        sa.UniqueConstraint(
            "ppa_id", "sequence", name=op.f("uq_budget_workflow_stages__ppa_id_sequence")
        ),
        sa.UniqueConstraint(
            "ppa_id", "stage", name=op.f("uq_budget_workflow_stages__ppa_id_stage")
        ),
    )
    op.create_table(
        "funding_tranches",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ppa_id", sa.Uuid(), nullable=False),
        sa.Column(
            "tranche_type",
            sa.Enum(
                "allocation",
                "obligation",
                "disbursement",
                "adjustment",
                name="tranche_type",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "amount > 0 OR (tranche_type = 'adjustment' AND amount <> 0)",
            name=op.f("ck_funding_tranches__amount"),
        ),
        sa.ForeignKeyConstraint(
            ["ppa_id"], ["ppas.id"], name=op.f("fk_funding_tranches__ppa_id"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_funding_tranches")),
    )
    op.create_index(
        "ix_funding_tranches__ppa_id_tranche_type",
        "funding_tranches",
        ["ppa_id", "tranche_type"],
        unique=False,
    )
    op.create_table(
        "milestones",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ppa_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "planned",
                "completed",
                "delayed",
                "at_risk",
                "blocked",
                "cancelled",
                name="status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["ppa_id"], ["ppas.id"], name=op.f("fk_milestones__ppa_id"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_milestones")),
    )
    op.create_index(
        "ix_milestones__open_date",
        "milestones",
        ["date"],
        unique=False,
        postgresql_where=sa.text("status NOT IN ('completed', 'cancelled')"),
    )
    op.create_index("ix_milestones__ppa_id_date", "milestones", ["ppa_id", "date"], unique=False)
    op.create_table(
        "needs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "identified",
                "validated",
                "prioritized",
                "planned",
                "in_progress",
                "completed",
                "deferred",
                "rejected",
                name="status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "urgency_level",
            sa.Enum(
                "immediate",
                "short_term",
                "medium_term",
                "long_term",
                name="urgency_level",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("impact_severity", sa.SmallInteger(), nullable=False),
        sa.Column(
            "feasibility",
            sa.Enum(
                "very_low",
                "low",
                "medium",
                "high",
                "very_high",
                name="feasibility",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("affected_population", sa.Integer(), nullable=True),
        sa.Column("community", sa.String(length=255), nullable=False),
        sa.Column("assessment_id", sa.Uuid(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("affected_population >= 0", name=op.f("ck_needs__affected_population")),
        sa.CheckConstraint(
            "impact_severity BETWEEN 1 AND 5", name=op.f("ck_needs__impact_severity")
        ),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name=op.f("fk_needs__assessment_id"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_needs")),
    )
    op.create_index(
        "ix_needs__assessment_id",
        "needs",
        ["assessment_id"],
        unique=False,
        postgresql_where=sa.text("assessment_id IS NOT NULL"),
    )
    op.create_index("ix_needs__created_at_id", "needs", ["created_at", "id"], unique=False)
    op.create_index("ix_needs__status", "needs", ["status"], unique=False)
    op.create_index(
        "ix_needs__title_trgm",
        "needs",
        ["title"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"title": "gin_trgm_ops"},
    )
    op.create_table(
        "need_ppa_links",
        sa.Column("need_id", sa.Uuid(), nullable=False),
        sa.Column("ppa_id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["need_id"], ["needs.id"], name=op.f("fk_need_ppa_links__need_id"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["ppa_id"], ["ppas.id"], name=op.f("fk_need_ppa_links__ppa_id"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("need_id", "ppa_id", name=op.f("pk_need_ppa_links")),
    )
    op.create_index("ix_need_ppa_links__ppa_id", "need_ppa_links", ["ppa_id"], unique=False)


def downgrade() -> None:
    drop_bus_tables()
    op.drop_index("ix_need_ppa_links__ppa_id", table_name="need_ppa_links")
    op.drop_table("need_ppa_links")
    op.drop_index(
        "ix_needs__title_trgm",
        table_name="needs",
        postgresql_using="gin",
        postgresql_ops={"title": "gin_trgm_ops"},
    )
    op.drop_index("ix_needs__status", table_name="needs")
    op.drop_index("ix_needs__created_at_id", table_name="needs")
    op.drop_index(
        "ix_needs__assessment_id",
        table_name="needs",
        postgresql_where=sa.text("assessment_id IS NOT NULL"),
    )
    op.drop_table("needs")
    op.drop_index("ix_milestones__ppa_id_date", table_name="milestones")
    op.drop_index(
        "ix_milestones__open_date",
        table_name="milestones",
        postgresql_where=sa.text("status NOT IN ('completed', 'cancelled')"),
    )
    op.drop_table("milestones")
    op.drop_index("ix_funding_tranches__ppa_id_tranche_type", table_name="funding_tranches")
    op.drop_table("funding_tranches")
    op.drop_table("budget_workflow_stages")
    op.drop_index("ix_approval_history__ppa_id_changed_at", table_name="approval_history")
    op.drop_table("approval_history")
    op.drop_index(
        "ix_ppas__title_trgm",
        table_name="ppas",
        postgresql_using="gin",
        postgresql_ops={"title": "gin_trgm_ops"},
    )
    op.drop_index(
        "ix_ppas__summary_trgm",
        table_name="ppas",
        postgresql_using="gin",
        postgresql_ops={"summary": "gin_trgm_ops"},
    )
    op.drop_index("ix_ppas__status", table_name="ppas")
    op.drop_index("ix_ppas__sector_fiscal_year_approval_status", table_name="ppas")
    op.drop_index("ix_ppas__fiscal_year_status", table_name="ppas")
    op.drop_index("ix_ppas__created_at_id", table_name="ppas")
    op.drop_index("ix_ppas__category_status", table_name="ppas")
    op.drop_table("ppas")
    op.drop_index(
        "ix_ppa_task_projection__ppa_id_status",
        table_name="ppa_task_projection",
        postgresql_where=sa.text("ppa_id IS NOT NULL AND NOT deleted"),
    )
    op.drop_table("ppa_task_projection")
    op.drop_index(
        "uq_budget_ceilings__is_active",
        table_name="budget_ceilings",
        postgresql_where=sa.text("is_active"),
    )
    op.drop_index("ix_budget_ceilings__fiscal_year_sector", table_name="budget_ceilings")
    op.drop_table("budget_ceilings")
    op.drop_index(
        "ix_assessments__title_trgm",
        table_name="assessments",
        postgresql_using="gin",
        postgresql_ops={"title": "gin_trgm_ops"},
    )
    op.drop_index("ix_assessments__status", table_name="assessments")
    op.drop_index("ix_assessments__planned_start_date_id", table_name="assessments")
    op.drop_table("assessments")
