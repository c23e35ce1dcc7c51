"""budget ceilings per funding source, hard or soft, versioned: a ceiling may be for one
funding source (`funding_source`; null: all sources, as every ceiling was) and has an
`enforcement` (`hard` refuses what would go over it, `soft` flags it); at most one active
ceiling per (sector, fiscal year, source), the all-sources one included; a `version` for
If-Match

Expand-only: the new columns have server defaults or are nullable, so existing ceilings are
hard, for all sources, at version 1 (today's behaviour), and the previous release still
inserts them. Going down deactivates the source-specific and the soft ceilings (the previous
release would apply them as hard ceilings of the whole sector) before dropping the columns.
"""

import sqlalchemy as sa
from alembic import op

from obcms_platform.migration_ops import add_version_column, drop_columns, drop_indexes

revision: str = "0013"
down_revision: str | None = "0012"

TABLE = "budget_ceilings"
UNIQUE_ACTIVE = f"uq_{TABLE}__is_active"
SOURCES = ("gaa", "block_grant", "lgu_counterpart", "donor", "internal", "others")
ENFORCEMENTS = ("hard", "soft")


def upgrade() -> None:
    op.add_column(TABLE, sa.Column("funding_source", sa.String(length=32), nullable=True))
    op.create_check_constraint(
        op.f(f"ck_{TABLE}__funding_source"), TABLE, sa.column("funding_source").in_(SOURCES)
    )
    op.add_column(
        TABLE,
        sa.Column("enforcement", sa.String(length=32), server_default="hard", nullable=False),
    )
    op.create_check_constraint(
        op.f(f"ck_{TABLE}__enforcement"), TABLE, sa.column("enforcement").in_(ENFORCEMENTS)
    )
    add_version_column(TABLE)
    drop_indexes(UNIQUE_ACTIVE)
    op.create_index(
        UNIQUE_ACTIVE,
        TABLE,
        ["sector", "fiscal_year", "funding_source"],
        unique=True,
        postgresql_where=sa.text("is_active"),
        postgresql_nulls_not_distinct=True,
    )


def downgrade() -> None:
    op.execute(
        f"UPDATE {TABLE} SET is_active = false"
        " WHERE funding_source IS NOT NULL OR enforcement <> 'hard'"
    )
    drop_indexes(UNIQUE_ACTIVE)
    op.create_index(
        UNIQUE_ACTIVE,
        TABLE,
        ["sector", "fiscal_year"],
        unique=True,
        postgresql_where=sa.text("is_active"),
    )
    drop_columns(TABLE, "version", "enforcement", "funding_source")
