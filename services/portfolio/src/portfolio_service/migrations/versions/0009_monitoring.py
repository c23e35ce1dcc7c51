"""monitoring: a PPA's indicators with their actuals, and its status-update log

New tables. Expand-only: the previous release neither reads nor writes them.
"""

import sqlalchemy as sa
from alembic import op

from obcms_platform.migration_ops import (
    create_indexes,
    drop_tables,
    enum_column,
    foreign_key,
    id_column,
    primary_key,
    timestamp_columns,
    unique_constraint,
    versioned_columns,
)

revision: str = "0009"
down_revision: str | None = "0008"


def upgrade() -> None:
    op.create_table(
        "indicators",
        id_column(),
        sa.Column("ppa_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        enum_column("kind", "output", "outcome"),
        sa.Column("unit", sa.String(length=50), nullable=False),
        sa.Column("baseline", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("target", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("target_date", sa.Date(), nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        *versioned_columns(authored=True),
        foreign_key("indicators", "ppa_id", "ppas", ondelete="CASCADE"),
        primary_key("indicators", "id"),
    )
    create_indexes("indicators", ("ppa_id", "created_at"))
    op.create_table(
        "indicator_actuals",
        id_column(),
        sa.Column("indicator_id", sa.Uuid(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("value", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        *timestamp_columns(),
        foreign_key("indicator_actuals", "indicator_id", "indicators", ondelete="CASCADE"),
        primary_key("indicator_actuals", "id"),
        unique_constraint("indicator_actuals", "indicator_id", "period_end"),
    )
    op.create_table(
        "status_updates",
        id_column(),
        sa.Column("ppa_id", sa.Uuid(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("narrative", sa.Text(), nullable=False),
        sa.Column("progress", sa.SmallInteger(), nullable=True),
        sa.Column("ppa_progress", sa.SmallInteger(), nullable=False),
        sa.Column("issues", sa.Text(), nullable=False),
        sa.Column("next_steps", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=False),
        *timestamp_columns(),
        sa.CheckConstraint("progress BETWEEN 0 AND 100", name=op.f("ck_status_updates__progress")),
        sa.CheckConstraint(
            "ppa_progress BETWEEN 0 AND 100", name=op.f("ck_status_updates__ppa_progress")
        ),
        foreign_key("status_updates", "ppa_id", "ppas", ondelete="CASCADE"),
        primary_key("status_updates", "id"),
    )
    create_indexes("status_updates", ("ppa_id", "as_of"))


def downgrade() -> None:
    drop_tables("status_updates", "indicator_actuals", "indicators")
