"""initial schema

Revision ID: 0001
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Trigram indexes back the `q` text filter. pg_trgm is a trusted extension: a database
    # owner may create it. The downgrade leaves it installed (other objects may use it).
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        "task_templates",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column(
            "domain",
            sa.Enum(
                "general",
                "communities",
                "mana",
                "coordination",
                "monitoring",
                "policy",
                "services",
                "municipal",
                "data",
                "project_central",
                name="domain",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_templates")),
        sa.UniqueConstraint("name", name=op.f("uq_task_templates__name")),
    )
    op.create_table(
        "tasks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "domain",
            sa.Enum(
                "general",
                "communities",
                "mana",
                "coordination",
                "monitoring",
                "policy",
                "services",
                "municipal",
                "data",
                "project_central",
                name="domain",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
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
        sa.Column(
            "priority",
            sa.Enum(
                "low",
                "medium",
                "high",
                "critical",
                name="priority",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("progress", sa.SmallInteger(), nullable=False),
        sa.Column(
            "assignee_ids",
            postgresql.ARRAY(sa.Uuid()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column(
            "team_ids", postgresql.ARRAY(sa.Uuid()), server_default=sa.text("'{}'"), nullable=False
        ),
        sa.Column("related_ppa_id", sa.Uuid(), nullable=True),
        sa.Column("related_assessment_id", sa.Uuid(), nullable=True),
        sa.Column("related_event_id", sa.Uuid(), nullable=True),
        sa.Column("created_from_template", sa.String(length=100), nullable=True),
        sa.Column("auto_generated", sa.Boolean(), nullable=False),
        sa.Column("estimated_hours", sa.Numeric(precision=8, scale=2), nullable=True),
        sa.Column("actual_hours", sa.Numeric(precision=8, scale=2), nullable=True),
        sa.Column(
            "depends_on",
            postgresql.ARRAY(sa.Uuid()),
            server_default=sa.text("'{}'"),
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
        sa.CheckConstraint(
            "(status = 'completed') = (completed_at IS NOT NULL)",
            name=op.f("ck_tasks__completed_at"),
        ),
        sa.CheckConstraint("actual_hours >= 0", name=op.f("ck_tasks__actual_hours")),
        sa.CheckConstraint("estimated_hours >= 0", name=op.f("ck_tasks__estimated_hours")),
        sa.CheckConstraint(
            "num_nonnulls(related_ppa_id, related_assessment_id, related_event_id) <= 1",
            name=op.f("ck_tasks__single_related_record"),
        ),
        sa.CheckConstraint("progress BETWEEN 0 AND 100", name=op.f("ck_tasks__progress")),
        sa.CheckConstraint(
            "start_date IS NULL OR due_date IS NULL OR start_date <= due_date",
            name=op.f("ck_tasks__due_date"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
    )
    op.create_index(
        "ix_tasks__assignee_ids", "tasks", ["assignee_ids"], unique=False, postgresql_using="gin"
    )
    op.create_index(
        "ix_tasks__description_trgm",
        "tasks",
        ["description"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"description": "gin_trgm_ops"},
    )
    op.create_index(
        "ix_tasks__domain_status_due_date", "tasks", ["domain", "status", "due_date"], unique=False
    )
    op.create_index("ix_tasks__due_date_id", "tasks", ["due_date", "id"], unique=False)
    op.create_index(
        "ix_tasks__open_due_date",
        "tasks",
        ["due_date"],
        unique=False,
        postgresql_where=sa.text("status <> 'completed'"),
    )
    op.create_index("ix_tasks__priority_due_date", "tasks", ["priority", "due_date"], unique=False)
    op.create_index(
        "ix_tasks__related_assessment_id",
        "tasks",
        ["related_assessment_id"],
        unique=False,
        postgresql_where=sa.text("related_assessment_id IS NOT NULL"),
    )
    op.create_index(
        "ix_tasks__related_event_id",
        "tasks",
        ["related_event_id"],
        unique=False,
        postgresql_where=sa.text("related_event_id IS NOT NULL"),
    )
    op.create_index(
        "ix_tasks__related_ppa_id",
        "tasks",
        ["related_ppa_id"],
        unique=False,
        postgresql_where=sa.text("related_ppa_id IS NOT NULL"),
    )
    op.create_index("ix_tasks__status_due_date", "tasks", ["status", "due_date"], unique=False)
    op.create_index(
        "ix_tasks__team_ids", "tasks", ["team_ids"], unique=False, postgresql_using="gin"
    )
    op.create_index(
        "ix_tasks__title_trgm",
        "tasks",
        ["title"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"title": "gin_trgm_ops"},
    )
    op.create_table(
        "teams",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=150), nullable=False),
        sa.Column("slug", sa.String(length=160), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
    )
    op.create_index("uq_teams__name", "teams", [sa.literal_column("lower(name)")], unique=True)
    op.create_index("uq_teams__slug", "teams", [sa.literal_column("lower(slug)")], unique=True)
    op.create_table(
        "template_generations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("template_name", sa.String(length=100), nullable=False),
        sa.Column(
            "subject_kind",
            sa.Enum(
                "ppa",
                "assessment",
                "event",
                name="subject_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("base_date", sa.Date(), nullable=False),
        sa.Column("task_count", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_template_generations")),
        sa.UniqueConstraint(
            "template_name",
            "subject_kind",
            "subject_id",
            name=op.f("uq_template_generations__template_name_subject_kind_subject_id"),
        ),
    )
    op.create_table(
        "task_template_items",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("template_id", sa.Uuid(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "priority",
            sa.Enum(
                "low",
                "medium",
                "high",
                "critical",
                name="priority",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("estimated_hours", sa.Numeric(precision=8, scale=2), nullable=True),
        sa.Column("days_from_start", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "days_from_start >= 0", name=op.f("ck_task_template_items__days_from_start")
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["task_templates.id"],
            name=op.f("fk_task_template_items__template_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_template_items")),
        sa.UniqueConstraint(
            "template_id", "sequence", name=op.f("uq_task_template_items__template_id_sequence")
        ),
    )
    op.create_table(
        "team_members",
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "lead",
                "coordinator",
                "member",
                name="role",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_team_members__team_id"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("team_id", "user_id", name=op.f("pk_team_members")),
    )
    op.create_index("ix_team_members__user_id", "team_members", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_team_members__user_id", table_name="team_members")
    op.drop_table("team_members")
    op.drop_table("task_template_items")
    op.drop_table("template_generations")
    op.drop_index("uq_teams__slug", table_name="teams")
    op.drop_index("uq_teams__name", table_name="teams")
    op.drop_table("teams")
    op.drop_index(
        "ix_tasks__title_trgm",
        table_name="tasks",
        postgresql_using="gin",
        postgresql_ops={"title": "gin_trgm_ops"},
    )
    op.drop_index("ix_tasks__team_ids", table_name="tasks", postgresql_using="gin")
    op.drop_index("ix_tasks__status_due_date", table_name="tasks")
    op.drop_index(
        "ix_tasks__related_ppa_id",
        table_name="tasks",
        postgresql_where=sa.text("related_ppa_id IS NOT NULL"),
    )
    op.drop_index(
        "ix_tasks__related_event_id",
        table_name="tasks",
        postgresql_where=sa.text("related_event_id IS NOT NULL"),
    )
    op.drop_index(
        "ix_tasks__related_assessment_id",
        table_name="tasks",
        postgresql_where=sa.text("related_assessment_id IS NOT NULL"),
    )
    op.drop_index("ix_tasks__priority_due_date", table_name="tasks")
    op.drop_index(
        "ix_tasks__open_due_date",
        table_name="tasks",
        postgresql_where=sa.text("status <> 'completed'"),
    )
    op.drop_index("ix_tasks__due_date_id", table_name="tasks")
    op.drop_index("ix_tasks__domain_status_due_date", table_name="tasks")
    op.drop_index(
        "ix_tasks__description_trgm",
        table_name="tasks",
        postgresql_using="gin",
        postgresql_ops={"description": "gin_trgm_ops"},
    )
    op.drop_index("ix_tasks__assignee_ids", table_name="tasks", postgresql_using="gin")
    op.drop_table("tasks")
    op.drop_table("task_templates")
