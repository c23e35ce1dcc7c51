"""initial schema"""

import sqlalchemy as sa
from alembic import op

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
    uuid_array_column,
    versioned_columns,
)

revision: str = "0001"
down_revision: str | None = None

DOMAINS = (
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
)
PRIORITIES = ("low", "medium", "high", "critical")


def upgrade() -> None:
    # Trigram indexes back the `q` text filter. pg_trgm is a trusted extension: a database
    # owner may create it. The downgrade leaves it installed (other objects may use it).
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        "task_templates",
        id_column(),
        sa.Column("name", sa.String(length=100), nullable=False),
        enum_column("domain", *DOMAINS),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        *timestamp_columns(),
        primary_key("task_templates", "id"),
        unique_constraint("task_templates", "name"),
    )
    op.create_table(
        "tasks",
        id_column(),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        enum_column("domain", *DOMAINS),
        enum_column("status", "not_started", "in_progress", "at_risk", "completed"),
        enum_column("priority", *PRIORITIES),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("progress", sa.SmallInteger(), nullable=False),
        uuid_array_column("assignee_ids"),
        uuid_array_column("team_ids"),
        sa.Column("related_ppa_id", sa.Uuid(), nullable=True),
        sa.Column("related_assessment_id", sa.Uuid(), nullable=True),
        sa.Column("related_event_id", sa.Uuid(), nullable=True),
        sa.Column("created_from_template", sa.String(length=100), nullable=True),
        sa.Column("auto_generated", sa.Boolean(), nullable=False),
        sa.Column("estimated_hours", sa.Numeric(precision=8, scale=2), nullable=True),
        sa.Column("actual_hours", sa.Numeric(precision=8, scale=2), nullable=True),
        uuid_array_column("depends_on"),
        *versioned_columns(authored=True),
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
        primary_key("tasks", "id"),
    )
    create_named_index("tasks", "assignee_ids", ["assignee_ids"], using="gin")
    create_trigram_index("tasks", "description")
    create_indexes("tasks", ("domain", "status", "due_date"), ("due_date", "id"))
    create_named_index("tasks", "open_due_date", ["due_date"], where="status <> 'completed'")
    create_indexes("tasks", ("priority", "due_date"))
    create_set_values_index("tasks", "related_assessment_id")
    create_set_values_index("tasks", "related_event_id")
    create_set_values_index("tasks", "related_ppa_id")
    create_indexes("tasks", ("status", "due_date"))
    create_named_index("tasks", "team_ids", ["team_ids"], using="gin")
    create_trigram_index("tasks", "title")
    op.create_table(
        "teams",
        id_column(),
        sa.Column("name", sa.String(length=150), nullable=False),
        sa.Column("slug", sa.String(length=160), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        *timestamp_columns(),
        primary_key("teams", "id"),
    )
    op.create_index("uq_teams__name", "teams", [sa.literal_column("lower(name)")], unique=True)
    op.create_index("uq_teams__slug", "teams", [sa.literal_column("lower(slug)")], unique=True)
    op.create_table(
        "template_generations",
        id_column(),
        sa.Column("template_name", sa.String(length=100), nullable=False),
        enum_column("subject_kind", "ppa", "assessment", "event"),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("base_date", sa.Date(), nullable=False),
        sa.Column("task_count", sa.Integer(), nullable=False),
        timestamp_column("created_at"),
        primary_key("template_generations", "id"),
        unique_constraint("template_generations", "template_name", "subject_kind", "subject_id"),
    )
    op.create_table(
        "task_template_items",
        id_column(),
        sa.Column("template_id", sa.Uuid(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        enum_column("priority", *PRIORITIES),
        sa.Column("estimated_hours", sa.Numeric(precision=8, scale=2), nullable=True),
        sa.Column("days_from_start", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "days_from_start >= 0", name=op.f("ck_task_template_items__days_from_start")
        ),
        foreign_key("task_template_items", "template_id", "task_templates", ondelete="CASCADE"),
        primary_key("task_template_items", "id"),
        unique_constraint("task_template_items", "template_id", "sequence"),
    )
    op.create_table(
        "team_members",
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        enum_column("role", "lead", "coordinator", "member"),
        foreign_key("team_members", "team_id", "teams", ondelete="CASCADE"),
        primary_key("team_members", "team_id", "user_id"),
    )
    create_indexes("team_members", "user_id")


def downgrade() -> None:
    drop_tables(
        "team_members",
        "task_template_items",
        "template_generations",
        "teams",
        "tasks",
        "task_templates",
    )
